"""Projects: pyproject.toml (PEP 621/735), workspaces, tasks and settings."""

from pkm.project._pyproject import Project, find_project, load_project, parse_project
from pkm.project._workspace import in_workspace, workspace_members

__all__ = ["Project", "find_project", "in_workspace", "load_project", "parse_project", "workspace_members"]
