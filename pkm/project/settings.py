"""Settings and their precedence: CLI flag > PKM_* environment > [tool.pkm] > user config > default."""

from __future__ import annotations

import os
from collections import namedtuple
from types import MappingProxyType

from pkm.errors import InputFileError, UsageError

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping

__all__ = [
    "DEFAULT_INDEX_URL",
    "FIELDS",
    "Field",
    "Settings",
    "find_pyproject",
    "load_settings",
    "user_config_path",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple/"


class Field(namedtuple("Field", "key env kind help")):
    """One setting: its `key` in TOML files, its `env` variable, its `kind`
    ("str", "list", "bool", "float", "path" or "paths") and a `help` line."""

    __slots__ = ()

    @property
    def attr(self) -> str:
        return self.key.replace("-", "_")


FIELDS = (
    Field("index-url", "PKM_INDEX_URL", "str", "the main package index (PEP 503/691 simple API)"),
    Field("extra-index-url", "PKM_EXTRA_INDEX_URL", "list", "more indexes, searched before index-url, in order"),
    Field("find-links", "PKM_FIND_LINKS", "paths", "directories or pages of links to artifacts"),
    Field("offline", "PKM_OFFLINE", "bool", "never touch the network; use the cache"),
    Field("home", "PKM_HOME", "path", "the store and cache root"),
    Field("http-timeout", "PKM_HTTP_TIMEOUT", "float", "seconds to wait for a server"),
)


def _default_home(environ: Mapping[str, str]) -> str:
    return os.path.join(environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "pkm")


_DEFAULTS: dict[str, Callable[[Mapping[str, str]], Any]] = {
    "index-url": lambda env: DEFAULT_INDEX_URL,
    "extra-index-url": lambda env: (),
    "find-links": lambda env: (),
    "offline": lambda env: False,
    "home": _default_home,
    "http-timeout": lambda env: 30.0,
}


class Settings(namedtuple("Settings", "index_url extra_index_url find_links offline home http_timeout sources",
                          defaults=(MappingProxyType({}),))):
    """The effective settings of one command run, one attribute per field (`home` is an absolute
    path string, lists are tuples); `sources` maps each field's key to where its value came from."""

    __slots__ = ()

    @property
    def index_urls(self) -> tuple[str, ...]:
        """Indexes in search order: the extra ones first (as given), then the main one."""
        return (*self.extra_index_url, self.index_url)


def user_config_path(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "pkm", "config.toml")


def find_pyproject(start: str | os.PathLike[str]) -> str | None:
    """The nearest pyproject.toml at or above `start` (symbolic links resolved), or None."""
    directory = os.path.realpath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _from_env(f: Field, raw: str) -> Any:
    if f.kind == "bool":
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        raise UsageError(f"{f.env}={raw!r} is not a boolean", hint=f"set {f.env} to 1 or 0")
    if f.kind == "float":
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not _positive(value):
            raise UsageError(f"{f.env}={raw!r} is not a positive number", hint=f"set {f.env} to a number of seconds")
        return value
    if f.kind in ("list", "paths"):
        return tuple(raw.split())
    return raw


def _positive(value: float) -> bool:
    return 0 < value < float("inf")  # NaN compares false


_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}


