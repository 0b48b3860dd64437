"""Reading pyproject.toml for the backend: the TOML file, the `[tool.pkm.build]` table, and the error type."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["ConfigError", "BuildConfig", "load_pyproject", "read_build_config", "expect", "relative_path"]


class ConfigError(ValueError):
    """The project cannot be built as declared: says which key, why, and how to fix it.

    `key` is the dotted TOML key at fault (e.g. `project.readme`), or the file.
    """

    def __init__(self, key: str, why: str, hint: str | None = None) -> None:
        self.key = key
        self.why = why
        self.hint = hint
        text = f"pyproject.toml: `{key}`: {why}"
        if hint:
            text += f"\nhint: {hint}"
        super().__init__(text)


def load_pyproject(root: Path) -> dict[str, Any]:
    """Parse `root/pyproject.toml` (tomllib, or tomli before 3.11); errors become ConfigError."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    path = root / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("pyproject.toml", f"no pyproject.toml in {root}",
                          "run the build from the project's root directory") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("pyproject.toml", f"invalid TOML: {exc}", "fix the syntax error in pyproject.toml") from None


def expect(value: Any, kind: type | tuple[type, ...], key: str, what: str) -> Any:
    """Return `value` if it is an instance of `kind`, else raise ConfigError naming `key` and `what` it must be."""
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(key, f"must be {what}, not {type(value).__name__} {value!r}")
    return value


def _string_list(value: Any, key: str) -> list[str]:
    expect(value, list, key, "an array of strings")
    for i, item in enumerate(value):
        expect(item, str, f"{key}[{i}]", "a string")
    return list(value)


def relative_path(text: str, key: str) -> str:
    """A POSIX path relative to the project root, without `..`: the only kind the backend reads or writes."""
    parts = text.replace("\\", "/").split("/")
    if not text or text.startswith(("/", "\\")) or ".." in parts or (len(text) > 1 and text[1] == ":"):
        raise ConfigError(key, f"{text!r} must be a relative path inside the project, without `..`")
    return "/".join(p for p in parts if p not in ("", "."))


@dataclass(frozen=True)
class BuildConfig:
    """`[tool.pkm.build]`, validated; see the `pkm.backend` docstring for the meaning of each key."""

    packages: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    force_include: Mapping[str, str] = field(default_factory=dict)
    version_file: str | None = None
    editable_force_include: str = "error"


_BUILD_KEYS = ("packages", "exclude", "include", "force-include", "version-file", "editable-force-include")


def read_build_config(pyproject: Mapping[str, Any]) -> BuildConfig:
    """Validate `[tool.pkm.build]` (absent: all defaults). Unknown keys are errors, so typos do not pass silently."""
    tool = pyproject.get("tool", {})
    pkm = expect(tool, dict, "tool", "a table").get("pkm", {})
    table = expect(expect(pkm, dict, "tool.pkm", "a table").get("build", {}), dict, "tool.pkm.build", "a table")
    unknown = sorted(set(table) - set(_BUILD_KEYS))
    if unknown:
        raise ConfigError(f"tool.pkm.build.{unknown[0]}", "unknown key",
                          f"the keys pkm.backend reads are: {', '.join(_BUILD_KEYS)}")
    packages = None
    if "packages" in table:
        packages = tuple(_string_list(table["packages"], "tool.pkm.build.packages"))
        for i, name in enumerate(packages):
            if not name.replace(".py", "").isidentifier() or "/" in name:
                raise ConfigError(f"tool.pkm.build.packages[{i}]", f"{name!r} is not a top-level import name",
                                  "list import names such as \"mypkg\" (a folder) or \"mymod.py\" (a module)")
    exclude = tuple(relative_path(g, "tool.pkm.build.exclude") for g in
                    _string_list(table.get("exclude", []), "tool.pkm.build.exclude"))
    include = tuple(relative_path(g, "tool.pkm.build.include") for g in
                    _string_list(table.get("include", []), "tool.pkm.build.include"))
    mapping = expect(table.get("force-include", {}), dict, "tool.pkm.build.force-include", "a table")
    force_include = {}
    for source, dest in mapping.items():
        key = f"tool.pkm.build.force-include.{source!r}"
        expect(dest, str, key, "a path inside the wheel (a string)")
        force_include[relative_path(source, key)] = relative_path(dest, key)
    version_file = table.get("version-file")
    if version_file is not None:
        version_file = relative_path(expect(version_file, str, "tool.pkm.build.version-file", "a path"),
                                      "tool.pkm.build.version-file")
    editable = table.get("editable-force-include", "error")
    if editable not in ("error", "skip"):
        raise ConfigError("tool.pkm.build.editable-force-include", f"must be \"error\" or \"skip\", not {editable!r}")
    return BuildConfig(packages, exclude, include, force_include, version_file, editable)
