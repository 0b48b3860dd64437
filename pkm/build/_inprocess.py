"""Whether a project asks for pkm's own backend in a form the running pkm can serve in-process.

Building in-process skips the build environment and the subprocess altogether. It is allowed only
when the result cannot differ from an isolated build: the backend is `pkm.backend`; every build
requirement whose marker holds here is met by what this interpreter has installed (`pkm-tool` by
the running pkm's version); and the backend comes from the running pkm: either no `backend-path`
and `pkm-tool` is required, or `backend-path` holds a `pkm/backend/` whose sources are byte for
byte those of the running one (pkm building itself, from its checkout or from its own sdist).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

__all__ = ["serves_in_process", "build_in_process", "BACKEND"]

BACKEND = "pkm.backend"
_DIST = "pkm-tool"


def _installed_version(name: str) -> Optional[str]:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _running_backend() -> Path:
    import pkm

    return Path(os.path.dirname(os.path.abspath(pkm.__file__))) / "backend"


def _sources(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.py"))}


def _same_backend(tree: Path, backend_path: Any) -> bool:
    mine = _running_backend()
    for entry in backend_path:
        candidate = Path(tree) / entry / "pkm" / "backend"
        if not candidate.is_dir():
            continue
        try:
            if os.path.samefile(candidate, mine):
                return True
            return _sources(candidate) == _sources(mine)
        except OSError:
            return False
    return False


def serves_in_process(system: Any, tree: Path) -> bool:
    """True when the running pkm can build `tree` itself (see the module docstring).

    Cost: one installed-metadata lookup per build requirement; with backend-path, reading the
    backend's few source files.
    """
    import pkm
    from packaging.utils import canonicalize_name

    if system.backend != BACKEND:
        return False
    wants_pkm = False
    for requirement in system.requires:
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name == _DIST:
            wants_pkm = True
            version: Optional[str] = pkm.__version__
        else:
            version = _installed_version(name)
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            return False
    if system.backend_path:
        return _same_backend(tree, system.backend_path)
    return wants_pkm


def build_in_process(tree: Path, kind: str, directory: Path) -> str:
    """Build `tree` with the running pkm.backend into `directory`; returns the file (or folder) name.

    Raises pkm.backend.ConfigError (a ValueError) for a bad `[project]`, OSError for unreadable files.
    """
    from pkm import backend

    return backend.build(tree, kind, directory)
