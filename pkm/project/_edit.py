"""Edit string arrays in TOML text (dependency lists) while keeping every other byte as it was.

    text = add_item(text, "project", "dependencies", "rich>=14")
    text, removed = remove_items(text, "dependency-groups", "dev", lambda item: name_of(item) == "pytest")

Only what `pkm add` and `pkm remove` need: a `key = [ "string", ... ]` array in a
`[table]` (created when missing). Comments, blank lines, quoting style, trailing
commas and the layout (one line, or one item per line) are preserved; a new item
follows the style of its neighbours. The result is parsed again by the caller, so
an edit can never leave a file that does not load.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Tuple

__all__ = ["add_item", "remove_items"]

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def _table_span(lines: List[str], table: str) -> Optional[Tuple[int, int]]:
    """(first line after the header, line of the next header) of `[table]` ("" for the root), or None."""
    start = 0 if table == "" else None
    for number, line in enumerate(lines):
        match = _HEADER.match(line)
        if match is None or line.lstrip().startswith("[["):
            continue
        name = ".".join(part.strip().strip("\"'") for part in match.group(1).split("."))
        if start is not None:
            return start, number
        if name == table:
            start = number + 1
    return (start, len(lines)) if start is not None else None


def _key_pattern(key: str) -> "re.Pattern[str]":
    return re.compile(r"^(\s*)([\"']?)" + re.escape(key) + r"\2\s*=\s*\[")


def _array_end(text: str, start: int) -> int:
    """The index of the `]` closing the array whose `[` is at `start` (strings and comments skipped)."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char in "\"'":
            triple = text[index:index + 3] == char * 3
            quote = char * 3 if triple else char
            index += len(quote)
            while index < len(text) and not text.startswith(quote, index):
                index += 2 if (char == '"' and text[index] == "\\") else 1
            index += len(quote)
            continue
        if char == "#":
            index = text.find("\n", index)
            if index < 0:
                break
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError("unterminated array")


def _locate(text: str, table: str, key: str) -> Optional[Tuple[int, int]]:
    """(index of `[`, index of `]`) of the array `key` in `[table]`, or None."""
    lines = text.splitlines(keepends=True)
    span = _table_span([line.rstrip("\r\n") for line in lines], table)
    if span is None:
        return None
    pattern = _key_pattern(key)
    offset = sum(len(line) for line in lines[:span[0]])
    for line in lines[span[0]:span[1]]:
        match = pattern.match(line)
        if match:
            opening = offset + match.end() - 1
            return opening, _array_end(text, opening)
        offset += len(line)
    return None


def _quote(item: str) -> str:
    return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_item(text: str, table: str, key: str, item: str) -> str:
    """`text` with the string `item` appended to the array `key` of `[table]` (both created if absent;
    table "" is the document's root, where a PEP 723 block keeps `dependencies`)."""
    found = _locate(text, table, key)
    if found is None:
        return _add_key(text, table, f"{key} = [{_quote(item)}]")
    opening, closing = found
    body = text[opening + 1:closing]
    if "\n" not in body:  # one line: [ "a", "b" ] -> [ "a", "b", "item" ]
        stripped = body.rstrip()
        if not stripped.strip():
            return text[:opening + 1] + _quote(item) + text[closing:]
        comma = "" if stripped.endswith(",") else ","
        return text[:opening + 1] + stripped + comma + " " + _quote(item) + body[len(stripped):] + text[closing:]
    # One item per line: copy the indentation of the last item, keep the closing bracket's line.
    line_start = text.rfind("\n", 0, closing) + 1
    before = text[opening + 1:line_start]
    items = [line for line in before.splitlines() if line.strip() and not line.strip().startswith("#")]
    indent = re.match(r"\s*", items[-1]).group(0) if items else "    "
    head = text[:line_start]
    if items:
        last_start = head.rstrip().rfind("\n") + 1
        code, _, _ = _split_comment(head[last_start:].rstrip("\n"))
        if not code.endswith((",", "[")):  # the comma goes right after the last item, before any comment
            end = last_start + len(code)
            head = head[:end] + "," + head[end:]
    return head + f"{indent}{_quote(item)},\n" + text[line_start:]


def _split_comment(line: str) -> Tuple[str, str, str]:
    """(code, "#", comment) of one line, a `#` inside a string not counting."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index].rstrip(), "#", line[index + 1:]
    return line, "", ""


def _add_key(text: str, table: str, assignment: str) -> str:
    lines = text.splitlines(keepends=True)
    span = _table_span([line.rstrip("\r\n") for line in lines], table)
    if span is None:  # (the root always has a span)
        tail = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + tail + f"[{table}]\n{assignment}\n"
    end = span[1]
    while end > span[0] and not lines[end - 1].strip():
        end -= 1
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, assignment + "\n")
    return "".join(lines)


_ITEM = re.compile(r"""(\s*)("(?:[^"\\]|\\.)*"|'[^']*')\s*(,?)([ \t]*#[^\n]*)?""")


def remove_items(text: str, table: str, key: str, matches: Callable[[str], bool]) -> Tuple[str, List[str]]:
    """`text` without the strings of array `key` in `[table]` for which `matches(value)`; and those values.

    A removed item takes its own line with it when it sat alone on one (comments beside it go too).
    """
    found = _locate(text, table, key)
    if found is None:
        return text, []
    opening, closing = found
    body = text[opening + 1:closing]
    removed: List[str] = []
    pieces: List[str] = []
    position = 0
    for match in _ITEM.finditer(body):
        if match.start() < position or not match.group(2):
            continue
        raw = match.group(2)
        value = raw[1:-1].encode("utf-8").decode("unicode_escape") if raw[0] == '"' else raw[1:-1]
        if not matches(value):
            continue
        removed.append(value)
        start, end = match.start(), match.end()
        line_start = body.rfind("\n", 0, match.start(2)) + 1
        line_end = body.find("\n", end)
        rest = body[end:line_end] if line_end >= 0 else body[end:]  # the array may sit on one line
        if body[line_start:match.start(2)].strip() == "" and rest.strip() == "":
            start, end = line_start, (line_end + 1 if line_end >= 0 else len(body))
        pieces.append(body[position:start])
        position = end
    pieces.append(body[position:])
    new_body = "".join(pieces)
    if "\n" not in new_body:
        new_body = re.sub(r",\s*$", "", new_body.strip())
        new_body = re.sub(r"^\s*,\s*", "", new_body)
    return text[:opening + 1] + new_body + text[closing:], removed
