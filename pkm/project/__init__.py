"""Projects: pyproject.toml (PEP 621/735), workspaces, tasks and settings."""

from pkm.project._pyproject import Project, find_project, load_project, parse_project

__all__ = ["Project", "find_project", "load_project", "parse_project"]
