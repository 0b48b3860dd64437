"""The only code that prints: results on stdout, messages and progress on stderr."""

from pkm.ui.console import Console, render_error
from pkm.ui.progress import Progress, format_bytes

__all__ = ["Console", "Progress", "format_bytes", "render_error"]
