"""Rendering a `packaging.pylock.Pylock` as TOML text: deterministic, stable, readable.

The standard library reads TOML but does not write it, and the lock's shape is
small and known, so this writer covers exactly what `Pylock.to_dict()` can
hold: strings, integers, booleans, datetimes, lists and tables.

Layout (the same input always gives the same bytes): the top-level keys first
in PEP 751's order, then one `[[packages]]` table per package, sorted by
normalized name then version; inside a package PEP 751's key order, the
sources (`sdist`, `archive`, `directory`, `vcs`) as inline tables, `wheels`
as an array with one inline table per line, sorted by file name; `tool`
tables last. Keys this module does not know are written after the known
ones in sorted order, so a newer `packaging` cannot make the output unstable.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Iterable, List, Mapping, Sequence

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = ["render_lock_dict"]

_TOP_ORDER = ("lock-version", "environments", "requires-python", "extras", "dependency-groups",
              "default-groups", "created-by")
_PACKAGE_ORDER = ("name", "version", "marker", "requires-python", "index", "dependencies", "vcs",
                  "directory", "archive", "sdist", "wheels", "attestation-identities")
_FILE_ORDER = ("name", "url", "path", "upload-time", "size", "hashes")
_SOURCE_ORDER = ("type", "url", "path", "editable", "requested-revision", "commit-id", "subdirectory",
                 "upload-time", "size", "hashes")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _ordered(mapping: Mapping[str, Any], order: Sequence[str]) -> List[str]:
    known = [key for key in order if key in mapping]
    return known + sorted(key for key in mapping if key not in order)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # A literal string when it needs no escapes but has double quotes (markers read better so).
    if '"' in text and "'" not in text and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return "'" + text + "'"
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: Any, order: Sequence[str] = ()) -> str:
    """One TOML value on one line (inline tables for mappings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(value[k])}" for k in _ordered(value, order)) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item, order) for item in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} to TOML: {value!r}")


def _multiline_array(key: str, items: Iterable[Any], order: Sequence[str]) -> List[str]:
    lines = [f"{_key(key)} = ["]
    lines += [f"    {_value(item, order)}," for item in items]
    lines.append("]")
    return lines


def _table_lines(table: Mapping[str, Any], header: str, order: Sequence[str] = ()) -> List[str]:
    """`[header]` with scalar keys, then sub-tables `[header.key]` for nested mappings."""
    lines = [f"[{header}]"]
    nested = []
    for key in _ordered(table, order):
        value = table[key]
        if isinstance(value, Mapping) and value:
            nested.append(key)
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    if len(lines) == 1 and nested:
        lines = []  # a table holding only tables needs no header of its own
    for key in nested:
        lines += ([""] if lines else []) + _table_lines(table[key], f"{header}.{_key(key)}")
    return lines


def _version_key(value: Any) -> Any:
    try:
        return (0, Version(str(value)), "")
    except InvalidVersion:
        return (1, Version("0"), str(value))


def _package_sort_key(package: Mapping[str, Any]) -> tuple:
    return (canonicalize_name(str(package.get("name", ""))), _version_key(package.get("version", "")))


def _package_lines(package: Mapping[str, Any]) -> List[str]:
    lines = ["[[packages]]"]
    tool = package.get("tool")
    for key in _ordered(package, _PACKAGE_ORDER):
        value = package[key]
        if key == "tool":
            continue
        if key == "wheels":
            wheels = sorted(value, key=lambda w: str(w.get("name") or w.get("url") or w.get("path") or ""))
            lines += _multiline_array(key, wheels, _FILE_ORDER)
        elif key in ("dependencies", "attestation-identities") or (
                isinstance(value, (list, tuple)) and value and isinstance(value[0], Mapping)):
            lines += _multiline_array(key, value, ())
        else:
            lines.append(f"{_key(key)} = {_value(value, _SOURCE_ORDER if key != 'sdist' else _FILE_ORDER)}")
    if isinstance(tool, Mapping) and tool:
        lines += [""] + _table_lines(tool, "packages.tool")
    return lines


def render_lock_dict(data: Mapping[str, Any]) -> str:
    """The TOML text of a lock given as `Pylock.to_dict()` returns it. Cost: linear in its size."""
    lines: List[str] = []
    for key in _ordered(data, _TOP_ORDER):
        if key in ("packages", "tool"):
            continue
        value = data[key]
        if isinstance(value, Mapping):
            raise TypeError(f"unexpected table at the top of a lock: {key}")
        lines.append(f"{_key(key)} = {_value(value)}")
    packages = sorted(data.get("packages", ()), key=_package_sort_key)
    if not packages:
        lines.append("packages = []")  # required by PEP 751, even when nothing is locked
    for package in packages:
        lines += [""] + _package_lines(package)
    tool = data.get("tool")
    if isinstance(tool, Mapping) and tool:
        lines += [""] + _table_lines(tool, "tool")
    return "\n".join(lines) + "\n"
