"""The variables a project gives the commands it runs: its `.env` file and `[tool.pkm.env]`.

    values = parse_dotenv(text, ".env")          # {"KEY": "VALUE", ...}, in file order
    env = project_variables(root, data, text, path, os.environ)   # what to add to os.environ

`.env` syntax, one variable per line: `KEY=VALUE`, optionally `export KEY=VALUE`;
blank lines and `# comments` are skipped; spaces around `=` are allowed. A value
is either bare (trimmed, a ` #` starts a comment), 'single-quoted' (taken as is),
or "double-quoted" (escapes \\n \\t \\" \\\\ \\$). Quoted values may span lines.
`${NAME}` in a bare or double-quoted value is replaced by NAME's value (from the
environment, else from an earlier line; empty when unset). A malformed line is
InputFileError (exit 2) naming the file and the line.

Precedence, weakest first: `[tool.pkm.env]` (shared, checked in), `.env` (local),
then the variables already set in the environment, which always win.
"""

from __future__ import annotations

import os
import re

from pkm.errors import InputFileError

TYPE_CHECKING = False  # `pkm exec` / `pkm run` import no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Any, Dict, Mapping, Optional, Tuple

__all__ = ["parse_dotenv", "project_variables", "tool_env"]

_ASSIGN = re.compile(r"(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}
_KEPT = "\x00$"  # an escaped `$`, hidden from ${NAME} expansion
_HINT = "write KEY=VALUE (or export KEY=VALUE); quote values with spaces or #: KEY=\"a b\""


def _expand(value: str, known: Mapping[str, str], outer: Mapping[str, str]) -> str:
    def lookup(match: "re.Match[str]") -> str:
        name = match.group(1)
        return outer[name] if name in outer else known.get(name, "")

    return _REFERENCE.sub(lookup, value)


def _double_quoted(text: str, start: int, path: str, line: int) -> Tuple[str, int]:
    """(the value, the index after its closing quote) of the string opening at text[start]."""
    out = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_KEPT if text[i + 1] == "$" else _ESCAPES[text[i + 1]])  # \$ survives expansion
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise InputFileError('unterminated "double-quoted" value', path=path, line=line, hint='close it with "')


def _after_value(text: str, end: int, path: str, line: int) -> int:
    """Index of the next line after a quoted value; only spaces and a comment may follow it."""
    newline = text.find("\n", end)
    rest = text[end:] if newline < 0 else text[end:newline]
    if rest.strip() and not rest.lstrip().startswith("#"):
        raise InputFileError(f"unexpected text after the quoted value: {rest.strip()!r}", path=path, line=line,
                             hint=_HINT)
    return len(text) if newline < 0 else newline + 1


def parse_dotenv(text: str, path: str = ".env", environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The variables `text` (a .env file read from `path`) defines, in order; `${NAME}` references
    are looked up in `environ` first, then in earlier lines. Cost: one pass over the text."""
    outer = environ or {}
    found: Dict[str, str] = {}
    pos, line, counted = 0, 1, 0
    while pos < len(text):
        line, counted = line + text.count("\n", counted, pos), pos
        newline = text.find("\n", pos)
        raw = text[pos:] if newline < 0 else text[pos:newline]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            pos = len(text) if newline < 0 else newline + 1
            continue
        lead = len(raw) - len(raw.lstrip())
        match = _ASSIGN.match(raw, lead)
        if match is None:
            what = "not a KEY=VALUE line" if "=" not in raw else "not a valid variable name"
            raise InputFileError(f"{what}: {stripped!r}", path=path, line=line, hint=_HINT)
        key, start = match.group(1), pos + match.end()
        if text.startswith("'", start):
            close = text.find("'", start + 1)
            if close < 0:
                raise InputFileError("unterminated 'single-quoted' value", path=path, line=line, hint="close it with '")
            value, end = text[start + 1:close], close + 1
        elif text.startswith('"', start):
            value, end = _double_quoted(text, start, path, line)
            value = _expand(value, found, outer).replace(_KEPT, "$")
        else:
            bare = text[start:] if newline < 0 else text[start:newline]
            comment = re.search(r"[ \t]#", bare)
            value = bare[:comment.start()] if comment else bare
            value, end = _expand(value.strip(), found, outer), start + len(bare)
        found[key] = value
        pos = _after_value(text, end, path, line)
    return found


def tool_env(data: Mapping[str, Any], text: str, path: str) -> Dict[str, str]:
    """`[tool.pkm.env]` of the parsed pyproject `data`: names to strings (anything else is InputFileError)."""
    from pkm._toml import key_line

    tool = data.get("tool")
    pkm = tool.get("pkm") if isinstance(tool, dict) else None
    table = pkm.get("env", {}) if isinstance(pkm, dict) else {}
    if not isinstance(table, dict):
        raise InputFileError("[tool.pkm] env must be a table of strings", path=path,
                             line=key_line(text, "env", "tool.pkm"), hint='write [tool.pkm.env] then KEY = "value"')
    for key, value in table.items():
        if not isinstance(value, str):
            raise InputFileError(f"[tool.pkm.env] {key} must be a string, not {type(value).__name__}", path=path,
                                 line=key_line(text, key, "tool.pkm.env"), hint=f'quote it: {key} = "{value}"')
    return dict(table)


def project_variables(root: str | os.PathLike[str], data: Mapping[str, Any], text: str, path: str,
                      environ: Mapping[str, str]) -> Dict[str, str]:
    """What the project adds to `environ`: `[tool.pkm.env]`, overlaid by `root/.env`, minus every
    name `environ` already sets (those win). Cost: reading .env when it exists."""
    from pkm._toml import read_text

    values = tool_env(data, text, path)
    dotenv = os.path.join(os.fspath(root), ".env")
    if os.path.isfile(dotenv):
        values.update(parse_dotenv(read_text(dotenv), dotenv, environ))
    return {key: value for key, value in values.items() if key not in environ}
