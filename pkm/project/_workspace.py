"""Workspaces: several projects with one lock and one `.venv`, members taken from source.

    [tool.pkm.workspace]
    members = ["packages/*"]          # globs of project directories, relative to this file
    exclude = ["packages/legacy"]     # optional

`in_workspace(project)` returns the project as the workspace sees it: the union of
every member's requirements (a requirement on another member is satisfied by that
member's source, never by an index, and its version must fit), the workspace root's
lock and venv, and the members (installed editable by sync). A project outside any
workspace comes back unchanged.

The root may be virtual (no [project], see `Project.virtual`): it is then no member,
contributes only its [dependency-groups], and must have at least one member.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from pkm._toml import key_line, parse_toml, read_text
from pkm.errors import InputFileError, PkmError

from ._pyproject import Project, load_project

__all__ = ["in_workspace", "workspace_members"]


def _globs(data: Dict[str, Any], path: Path, text: str, key: str) -> List[str]:
    values = data.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputFileError(f"[tool.pkm.workspace] {key} must be a list of glob patterns", path=str(path),
                             line=key_line(text, key, "tool.pkm.workspace"), hint=f'write {key} = ["packages/*"]')
    return values


def workspace_members(root_pyproject: Path) -> Optional[Dict[str, Project]]:
    """The members of the workspace declared in `root_pyproject` (normalized name -> Project, the
    root itself included when it has a [project]), or None when it declares none."""
    from packaging.utils import canonicalize_name

    text = read_text(root_pyproject)
    data = parse_toml(text, root_pyproject)
    table = ((data.get("tool") or {}).get("pkm") or {}).get("workspace")
    if not isinstance(table, dict):
        return None
    root = root_pyproject.parent
    excluded = {p.resolve() for glob in _globs(table, root_pyproject, text, "exclude") for p in root.glob(glob)}
    members: Dict[str, Project] = {}
    if isinstance(data.get("project"), dict):
        project = load_project(root_pyproject)
        members[canonicalize_name(project.name)] = project
    for glob in _globs(table, root_pyproject, text, "members"):
        for directory in sorted(root.glob(glob)):
            if directory.resolve() in excluded or not (directory / "pyproject.toml").is_file():
                continue
            project = load_project(directory / "pyproject.toml")
            name = canonicalize_name(project.name)
            if name in members and members[name].path.resolve() != project.path.resolve():
                raise InputFileError(f"two workspace members are named {name}", path=str(project.path),
                                     hint=f"rename one of {members[name].path} and {project.path}")
            members[name] = project
    return members


def _root_of(project: Project) -> Optional[Path]:
    """The pyproject.toml of the workspace `project` belongs to (itself included), or None."""
    here = project.path.resolve()
    for directory in (here.parent, *here.parent.parents):
        candidate = directory / "pyproject.toml"
        if not candidate.is_file() or "workspace" not in read_text(candidate):  # cheap test before parsing
            continue
        members = workspace_members(candidate)
        if members is not None and any(m.path.resolve() == here for m in members.values()):
            return candidate
    return None


def in_workspace(project: Project) -> Project:
    """`project` as its workspace sees it (see the module docstring); unchanged outside one."""
    from packaging.utils import canonicalize_name

    if project.members:  # already the workspace's view: merging again would repeat requires-python
        return project
    root_path = project.path.resolve() if project.virtual else _root_of(project)
    if root_path is None:
        return project
    members = workspace_members(root_path) or {}
    root = project if root_path == project.path.resolve() else load_project(root_path)
    if root.virtual and not members:
        raise _no_members(root)
    for name, member in list(members.items()):  # the caller's copy wins (e.g. an edit not yet written)
        if member.path.resolve() == project.path.resolve():
            members[name] = project
    own = set(members)

    def outside(requirements: List[Any], where: Project) -> List[Any]:
        kept = []
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name not in own:
                kept.append(requirement)
                continue
            version = _version(members[name])
            if version is not None and requirement.specifier and not requirement.specifier.contains(
                    version, prereleases=True):
                raise PkmError(f"{where.label} requires {requirement}, but the workspace's {name} is {version}",
                               hint=f"change the requirement in {where.path}, or the version of {name}")
        return kept

    dependencies: List[Any] = []
    optional: Dict[str, List[Any]] = {}
    groups: Dict[str, List[Any]] = {}
    pythons = []
    for member in list(members.values()) + ([root] if root.virtual else []):  # a virtual root: its groups
        dependencies += outside(member.dependencies, member)
        for extra, reqs in member.optional.items():
            optional.setdefault(extra, []).extend(outside(reqs, member))
        for group, reqs in member.groups.items():
            groups.setdefault(group, []).extend(outside(reqs, member))
        if member.requires_python:
            pythons.append(member.requires_python)
    return root._replace(
        dependencies=_unique(dependencies), optional={k: _unique(v) for k, v in optional.items()},
        groups={k: _unique(v) for k, v in groups.items()}, requires_python=",".join(sorted(set(pythons))) or None,
        members=tuple(sorted(members.values(), key=lambda m: m.name)),
    )


def _no_members(root: Project) -> PkmError:
    data = ((parse_toml(root.text, root.path).get("tool") or {}).get("pkm") or {}).get("workspace") or {}
    globs = ", ".join(f'"{g}"' for g in data.get("members", []))
    return InputFileError(f"the workspace root {root.path} has no [project] and its members match no project",
                          path=str(root.path), line=key_line(root.text, "members", "tool.pkm.workspace"),
                          why=f"members = [{globs}]: no directory with a pyproject.toml (after exclude)",
                          hint='fix the globs (relative to the root, e.g. "packages/*"), or add a [project] table')


def _unique(requirements: List[Any]) -> List[Any]:
    seen, kept = set(), []
    for requirement in requirements:
        if str(requirement) not in seen:
            seen.add(str(requirement))
            kept.append(requirement)
    return kept


def _version(project: Project) -> Any:
    from packaging.version import InvalidVersion, Version

    data = parse_toml(project.text, project.path).get("project", {})
    try:
        return Version(str(data["version"])) if "version" in data else None
    except InvalidVersion:
        return None
