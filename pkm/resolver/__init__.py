"""Resolution of Python requirements on top of the generic PubGrub solver in `pubgrub/`.

    target = Target.from_interpreter(interpreter)      # or Target.synthesize("3.12", "linux")
    resolution = resolve([Requirement("rich>=13")], index, target, Options(prereleases="allow"))
    for package in resolution.packages: ...            # name, version, artifact, index_url, extras

The index is anything shaped like `pkm.index.Index` (this layer never imports it). A failure
raises `NoResolution`, whose `failure` is the solver's derivation tree for `pkm.ui.report`.
"""

from __future__ import annotations

import importlib
from typing import Any, List

from ._model import PLATFORMS, PRERELEASE_POLICIES, PYTHON, ROOT, Options, split_package

# The rest is imported on first use: the CLI reads PLATFORMS and PRERELEASE_POLICIES while
# building its argument parser, and the solver, wheel tags and core metadata (~40 ms of
# imports) can then load while the first index pages are being fetched.
_LAZY = {"Target": "_environment", "PythonProvider": "_provider", "NoResolution": "_resolve",
         "Resolution": "_resolve", "ResolvedPackage": "_resolve", "resolve": "_resolve"}

__all__ = [
    "NoResolution",
    "Options",
    "PLATFORMS",
    "PRERELEASE_POLICIES",
    "PYTHON",
    "PythonProvider",
    "ROOT",
    "Resolution",
    "ResolvedPackage",
    "Target",
    "resolve",
    "split_package",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_LAZY))
