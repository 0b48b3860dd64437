"""Which files a project ships: layout detection (src/ or flat), globs, force-include mappings, `__version__`."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ._pyproject import BuildConfig, ConfigError

__all__ = ["Layout", "detect_layout", "glob_files", "GlobSet", "read_version", "package_files", "sdist_files"]

# Never shipped from inside a package or an included folder: caches and VCS data.
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".bzr", ".mypy_cache", ".pytest_cache",
                        ".ruff_cache", ".tox", ".nox", ".venv"})
_SKIP_SUFFIXES = (".pyc", ".pyo")


class GlobSet:
    """Glob patterns over project-relative POSIX paths: `*` stays within a segment, `**` spans segments.

    A pattern that matches a folder matches everything below it.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._regex = re.compile("|".join(f"(?:{_translate(p)})" for p in self.patterns) or r"(?!)")

    def matches(self, path: str) -> bool:
        parts = path.split("/")
        return any(self._regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts) + 1))


def _translate(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            body = body.replace("\\", "\\\\")
            out.append("[" + ("^" + body[1:] if body[0] == "!" else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Layout:
    """Where the import packages live: `source_root` is the project root (flat) or `src/` (src layout)."""

    root: Path
    source_root: Path
    packages: tuple[str, ...]  # folder names, or module file names ending in .py

    @property
    def prefix(self) -> str:
        """The source root relative to the project root: "" or "src/"."""
        return "" if self.source_root == self.root else self.source_root.relative_to(self.root).as_posix() + "/"


def detect_layout(root: Path, dist_name: str, config: BuildConfig) -> Layout:
    """Find the packages: `[tool.pkm.build] packages`, else the import name derived from the project name.

    Looks in `src/` first, then the root; all packages must sit in the same one. Raises ConfigError when
    nothing is found.
    """
    wanted = config.packages or (dist_name, dist_name + ".py")
    for base in (root / "src", root):
        found = tuple(n for n in wanted if (base / n).is_dir() or (n.endswith(".py") and (base / n).is_file()))
        if not config.packages and found:
            return Layout(root, base, found[:1])
        if config.packages and found:
            missing = [n for n in config.packages if n not in found]
            if missing:
                raise ConfigError("tool.pkm.build.packages", f"{missing[0]!r} is not in {base} beside {found[0]!r}",
                                  "keep all packages in src/ or all in the project root")
            return Layout(root, base, found)
    if config.packages:
        raise ConfigError("tool.pkm.build.packages", f"{config.packages[0]!r} not found in {root}/src or {root}")
    raise ConfigError("tool.pkm.build.packages", f"no package `{dist_name}` (or module `{dist_name}.py`) in "
                      f"{root}/src or {root}", "list the import packages: [tool.pkm.build] packages = [\"mypkg\"]")


def read_version(layout: Layout, config: BuildConfig) -> str:
    """`__version__ = "..."` from `version-file` or the first package's `__init__.py`, read with ast (no import)."""
    if config.version_file:
        relative = config.version_file
    else:
        first = layout.packages[0]
        relative = layout.prefix + (first if first.endswith(".py") else first + "/__init__.py")
    key = "tool.pkm.build.version-file" if config.version_file else "project.dynamic (version)"
    try:
        tree = ast.parse((layout.root / relative).read_bytes(), filename=relative)
    except (OSError, SyntaxError) as exc:
        raise ConfigError(key, f"cannot read `__version__` from {relative}: {exc}") from None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
            raise ConfigError(key, f"`__version__` in {relative} is not a plain string literal",
                              "write __version__ = \"1.2.3\" so the backend can read it without importing")
    raise ConfigError(key, f"no `__version__ = \"...\"` in {relative}",
                      "add one, or set `version` statically under [project]")


def _walk(root: Path, relative: str) -> Iterator[str]:
    """Project-relative POSIX paths of the files at or under `relative`, sorted, caches skipped."""
    start = root / relative
    if start.is_file():
        yield relative
        return
    for folder, dirs, files in os.walk(start):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        base = Path(folder).relative_to(root).as_posix()
        for name in sorted(files):
            if not name.endswith(_SKIP_SUFFIXES):
                yield f"{base}/{name}"


def glob_files(root: Path, pattern: str, key: str) -> list[str]:
    """Project-relative files matching a glob (folders matched contribute all their files).

    Raises ConfigError naming `key` for a pattern pathlib cannot use (e.g. `**` inside a segment).
    """
    out = set()
    try:
        matched = sorted(root.glob(pattern))
    except ValueError as exc:
        raise ConfigError(key, f"invalid glob {pattern!r}: {exc}", "use `**` only as a whole path segment") from None
    for path in matched:
        relative = path.relative_to(root).as_posix()
        if not set(relative.split("/")) & _SKIP_DIRS:
            out.update(_walk(root, relative))
    return sorted(out)


def package_files(layout: Layout, config: BuildConfig) -> dict[str, str]:
    """Wheel path -> project-relative source path for the packages and the force-include mappings.

    Everything inside a package folder ships (package data included) unless `exclude` matches it. Raises
    ConfigError when a mapping's source is missing or two sources claim the same wheel path.
    """
    exclude = GlobSet(config.exclude)
    out: dict[str, str] = {}
    for package in layout.packages:
        for relative in _walk(layout.root, layout.prefix + package):
            if not exclude.matches(relative):
                out[relative[len(layout.prefix):]] = relative
    for source, dest in sorted(config.force_include.items()):
        key = f"tool.pkm.build.force-include.{source!r}"
        if not (layout.root / source).exists():
            raise ConfigError(key, f"{source!r} does not exist in {layout.root}")
        for relative in _walk(layout.root, source):
            if exclude.matches(relative):
                continue
            target = dest + relative[len(source):]
            if target in out and out[target] != relative:
                raise ConfigError(key, f"{relative!r} and {out[target]!r} would both be {target!r} in the wheel")
            out[target] = relative
    return out


def sdist_files(layout: Layout, config: BuildConfig, extra: Iterable[str]) -> list[str]:
    """Project-relative files of the sdist: the wheel's sources, `include` globs and `extra` (readme, licenses)."""
    exclude = GlobSet(config.exclude)
    files = set(package_files(layout, config).values()) | set(extra) | {"pyproject.toml"}
    if config.version_file:
        files.add(config.version_file)
    for pattern in config.include:
        files.update(f for f in glob_files(layout.root, pattern, "tool.pkm.build.include") if not exclude.matches(f))
    return sorted(files)
