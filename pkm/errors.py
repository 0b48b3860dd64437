"""The error hierarchy every layer raises and `pkm.ui` renders.

An error is data: *what* failed (one line), optionally *why* (detail lines)
and a *hint* with the fix. The exit code belongs to the type: 1 for a
failure the user can act on, 2 for bad usage or a bad input file.
"""

from __future__ import annotations

__all__ = [
    "PkmError",
    "UsageError",
    "InputFileError",
    "NetworkError",
    "OfflineError",
    "NotFoundError",
    "HashMismatchError",
]


class PkmError(Exception):
    """A failure reported to the user as `error: <what>` and `hint: <hint>`."""

    exit_code = 1

    def __init__(self, what: str, *, why: str | None = None, hint: str | None = None):
        super().__init__(what)
        self.what = what
        self.why = why
        self.hint = hint

    def __str__(self) -> str:
        return self.what


class UsageError(PkmError):
    """The command line itself is wrong (unknown command, bad option value)."""

    exit_code = 2


class InputFileError(PkmError):
    """A file the user gave us (config, pyproject, requirements) is malformed.

    `path` and `line` locate the problem; `what` says what is wrong there.
    """

    exit_code = 2

    def __init__(
        self,
        what: str,
        *,
        path: str | None = None,
        line: int | None = None,
        why: str | None = None,
        hint: str | None = None,
    ):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + what, why=why, hint=hint)
        self.path = path
        self.line = line


class NetworkError(PkmError):
    """A server could not be reached, or did not answer properly, after retries."""


class NotFoundError(PkmError):
    """A package, version or file that was asked for does not exist."""


class HashMismatchError(PkmError):
    """Downloaded or stored bytes do not match the expected digest."""


class OfflineError(NetworkError):
    """The network is off (`--offline`) and the cache lacks what was asked for."""
