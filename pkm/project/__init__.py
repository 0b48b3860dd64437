"""Projects: pyproject.toml (PEP 621/735), workspaces, tasks and settings.

The names below are loaded on first use (PEP 562): every command reads
`pkm.project.settings`, and that must not import the project model.
"""

from __future__ import annotations

from pkm._lazy import lazy_names

__all__ = ["Project", "find_project", "in_workspace", "load_project", "nearest_pyproject", "parse_project",
           "workspace_members"]

_HOME = {
    "Project": "_pyproject", "find_project": "_pyproject", "load_project": "_pyproject",
    "parse_project": "_pyproject", "in_workspace": "_workspace", "workspace_members": "_workspace",
    "nearest_pyproject": "_find",
}

__getattr__, __dir__ = lazy_names(__name__, _HOME)