def _from_file(f: Field, value: Any, path: str, text: str, table: str | None) -> Any:
    def bad(expected: str) -> InputFileError:
        from pkm._toml import key_line

        got = _TYPE_NAMES.get(type(value), type(value).__name__)
        return InputFileError(
            f"`{f.key}` must be {expected}, not {got}",
            path=str(path),
            line=key_line(text, f.key, table),
            hint=f"{f.key} is {f.help}",
        )

    if f.kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if f.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _positive(value):
            raise bad("a positive number")
        return float(value)
    if f.kind in ("list", "paths"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if f.kind == "paths":  # relative paths are relative to the file that names them
            value = [v if "://" in v else os.path.realpath(os.path.join(os.path.dirname(path), v)) for v in value]
        return tuple(value)
    if not isinstance(value, str):
        raise bad("a string")
    if f.kind == "path":
        return os.path.realpath(os.path.join(os.path.dirname(path), os.path.expanduser(value)))
    return value


# `pkm` used as a TOML key: followed (past a closing quote and blanks) by `.`, `=` or `]`,
# or ending a line (a broken header, which the parser must get to report).
_PKM_KEY = r"""(?m)pkm["']?[ \t]*(?:[.=\]]|$)"""
# A header of a table below [tool.pkm] ([tool.pkm.build], [[tool.pkm.x]]): it sets no key of [tool.pkm].
_SUBTABLE_HEADER = r"""[ \t]*\[\[?[ \t]*tool[ \t]*\.[ \t]*["']?pkm["']?[ \t]*\."""


def _may_set_keys(text: str) -> bool:
    """False only when `text` cannot give [tool.pkm] a key of its own: no `pkm` key but in the
    headers of its subtables. Parsing TOML (and importing tomllib) is most of a quick command's
    cost; a project with only [tool.pkm.build] or [tool.pkm.tasks] tables pays none of it here."""
    import re

    for found in re.finditer(_PKM_KEY, text):
        start = text.rfind("\n", 0, found.start()) + 1
        if not re.match(_SUBTABLE_HEADER, text[start:found.end()]):
            return True
    return False


def _file_layer(path: str, table: tuple[str, ...], warn: Callable[[str], None] | None) -> dict[str, tuple[Any, str]]:
    from pkm._toml import parse_toml, read_text  # only when a file exists: most runs read no TOML

    text = read_text(path)
    if table and not _may_set_keys(text):
        return {}  # settings live in [tool.pkm] itself: a pyproject.toml without keys there is not parsed
    data = parse_toml(text, path)
    for part in table:
        data = data.get(part, {})
        if not isinstance(data, dict):
            raise InputFileError(f"[{'.'.join(table)}] must be a table", path=str(path),
                                 hint=f"write it as a [{'.'.join(table)}] section of key = value lines")
    table_name = ".".join(table) or None
    where = f"{path} [{table_name}]" if table_name else str(path)
    layer = {}
    known = {f.key: f for f in FIELDS}
    for key, value in data.items():
        f = known.get(key)
        if f is None:
            # [tool.pkm] also holds tables owned by other features (tasks, extensions, ...)
            if not table and warn is not None:
                warn(f"{path}: unknown setting `{key}` ignored (known: {', '.join(known)})")
            continue
        layer[key] = (_from_file(f, value, path, text, table_name), where)
    return layer


def load_settings(
    cli: Mapping[str, Any] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Merge the layers; `cli` maps field keys (e.g. "index-url") to values given on the command line.

    Costs a stat per parent directory and, when present, parsing two small TOML files.
    Malformed files raise InputFileError (exit 2) naming the file and line.
    """
    environ = os.environ if environ is None else environ
    layers: list[dict[str, tuple[Any, str]]] = []
    user = user_config_path(environ)
    if os.path.isfile(user):
        layers.append(_file_layer(user, (), warn))
    pyproject = find_pyproject(os.getcwd() if cwd is None else cwd)
    if pyproject is not None:
        layers.append(_file_layer(pyproject, ("tool", "pkm"), warn))
    layers.append({f.key: (_from_env(f, environ[f.env]), f.env) for f in FIELDS if f.env in environ})
    layers.append({k: (v, f"--{k}") for k, v in (cli or {}).items() if v is not None})

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for f in FIELDS:
        value, source = _DEFAULTS[f.key](environ), "default"
        for layer in layers:
            if f.key in layer:
                value, source = layer[f.key]
        if f.kind in ("list", "paths"):
            value = tuple(value)
        values[f.attr] = os.path.abspath(value) if f.kind == "path" else value
        sources[f.key] = source
    return Settings(**values, sources=sources)
