"""Reading TOML files with errors that name the file, the line and the problem."""

from __future__ import annotations

import os
import re
import sys

from pkm.errors import InputFileError

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["load_toml", "parse_toml", "read_text", "key_line"]

_AT_LINE = r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)"  # compiled only for an error


def parse_toml(text: str, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse TOML `text` read from `path`; a syntax error becomes InputFileError (exit 2)."""
    if sys.version_info >= (3, 11):  # imported here: most runs read no TOML at all
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(_AT_LINE, message)
        line = None
        if match:
            message = message[: match.start()] + message[match.end():]
            line = int(match.group(1)) if match.group(1) else text.count("\n") + 1
        raise InputFileError(
            f"invalid TOML: {message.strip() or 'syntax error'}",
            path=str(path),
            line=line,
            hint="fix the syntax at that line (https://toml.io describes the format)",
        ) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a file the user gave us; unreadable or not UTF-8 is InputFileError (exit 2)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=os.fspath(path),
                             hint="save the file as UTF-8") from None
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror}", path=os.fspath(path),
                             hint="check that it exists and that you may read it") from None


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and parse the TOML file at `path` (UTF-8)."""
    return parse_toml(read_text(path), path)


def key_line(text: str, key: str, table: str | None = None) -> int | None:
    """Best-effort line number (1-based) of `key = ...` in `text`, inside `[table]` if given.

    TOML parsers report no positions for values that parse but are wrong
    (a number where a string belongs); this finds the line to point at.
    """
    in_table = table is None
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = table is None or stripped.strip("[] \t") == table
            continue
        if in_table and key_re.match(line):
            return number
    return None
