"""A source tree's `[build-system]` table (PEP 517/518): requirements, backend, backend-path.

    system = read_build_system(Path("proj"))
    system.requires      # ("setuptools>=61",) as Requirement objects
    system.backend       # "setuptools.build_meta"
    system.backend_path  # () or ("_backend",) relative to the tree, checked to stay inside it
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Tuple

from pkm._toml import key_line, load_toml, read_text
from pkm.errors import InputFileError

__all__ = ["BuildSystem", "read_build_system", "LEGACY_BACKEND", "LEGACY_REQUIRES"]

# PEP 517: a project without `build-backend` is built the way pip built it before PEP 517.
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8",)


@dataclass(frozen=True)
class BuildSystem:
    """What builds a source tree: `requires` (packaging Requirements), the backend's
    `module:object` spec, its in-tree `backend_path` entries, and the project name if static."""

    requires: Tuple[Any, ...]
    backend: str
    backend_path: Tuple[str, ...] = ()
    name: Optional[str] = None
    version: Optional[str] = None

    @property
    def backend_module(self) -> str:
        return self.backend.partition(":")[0]


def _requirements(values: Any, where: str, line: Optional[int]) -> Tuple[Any, ...]:
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputFileError("[build-system] requires must be a list of strings", path=where, line=line,
                             hint='write e.g. requires = ["setuptools>=61"]')
    found = []
    for value in values:
        try:
            found.append(Requirement(value))
        except InvalidRequirement as exc:
            raise InputFileError(f"invalid build requirement `{value}`", path=where, line=line, why=str(exc),
                                 hint="write a PEP 508 requirement, e.g. `setuptools>=61`") from None
    return tuple(found)


def _backend_path(values: Any, tree: Path, where: str, line: Optional[int]) -> Tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputFileError("[build-system] backend-path must be a list of strings", path=where, line=line,
                             hint='write e.g. backend-path = ["_build"] (folders inside the project)')
    root = os.path.realpath(str(tree))
    for value in values:
        # realpath: a symlink inside the tree that points out of it escapes just the same
        full = os.path.realpath(os.path.join(root, value))
        if os.path.isabs(value) or os.path.commonpath([root, full]) != root:
            raise InputFileError(f"[build-system] backend-path entry {value!r} leaves the source tree",
                                 path=where, line=line, why=f"it resolves to {full}, outside {root}",
                                 hint="backend-path entries must be folders inside the project (PEP 517)")
    return tuple(values)


def read_build_system(tree: Path) -> BuildSystem:
    """The build system of the source tree at `tree` (a folder holding pyproject.toml or setup.py).

    No `pyproject.toml`, or no `build-backend` in it: setuptools' legacy backend, with
    `setuptools>=40.8` when `requires` is absent too (PEP 517). A malformed table is
    InputFileError naming the line; a tree with neither file is InputFileError.
    Cost: one small file read and TOML parse.
    """
    tree = Path(tree)
    pyproject = tree / "pyproject.toml"
    if not pyproject.is_file():
        if not (tree / "setup.py").is_file():
            raise InputFileError("not a Python project: it has neither pyproject.toml nor setup.py", path=str(tree),
                                 hint="pass the folder that holds pyproject.toml, or an sdist (.tar.gz)")
        return BuildSystem(_requirements(list(LEGACY_REQUIRES), str(pyproject), None), LEGACY_BACKEND)
    text = read_text(pyproject)
    data = load_toml(pyproject)
    where = str(pyproject)
    table = data.get("build-system", {})
    if not isinstance(table, dict):
        raise InputFileError("[build-system] must be a table", path=where, hint="write [build-system] as a table")
    line = lambda key: key_line(text, key, "build-system")  # noqa: E731
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    name = project.get("name") if isinstance(project.get("name"), str) else None
    version = project.get("version") if isinstance(project.get("version"), str) else None
    if "requires" not in table and table:
        raise InputFileError("[build-system] has no `requires`", path=where,
                             hint='PEP 518 makes it mandatory: write e.g. requires = ["setuptools>=61"]')
    requires = _requirements(table.get("requires", list(LEGACY_REQUIRES)), where, line("requires"))
    backend = table.get("build-backend", LEGACY_BACKEND)
    module, _, obj = backend.partition(":") if isinstance(backend, str) else ("", "", "")
    if not module or not all(part.isidentifier() for part in module.split(".") + (obj.split(".") if obj else [])):
        raise InputFileError(f"[build-system] build-backend {backend!r} is not a `module.path:object` name",
                             path=where, line=line("build-backend"),
                             hint='write e.g. build-backend = "setuptools.build_meta"')
    backend_path = _backend_path(table.get("backend-path", []), tree, where, line("backend-path"))
    return BuildSystem(requires, backend, backend_path, name, version)
