"""pkm: a Python package manager built around a runtime import-hook layer."""

__version__ = "0.1.0"
__all__ = ["__version__"]
