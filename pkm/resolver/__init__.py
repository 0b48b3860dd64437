"""Resolution of Python requirements on top of the generic PubGrub solver in `pubgrub/`.

    target = Target.from_interpreter(interpreter)      # or Target.synthesize("3.12", "linux")
    resolution = resolve([Requirement("rich>=13")], index, target, Options(prereleases="allow"))
    for package in resolution.packages: ...            # name, version, artifact, index_url, extras

The index is anything shaped like `pkm.index.Index` (this layer never imports it). A failure
raises `NoResolution`, whose `failure` is the solver's derivation tree for `pkm.ui.report`.
"""

from __future__ import annotations

from ._environment import PLATFORMS, Target
from ._model import PRERELEASE_POLICIES, PYTHON, ROOT, Options, split_package
from ._provider import PythonProvider
from ._resolve import NoResolution, Resolution, ResolvedPackage, resolve

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
