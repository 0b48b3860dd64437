"""The only code that prints: results on stdout, messages and progress on stderr."""

from pkm.ui.console import Console, render_error
from pkm.ui.progress import Progress

__all__ = ["Console", "Progress", "render_error"]
