"""The only code that prints: results on stdout, messages and progress on stderr.

The names below are loaded on first use (PEP 562): every command prints through
the console, few draw progress bars.
"""

from __future__ import annotations

from pkm._lazy import lazy_names

__all__ = ["Console", "Progress", "format_bytes", "render_error"]

_HOME = {"Console": "console", "render_error": "console", "Progress": "progress", "format_bytes": "progress"}

__getattr__, __dir__ = lazy_names(__name__, _HOME)
