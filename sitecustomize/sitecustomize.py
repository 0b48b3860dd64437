"""Put on PYTHONPATH of child processes so they inherit pkm's runtime context.

Stdlib only, and it must never break interpreter start-up: every failure is
swallowed (shown only with PKM_DEBUG=1). It first chains to the next
`sitecustomize` on sys.path (the one this shadowed), so the environment's
own start-up customization still runs; then, when PKM_RUNTIME_MANIFEST names
a manifest made for this interpreter, it activates that context (an
interpreter of another version or platform is left alone).
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


def _runtime():
    """pkm_runtime, loaded from beside this file without putting its parent on sys.path."""
    import importlib.util

    if "pkm_runtime" in sys.modules:
        return sys.modules["pkm_runtime"]
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.dirname(here), os.path.join(os.path.dirname(here), "pkm_runtime")):
        init = os.path.join(folder, "__init__.py")
        if os.path.basename(folder) == "pkm_runtime" and os.path.isfile(init):
            spec = importlib.util.spec_from_file_location("pkm_runtime", init, submodule_search_locations=[folder])
            module = importlib.util.module_from_spec(spec)
            sys.modules["pkm_runtime"] = module
            spec.loader.exec_module(module)
            return module
    return None


def _activate():
    path = os.environ.get("PKM_RUNTIME_MANIFEST")
    if not path or _runtime() is None:
        return
    from pkm_runtime import activate, context, manifest

    data = manifest.read(path)
    if data is not None and manifest.usable(data, context.interpreter_id()):
        activate.activate(data, None, report=False)


def _debug(what, exc):
    if os.environ.get("PKM_DEBUG", "") not in ("", "0"):
        sys.stderr.write(f"pkm sitecustomize: {what} failed: {exc!r}\n")


try:
    _chain()
except Exception as exc:  # noqa: BLE001 - start-up must go on, whatever the chained module does
    _debug("the chained sitecustomize", exc)
try:
    _activate()
except Exception as exc:  # noqa: BLE001 - a broken context must not break every child process
    _debug("activating the runtime context", exc)
