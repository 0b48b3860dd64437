"""The only code that prints: results on stdout, messages and progress on stderr.

The names below are loaded on first use (PEP 562): every command prints through
the console, few draw progress bars.
"""

from __future__ import annotations

import sys

__all__ = ["Console", "Progress", "format_bytes", "render_error"]

_HOME = {"Console": "console", "render_error": "console", "Progress": "progress", "format_bytes": "progress"}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'pkm.ui' has no attribute {name!r}")
    module = f"pkm.ui.{_HOME[name]}"
    __import__(module)
    value = getattr(sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
