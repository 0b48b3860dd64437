"""Projects: pyproject.toml (PEP 621/735), workspaces, tasks and settings.

The names below are loaded on first use (PEP 562): every command reads
`pkm.project.settings`, and that must not import the project model.
"""

from __future__ import annotations

import sys

__all__ = ["Project", "find_project", "in_workspace", "load_project", "parse_project", "workspace_members"]

_HOME = {
    "Project": "_pyproject", "find_project": "_pyproject", "load_project": "_pyproject",
    "parse_project": "_pyproject", "in_workspace": "_workspace", "workspace_members": "_workspace",
}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'pkm.project' has no attribute {name!r}")
    module = f"pkm.project.{_HOME[name]}"
    __import__(module)
    value = getattr(sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
