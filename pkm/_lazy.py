"""Packages whose names load on first use (PEP 562), so that importing one part imports no other.

A package lists where each of its public names lives and takes its module-level
`__getattr__` and `__dir__` from `lazy_names`. Quick commands depend on it: `pkm venv`
imports `pkm.env.venv` without the installed-distributions reader beside it.
"""

from __future__ import annotations

import sys

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: dict) -> tuple:
    """(`__getattr__`, `__dir__`) for `package`, where `homes` maps each public name to the
    submodule defining it. A name is imported on first access, then kept in the package."""

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = f"{package}.{homes[name]}"
        __import__(module)
        value = getattr(sys.modules[module], name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list:
        return sorted(homes)

    return __getattr__, __dir__
