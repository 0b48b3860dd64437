"""Console: where results, messages, warnings and errors are written, and how."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import IO, Any

    from pkm.ui.progress import NullProgress, Progress

from pkm.errors import PkmError

__all__ = ["Console", "render_error"]

_RED, _YELLOW, _CYAN, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[36m", "\033[1m", "\033[0m"


def _wants_color(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def render_error(error: PkmError, *, color: bool = False) -> str:
    """`error: <what>`, indented `why` lines, then `hint: <hint>`; one string ending in a newline."""

    def label(text: str, code: str) -> str:
        return f"{_BOLD}{code}{text}{_RESET}" if color else text

    lines = [f"{label('error', _RED)}: {error.what}"]
    if error.why:
        lines.extend(f"  {line}" if line else "" for line in error.why.splitlines())
    if error.hint:
        lines.append(f"{label('hint', _CYAN)}: {error.hint}")
    return "\n".join(lines) + "\n"


class Console:
    """Writes for one command run.

    Two kinds of stdout, both printed as JSON (`data`) when `format == "json"`,
    quiet or not:

    - `result`: the command's answer, what the user ran it to see (pins, a
      listing, a tree, a path, settings). Printed even when quiet.
    - `summary`: a report of what a command that changes things did
      (installed, removed, locked, created, built, uploaded, "already in
      sync"). Not printed in text mode when quiet: `-q` means silence on
      success, as in pip and uv, while the exit code still tells.

    Everything else goes to stderr: `info` unless quiet, `detail` only when
    verbose, warnings unless quiet, errors always, progress only on a TTY and
    never in quiet or JSON mode.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        verbose: int = 0,
        format: str = "text",
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ):
        self.quiet = quiet
        self.verbose = 0 if quiet else verbose
        self.format = format
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr

    @property
    def json(self) -> bool:
        return self.format == "json"

    def result(self, text: str | None = None, *, data: Any = None) -> None:
        """The command's answer: `text` normally, `data` as JSON with `--format json`."""
        if self.json:
            import json

            self.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
        elif text is not None:
            self.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        self.stdout.flush()

    def summary(self, text: str | None = None, *, data: Any = None) -> None:
        """What a command did: as `result`, except that text is dropped when quiet (JSON is not)."""
        if self.quiet and not self.json:
            return
        self.result(text, data=data)

    def info(self, message: str) -> None:
        if not self.quiet:
            self._err(message)

    def detail(self, message: str) -> None:
        if self.verbose:
            self._err(message)

    def warn(self, message: str) -> None:
        if not self.quiet:
            color = _wants_color(self.stderr)
            prefix = f"{_BOLD}{_YELLOW}warning{_RESET}" if color else "warning"
            self._err(f"{prefix}: {message}")

    def error(self, error: PkmError) -> None:
        self.stderr.write(render_error(error, color=_wants_color(self.stderr)))
        self.stderr.flush()

    def progress(self, label: str, total: int | None = None, *, unit: str = "items") -> Progress | NullProgress:
        """A progress bar on stderr when it is a TTY (and output is for a person), else a no-op."""
        tty = hasattr(self.stderr, "isatty") and self.stderr.isatty()
        if self.quiet or self.json or not tty:
            from pkm.ui.progress import NullProgress

            return NullProgress()
        from pkm.ui.progress import Progress

        return Progress(self.stderr, label, total, unit=unit)

    def _err(self, message: str) -> None:
        self.stderr.write(message + "\n")
        self.stderr.flush()
