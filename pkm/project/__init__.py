"""Projects: pyproject.toml (PEP 621/735), workspaces, tasks and settings."""
