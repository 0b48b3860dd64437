"""Put on PYTHONPATH of child processes so they inherit pkm's runtime context.

Stdlib only, and it must never break interpreter start-up: every failure is
swallowed (shown only with PKM_DEBUG=1). It first chains to the next
`sitecustomize` on sys.path (the one this shadowed), so the environment's
own start-up customization still runs.
"""

import os
import sys


def _chain():
    """Import the sitecustomize module that this one shadows, if any."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("sitecustomize")
    sys.modules["sitecustomize"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules["sitecustomize"] = saved if saved is not None else module


try:
    _chain()
except Exception as exc:  # noqa: BLE001 - start-up must go on, whatever the chained module does
    if os.environ.get("PKM_DEBUG", "") not in ("", "0"):
        sys.stderr.write(f"pkm sitecustomize: the chained sitecustomize failed: {exc!r}\n")
