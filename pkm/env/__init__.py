"""Environments: interpreters (probed, found), virtual environments, and what is installed in them.

The names below are loaded on first use (PEP 562), so a command that needs one
of them does not import the others.
"""

from __future__ import annotations

import sys

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


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'pkm.env' has no attribute {name!r}")
    module = f"pkm.env.{_HOME[name]}"
    __import__(module)  # not importlib: the quick commands' start path imports as little as it can
    value = getattr(sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
