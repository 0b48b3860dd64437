"""Reading a project's extension methods and patches from pyproject.toml ([tool.pkm.extensions])."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pkm._toml import key_line, parse_toml, read_text
from pkm.errors import InputFileError
from pkm_runtime.extensions import iter_problems

__all__ = ["read_extensions", "parse_extensions"]

_TABLES = {
    "extensions": "TARGET = [specs]: a class as module.Class (or module:Qual.Name) and the functions to add to it",
    "patches": "MODULE = [specs]: functions called with the module object once it is imported",
    "extensions-options": "override = true lets an extension replace an attribute its target already has",
}
_SPEC_HINT = ('write "module:function" or "name=module:function" (a patch takes "module:function"), '
              'and quote dotted targets: "fractions.Fraction" = ["myext:as_percent"]')
_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
               dict: "a table"}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _line(text: str, key: str, table: str) -> int | None:
    """The line of `key` in [tool.pkm.<table>], of an unquoted dotted key, or of the table itself."""
    line = key_line(text, key, f"tool.pkm.{table}")
    if line is None:  # `fractions.Fraction = [...]` unquoted: TOML read it as a nested table
        first = re.compile(rf"^\s*{re.escape(key)}\s*\.", re.M)
        match = first.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
    return line or _table_line(text, table)


def _table_line(text: str, table: str) -> int | None:
    header = re.compile(rf"^\s*\[\s*tool\.pkm\.{re.escape(table)}\s*\]", re.M)
    match = header.search(text)
    if match:
        return text.count("\n", 0, match.start()) + 1
    return key_line(text, table, "tool.pkm")


def parse_extensions(text: str, path: str | Path) -> dict[str, Any]:
    """The extensions of the pyproject `text` read from `path`; see read_extensions."""
    data = parse_toml(text, path)
    tool = data.get("tool", {})
    pkm = tool.get("pkm", {}) if isinstance(tool, dict) else {}
    if not isinstance(pkm, dict):
        raise InputFileError(f"[tool.pkm] must be a table, not {_type_name(pkm)}", path=str(path),
                             line=key_line(text, "pkm", "tool"), hint="write it as a [tool.pkm] section")
    tables = {}
    for table, meaning in _TABLES.items():
        value = pkm.get(table, {})
        if not isinstance(value, dict):
            raise InputFileError(f"[tool.pkm.{table}] must be a table, not {_type_name(value)}", path=str(path),
                                 line=_table_line(text, table), hint=f"write it as a [tool.pkm.{table}] section of "
                                 f"{meaning}")
        tables[table] = value

    result: dict[str, Any] = {"extensions": {}, "patches": {}, "override": False}
    for table in ("extensions", "patches"):
        for key, specs in tables[table].items():
            if isinstance(specs, str):  # one spec: allow it without the brackets
                specs = [specs]
            if isinstance(specs, dict):
                raise InputFileError(f"[tool.pkm.{table}] `{key}` is a table, not an array of specs", path=str(path),
                                     line=_line(text, key, table), hint=_SPEC_HINT)
            if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
                got = _type_name(specs) if not isinstance(specs, list) else "an array holding " + ", ".join(
                    sorted({_type_name(s) for s in specs if not isinstance(s, str)}))
                raise InputFileError(f"[tool.pkm.{table}] `{key}` must be an array of strings, not {got}",
                                     path=str(path), line=_line(text, key, table), hint=_SPEC_HINT)
            result[table][key] = specs
    for table, key, problem in iter_problems(result["extensions"], result["patches"]):
        where = f'[tool.pkm.{table}] "{key}"' if key is not None else f"[tool.pkm.{table}]"
        raise InputFileError(f"{where}: {problem}", path=str(path),
                             line=_line(text, key, table) if key is not None else _table_line(text, table),
                             hint=_SPEC_HINT)

    options = tables["extensions-options"]
    for key, value in options.items():
        if key != "override":
            raise InputFileError(f"[tool.pkm.extensions-options] has no option `{key}` (known: override)",
                                 path=str(path), line=_line(text, key, "extensions-options"),
                                 hint=_TABLES["extensions-options"])
        if not isinstance(value, bool):
            raise InputFileError(f"[tool.pkm.extensions-options] `override` must be true or false, not "
                                 f"{_type_name(value)}", path=str(path),
                                 line=_line(text, key, "extensions-options"), hint=_TABLES["extensions-options"])
        result["override"] = value
    return result


def read_extensions(pyproject_path: str | Path) -> dict[str, Any]:
    """{"extensions": {TARGET: [spec]}, "patches": {MODULE: [spec]}, "override": bool} of a pyproject.toml.

    Empty tables when the project declares none. The result is plain JSON
    data, what the runtime manifest carries and pkm_runtime.extensions.install
    takes. A wrong type or a malformed spec is InputFileError (exit 2) with the
    file, the line and a hint. Costs one read and one TOML parse; nothing is
    imported from the specs (that happens when their targets are).
    """
    return parse_extensions(read_text(pyproject_path), pyproject_path)
