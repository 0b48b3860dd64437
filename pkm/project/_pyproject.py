"""A project as its `pyproject.toml` declares it: name, requirements, extras, dependency groups.

    project = load_project(find_project(Path.cwd()))
    project.dependencies, project.optional["fast"], project.groups["dev"]   # Requirement lists

A workspace root without [project] (a virtual root, as uv allows) reads as a Project
with `virtual=True`: no name, no dependencies, only its dependency groups.
Malformed files and entries are InputFileError (exit 2) with the file and line.
Dependency groups follow PEP 735 through `packaging.dependency_groups`
(`{include-group = "..."}` expanded, cycles refused).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

from pkm._toml import key_line, parse_toml, read_text
from pkm.errors import InputFileError

__all__ = ["Project", "find_project", "load_project", "parse_project", "requirement_list"]


class Project(NamedTuple):
    """What pkm reads of a project. `text` is the file as read (for edits and lock freshness)."""

    root: Path
    path: Path
    name: str
    requires_python: Optional[str]
    dependencies: List[Any]
    optional: Dict[str, List[Any]]
    groups: Dict[str, List[Any]]
    default_groups: List[str]
    text: str
    buildable: bool = False  # it declares [build-system]: a package, installed editable by `pkm sync`
    members: tuple = ()  # a workspace's member projects (see `pkm.project.in_workspace`); () otherwise
    envs: Dict[str, Dict[str, Any]] = {}  # [tool.pkm.envs]: name -> {"python", "groups", "extras"}
    env_name: str = ""  # set by `with_env`: the named environment this project value stands for
    # A virtual workspace root: [tool.pkm.workspace] without [project]. It is no package: its `name`
    # is "" (never locked, built or installed), it has no dependencies or extras, only
    # [dependency-groups]; `in_workspace` gives it its members.
    virtual: bool = False

    @property
    def label(self) -> str:
        """How messages name the project: its name, or `workspace DIR` for a virtual root."""
        return f"workspace {self.root.name}" if self.virtual else self.name

    @property
    def venv(self) -> Path:
        return self.root / ".venvs" / self.env_name if self.env_name else self.root / ".venv"

    @property
    def lock_path(self) -> Path:
        return self.root / (f"pylock.{self.env_name}.toml" if self.env_name else "pylock.toml")

    @property
    def env_python(self) -> Optional[str]:
        return self.envs.get(self.env_name, {}).get("python") if self.env_name else None

    def with_env(self, name: str) -> "Project":
        """This project as its environment `name` of [tool.pkm.envs] sees it: its own venv
        (`.venvs/NAME`), lock (`pylock.NAME.toml`), Python and groups."""
        from pkm.errors import UsageError

        if name not in self.envs:
            raise UsageError(f"{self.label} has no environment `{name}`",
                             hint=f"its environments: {', '.join(sorted(self.envs)) or 'none'} ([tool.pkm.envs.NAME])")
        env = self.envs[name]
        return self._replace(env_name=name, default_groups=list(env.get("groups", self.default_groups)))


def find_project(start: Path, explicit: Optional[Path] = None) -> Path:
    """The pyproject.toml of `--project PATH` (a directory or the file), else the nearest one upward."""
    from pkm.project._find import nearest_pyproject

    return Path(nearest_pyproject(str(start), None if explicit is None else str(explicit)))


def requirement_list(values: Any, path: Any, text: str, key: str, table: Optional[str]) -> List[Any]:
    """The Requirements of the TOML array `key` (in `[table]`; None: the document's root) of `text`
    read from `path`; a wrong type or a bad requirement is InputFileError with the line."""
    from packaging.requirements import InvalidRequirement, Requirement

    line = key_line(text, key, table) if text else None
    where = f"[{table}] {key}" if table else f"`{key}`"
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputFileError(f"{where} must be a list of requirement strings", path=str(path), line=line,
                             hint=f'write {key} = ["rich>=13", "httpx"]')
    found = []
    for value in values:
        try:
            found.append(Requirement(value))
        except InvalidRequirement as exc:
            raise InputFileError(f"invalid requirement `{value}` in {where}", path=str(path), line=line,
                                 why=str(exc), hint="write a PEP 508 requirement, e.g. `rich>=13`") from None
    return found


def _groups(data: Dict[str, Any], path: Path, text: str) -> Dict[str, List[Any]]:
    from packaging.dependency_groups import resolve_dependency_groups

    raw = data.get("dependency-groups", {})
    if not isinstance(raw, dict):
        raise InputFileError("[dependency-groups] must be a table", path=str(path),
                             line=key_line(text, "dependency-groups"), hint='write [dependency-groups] dev = ["pytest"]')
    groups: Dict[str, List[Any]] = {}
    for name in raw:
        try:
            strings = list(resolve_dependency_groups(raw, name))
        except Exception as exc:  # packaging raises several types (cycles, bad objects, duplicates)
            raise InputFileError(f"dependency group `{name}` is invalid", path=str(path),
                                 line=key_line(text, name, "dependency-groups"), why=str(exc),
                                 hint="each entry is a requirement string or {include-group = \"NAME\"}") from None
        groups[name] = requirement_list(strings, path, text, name, "dependency-groups")
    return groups


def load_project(path: Path) -> Project:
    """Read and check the project at `path` (a pyproject.toml)."""
    return parse_project(read_text(path), path)


def parse_project(text: str, path: "str | os.PathLike[str]") -> Project:
    """Check the pyproject `text` (of the file at `path`, written or about to be). Without a
    [project] table but with [tool.pkm.workspace] it is a virtual workspace root (`virtual`)."""
    from packaging.utils import canonicalize_name

    path = Path(path)

    data = parse_toml(text, path)
    project = data.get("project")
    tool = data.get("tool", {}).get("pkm", {}) if isinstance(data.get("tool"), dict) else {}
    if project is None and isinstance(tool, dict) and isinstance(tool.get("workspace"), dict):
        return Project(root=path.parent, path=path, name="", requires_python=None, dependencies=[], optional={},
                       groups=_groups(data, path, text), default_groups=_default_groups(tool, path, text), text=text,
                       envs=_envs(tool, path, text), virtual=True)
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise InputFileError("no [project] table with a name", path=str(path), line=key_line(text, "project"),
                             hint='add [project] with name = "..." (PEP 621), e.g. with `pkm new NAME`')
    optional_raw = project.get("optional-dependencies", {})
    if not isinstance(optional_raw, dict):
        raise InputFileError("[project] optional-dependencies must be a table", path=str(path),
                             line=key_line(text, "optional-dependencies", "project"),
                             hint='write [project.optional-dependencies] fast = ["uvloop"]')
    optional = {canonicalize_name(extra): requirement_list(values, path, text, extra, "project.optional-dependencies")
                for extra, values in optional_raw.items()}
    requires_python = project.get("requires-python")
    return Project(
        root=path.parent, path=path, name=project["name"],
        requires_python=str(requires_python) if requires_python is not None else None,
        dependencies=requirement_list(project.get("dependencies", []), path, text, "dependencies", "project"),
        optional=optional, groups=_groups(data, path, text), default_groups=_default_groups(tool, path, text), text=text,
        buildable=isinstance(data.get("build-system"), dict), envs=_envs(tool, path, text),
    )


def _default_groups(tool: Any, path: Path, text: str) -> List[str]:
    defaults = tool.get("default-groups", ["dev"]) if isinstance(tool, dict) else ["dev"]
    if not isinstance(defaults, list) or not all(isinstance(g, str) for g in defaults):
        raise InputFileError("[tool.pkm] default-groups must be a list of group names", path=str(path),
                             line=key_line(text, "default-groups", "tool.pkm"), hint='write default-groups = ["dev"]')
    return list(defaults)


def _envs(tool: Any, path: Path, text: str) -> Dict[str, Dict[str, Any]]:
    raw = tool.get("envs", {}) if isinstance(tool, dict) else {}
    if not isinstance(raw, dict):
        raise InputFileError("[tool.pkm.envs] must be a table of environments", path=str(path),
                             line=key_line(text, "envs", "tool.pkm"),
                             hint='write [tool.pkm.envs.py312] python = "3.12", groups = ["test"]')
    envs = {}
    for name, env in raw.items():
        line = key_line(text, "python", f"tool.pkm.envs.{name}")
        ok = isinstance(env, dict) and set(env) <= {"python", "groups"} and isinstance(env.get("python", ""), str) \
            and isinstance(env.get("groups", []), list) and all(isinstance(g, str) for g in env.get("groups", []))
        if not ok:
            raise InputFileError(f"[tool.pkm.envs.{name}] takes python (a string) and groups (a list of names)",
                                 path=str(path), line=line, hint='write python = "3.12", groups = ["test"]')
        envs[name] = dict(env)
    return envs
