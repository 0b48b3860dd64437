"""Environments: interpreters (probed, found), virtual environments, and what is installed in them.

The names below are loaded on first use (PEP 562), so a command that needs one
of them does not import the others.
"""

from __future__ import annotations

from pkm._lazy import lazy_names

__all__ = [
    "InstalledDist",
    "Interpreter",
    "Venv",
    "create_venv",
    "find_interpreter",
    "find_interpreters",
    "installed",
    "is_venv",
    "probe",
    "read_venv",
    "select_environment",
]

_HOME = {
    "InstalledDist": "dists", "installed": "dists",
    "Interpreter": "interpreter", "probe": "interpreter",
    "find_interpreter": "discovery", "find_interpreters": "discovery",
    "select_environment": "selection",
    "Venv": "venv", "create_venv": "venv", "is_venv": "venv", "read_venv": "venv",
}

__getattr__, __dir__ = lazy_names(__name__, _HOME)
