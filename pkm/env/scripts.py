"""Launchers for entry points and `#!python` rewriting for `.data/scripts` (POSIX)."""

from __future__ import annotations

import configparser
import re
import shlex
from typing import NamedTuple

from pkm.errors import PkmError

__all__ = ["EntryPoint", "parse_script_entry_points", "shebang", "launcher", "rewrite_shebang"]

# Linux truncates a `#!` line at 127 bytes (BINPRM_BUF_SIZE 128 with the newline); longer or
# space-holding interpreter paths go through /bin/sh, which then execs the interpreter.
_MAX_SHEBANG = 127
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SECTIONS = {"console_scripts": "console", "gui_scripts": "gui"}


class EntryPoint(NamedTuple):
    """A console or gui script: its file name, the `module:attr` it calls, and its section."""

    name: str
    module: str
    attr: str
    section: str  # "console" or "gui"


def parse_script_entry_points(text: str, *, wheel: str) -> list[EntryPoint]:
    """The console_scripts and gui_scripts of an `entry_points.txt`, validated.

    A script name must be a plain file name, the reference `module:attr` with dotted
    identifiers (extras in brackets are ignored, as pip does).
    """
    parser = configparser.RawConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment]  # script names are case-sensitive
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise PkmError(f"refusing to install {wheel}: entry_points.txt is malformed", why=str(exc).splitlines()[0], hint="rebuild the wheel") from None
    found = []
    for section, kind in _SECTIONS.items():
        if not parser.has_section(section):
            continue
        for name, value in parser.items(section):
            reference = value.split("[", 1)[0].strip()
            module, _, attr = (part.strip() for part in reference.partition(":"))
            bad_name = not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name
            if bad_name or not _DOTTED.match(module) or not _DOTTED.match(attr):
                raise PkmError(
                    f"refusing to install {wheel}: bad {section} entry {name!r} = {value!r}",
                    why="a script needs a plain name and a `module:attribute` reference",
                    hint="fix the entry points and rebuild the wheel",
                )
            found.append(EntryPoint(name, module, attr, kind))
    return found


def shebang(interpreter: str, args: str = "") -> bytes:
    """The first line(s) that run a script with `interpreter` (bytes, newline-terminated).

    A short, space-free path gets a plain `#!`; anything else the `/bin/sh` exec trick, whose
    second line is a no-op string literal to Python and an `exec` to the shell.
    """
    line = f"#!{interpreter}{' ' + args if args else ''}"
    if len(line.encode()) <= _MAX_SHEBANG and " " not in interpreter and "\n" not in interpreter:
        return (line + "\n").encode()
    quoted = shlex.quote(interpreter)
    exec_args = f" {args}" if args else ""
    return f"#!/bin/sh\n'''exec' {quoted}{exec_args} \"$0\" \"$@\"\n' '''\n".encode()


def launcher(entry: EntryPoint, interpreter: str) -> bytes:
    """A Python launcher for an entry point (console and gui scripts are the same on POSIX)."""
    top = entry.attr.split(".", 1)[0]
    body = (
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n"
        f"from {entry.module} import {top}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({entry.attr}())\n"
    )
    return shebang(interpreter) + body.encode()


def rewrite_shebang(data: bytes, interpreter: str) -> bytes:
    """`data` with a first line of `#!python` or `#!pythonw` (plus arguments) pointed at `interpreter`."""
    first, newline, rest = data.partition(b"\n")
    match = re.match(rb"^#!pythonw?(\s.*)?\r?$", first)
    if not match:
        return data
    args = (match.group(1) or b"").strip().decode("utf-8", "replace")
    return shebang(interpreter, args) + rest
