"""Requirements files (pip's format, the common subset): requirements, constraints, hashes, index options.

Supported: `#` comments (at a line's start or after whitespace), blank lines,
a trailing backslash joining lines, `-r/--requirement FILE` and
`-c/--constraint FILE` (relative to the including file, nested, cycles refused),
`--hash=sha256:HEX` after a requirement, and the index options `-i/--index-url`,
`--extra-index-url`, `-f/--find-links`, `--pre`, `--only-binary`. Anything else
(an editable `-e`, an unknown option, a malformed requirement) is InputFileError
naming the file and line (exit 2).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from pkm.errors import InputFileError

__all__ = ["Entry", "RequirementsFile", "parse_requirements", "parse_requirements_text"]


@dataclass(frozen=True)
class Entry:
    """One requirement with its `--hash` values (`"sha256:..."`) and where it was written."""

    requirement: object  # packaging.requirements.Requirement
    hashes: Tuple[str, ...]
    path: str
    line: int


@dataclass
class RequirementsFile:
    """What a requirements file (and those it includes) asks for."""

    requirements: List[Entry] = field(default_factory=list)
    constraints: List[Entry] = field(default_factory=list)
    index_url: Optional[str] = None
    extra_index_urls: List[str] = field(default_factory=list)
    find_links: List[str] = field(default_factory=list)
    pre: bool = False
    only_binary: List[str] = field(default_factory=list)


_INCLUDES = {"-r": "requirement", "--requirement": "requirement", "-c": "constraint", "--constraint": "constraint"}
_VALUE_OPTIONS = {"-i": "index_url", "--index-url": "index_url", "--extra-index-url": "extra_index_urls",
                  "-f": "find_links", "--find-links": "find_links", "--only-binary": "only_binary"}


def _logical_lines(text: str) -> List[Tuple[int, str]]:
    """(first physical line number, text) with continuations joined and comments dropped."""
    result: List[Tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if not pending:
            start = number
        if line.lstrip().startswith("#"):
            line = ""
        else:
            hash_at = line.find(" #")
            tab_at = line.find("\t#")
            cut = min([i for i in (hash_at, tab_at) if i >= 0], default=-1)
            if cut >= 0:
                line = line[:cut]
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            result.append((start, joined))
    if pending.strip():
        result.append((start, pending.strip()))
    return result


def _split_option(words: List[str], i: int, where: str, number: int) -> Tuple[str, str, int]:
    """(option, value, next index) for `--opt VALUE` or `--opt=VALUE`."""
    word = words[i]
    if word.startswith("--") and "=" in word:
        name, _, value = word.partition("=")
        return name, value, i + 1
    if i + 1 >= len(words):
        raise InputFileError(f"{word} needs a value", path=where, line=number,
                             hint=f"write `{word} VALUE` on that line")
    return word, words[i + 1], i + 2


def _requirement(text: str, where: str, number: int):
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise InputFileError(f"invalid requirement `{text}`", path=where, line=number, why=str(exc),
                             hint="write a PEP 508 requirement, e.g. `rich>=13` or `requests[socks]==2.32.3`") from None
    if req.url:
        raise InputFileError(f"`{text}` is a direct URL requirement, which pkm cannot install yet", path=where,
                             line=number, hint="name the package and a version from an index instead")
    return req


def _parse_line(number: int, line: str, where: str, base: Path, into: RequirementsFile,
                kind: str, seen: Tuple[Path, ...]) -> None:
    if not line.startswith("-"):
        _parse_requirement_line(number, line, where, into, kind)
        return
    words = _words(line, where, number)
    first = words[0]
    if first in ("-e", "--editable") or first.startswith("--editable="):
        raise InputFileError("editable requirements are not supported yet", path=where, line=number,
                             hint="install the project without -e, or build a wheel of it first")
    head = first.partition("=")[0] if first.startswith("--") else first
    if head in _INCLUDES or (first.startswith("-r") or first.startswith("-c")) and len(first) > 2:
        if head in _INCLUDES:
            option, value, _ = _split_option(words, 0, where, number)
        else:
            option, value = first[:2], first[2:]
        included = _INCLUDES[option]
        child_kind = "constraint" if included == "constraint" or kind == "constraint" else "requirement"
        _parse_file(base / value, into, child_kind, seen, (where, number))
        return
    if head in _VALUE_OPTIONS:
        option, value, _ = _split_option(words, 0, where, number)
        attr = _VALUE_OPTIONS[option]
        if attr == "index_url":
            into.index_url = value
        else:
            getattr(into, attr).append(value)
        return
    if first == "--pre":
        into.pre = True
        return
    raise InputFileError(f"unknown option `{first}`", path=where, line=number,
                         hint="pkm reads requirements, -r, -c, --hash and index options from requirements files")


def _words(text: str, where: str, number: int) -> List[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise InputFileError(f"cannot split the line: {exc}", path=where, line=number,
                             hint="check the quotes on that line") from None


_OPTION_START = re.compile(r"\s--?[A-Za-z]")


def _parse_requirement_line(number: int, line: str, where: str, into: RequirementsFile, kind: str) -> None:
    """A requirement, maybe followed by per-requirement options (--hash); the requirement keeps its quotes."""
    match = _OPTION_START.search(line)
    req_text = line[: match.start()].strip() if match else line
    words = _words(line[match.start():], where, number) if match else []
    hashes: List[str] = []
    i = 0
    while i < len(words):
        option, value, i = _split_option(words, i, where, number)
        if option != "--hash":
            raise InputFileError(f"unknown option `{option}` after a requirement", path=where, line=number,
                                 hint="only --hash=sha256:HEX may follow a requirement")
        algorithm, sep, digest = value.partition(":")
        if not sep or algorithm != "sha256" or len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
            raise InputFileError(f"invalid hash `{value}`", path=where, line=number,
                                 hint="write --hash=sha256:<64 hex digits>")
        hashes.append(f"sha256:{digest.lower()}")
    entry = Entry(_requirement(req_text, where, number), tuple(hashes), where, number)
    (into.constraints if kind == "constraint" else into.requirements).append(entry)


def _parse_file(path: Path, into: RequirementsFile, kind: str, seen: Tuple[Path, ...],
                included_from: Optional[Tuple[str, int]] = None) -> None:
    resolved = path.resolve()
    if resolved in seen:
        where, number = included_from or (str(path), None)
        raise InputFileError(f"{path} includes itself (through {' -> '.join(str(p) for p in seen)})",
                             path=where, line=number, hint="remove the -r/-c line that closes the cycle")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        where, number = included_from or (str(path), None)
        what = f"cannot read {path}: {exc.strerror}" if included_from else f"cannot read the file: {exc.strerror}"
        raise InputFileError(what, path=where, line=number, hint="check the path") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)) from None
    parse_requirements_text(text, str(path), into=into, kind=kind, seen=seen + (resolved,), base=path.parent)


def parse_requirements_text(text: str, where: str, *, into: Optional[RequirementsFile] = None,
                            kind: str = "requirement", seen: Tuple[Path, ...] = (),
                            base: Optional[Path] = None) -> RequirementsFile:
    """Parse requirements-file `text` (named `where` in errors); includes resolve against `base`."""
    result = into if into is not None else RequirementsFile()
    for number, line in _logical_lines(text):
        _parse_line(number, line, where, base or Path("."), result, kind, seen)
    return result


def parse_requirements(path: Path) -> RequirementsFile:
    """Parse the requirements file at `path` and everything it includes. Cost: one read per file."""
    result = RequirementsFile()
    _parse_file(Path(path), result, "requirement", ())
    return result

