"""Progress bars on a terminal: one line, redrawn in place, at most ~10 times a second."""

from __future__ import annotations

import time

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import IO

__all__ = ["Progress", "NullProgress", "format_bytes"]


def format_bytes(n: float) -> str:
    """`512 B`, `237.5 KiB`, `1.2 MiB`: sizes as every pkm message shows them."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


class Progress:
    """A bar for `total` units (or a counter when total is None); use as a context manager.

    `unit="bytes"` shows sizes. Redraws are throttled, so calling `advance`
    per chunk of a download costs little.
    """

    interval = 0.1

    def __init__(self, stream: IO[str], label: str, total: int | None = None, *, unit: str = "items"):
        self.stream = stream
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self._last >= self.interval or (self.total is not None and self.done >= self.total):
            self._draw()

    def update(self, done: int, total: int | None = None) -> None:
        """Set absolute progress (the shape of download progress callbacks)."""
        if total is not None:
            self.total = total
        self.advance(done - self.done)

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[2K")
            self.stream.flush()
            self._drawn = False

    def _count(self, n: int) -> str:
        return format_bytes(n) if self.unit == "bytes" else str(n)

    def _draw(self) -> None:
        self._last = time.monotonic()
        import shutil  # only a drawn bar needs it

        width = shutil.get_terminal_size((80, 20)).columns
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            tail = f" {self._count(self.done)}/{self._count(self.total)}"
            bar_width = max(10, min(30, width - len(self.label) - len(tail) - 4))
            filled = int(bar_width * fraction)
            line = f"{self.label} [{'#' * filled}{'.' * (bar_width - filled)}]{tail}"
        else:
            line = f"{self.label} {self._count(self.done)}"
        self.stream.write("\r\033[2K" + line[: width - 1])
        self.stream.flush()
        self._drawn = True


class NullProgress:
    """The do-nothing progress used when stderr is not a terminal."""

    total = None
    done = 0

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def update(self, done: int, total: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass
