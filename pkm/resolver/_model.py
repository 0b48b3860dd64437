"""The resolver's vocabulary: the root and Python virtual packages, extras as packages, options, projects."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

__all__ = ["Contradiction", "Options", "PLATFORMS", "PRERELEASE_POLICIES", "PYTHON", "ROOT", "split_package"]

PRERELEASE_POLICIES = ("if-necessary", "allow", "disallow")

#: `--platform` values and what they stand for: (sys_platform, platform_system, os_name, machine).
PLATFORMS = {
    "linux": ("linux", "Linux", "posix", "x86_64"),
    "macos": ("darwin", "Darwin", "posix", "arm64"),
    "windows": ("win32", "Windows", "nt", "AMD64"),
}


class _Virtual:
    """A package that is not a project: the root, or the target Python."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label

    __str__ = __repr__


ROOT = _Virtual("you")
PYTHON = _Virtual("Python")


def split_package(package: Hashable) -> Tuple[str, Optional[str]]:
    """("rich", "jupyter") for "rich[jupyter]", ("rich", None) for "rich"."""
    text = str(package)
    if text.endswith("]") and "[" in text:
        base, _, extra = text[:-1].partition("[")
        return base, extra
    return text, None


def _names(values: Iterable[str]) -> frozenset:
    found = set()
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item:
                found.add(item if item.startswith(":") else canonicalize_name(item))
    return frozenset(found)


@dataclass(frozen=True)
class Options:
    """How to choose: pre-release policy, binary/source rules, constraints and overrides.

    `no_binary`, `only_binary` and `no_build` hold project names or ":all:" (a comma-separated
    value is split). `constraints` narrow a project's versions wherever it is required, never
    adding it; `overrides` replace every requirement on their project (the specifier and marker
    of the override win). `tmp_dir` is where sdists are downloaded to read their PKG-INFO.
    `preferences` are (name, version) pairs, e.g. from an existing lock: that version is tried
    first whenever it is in range and acceptable, so a re-lock changes as little as possible.
    `build_metadata` reads the metadata of an sdist whose metadata is not static, by building it.
    """

    prereleases: str = "if-necessary"
    no_binary: frozenset = frozenset()
    only_binary: frozenset = frozenset()
    no_build: frozenset = frozenset()
    constraints: Tuple[Requirement, ...] = ()
    overrides: Tuple[Requirement, ...] = ()
    tmp_dir: Optional[Path] = None
    preferences: Tuple[Tuple[str, Version], ...] = ()
    #: sdist artifact -> its core metadata, by building it (PEP 517); None: such versions are
    #: unavailable. Called only for sdists without static (PEP 643) metadata, once per version.
    build_metadata: Optional[Callable[[Any], Any]] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.prereleases not in PRERELEASE_POLICIES:
            raise ValueError(f"prereleases must be one of {PRERELEASE_POLICIES}, not {self.prereleases!r}")
        for attribute in ("no_binary", "only_binary", "no_build"):
            value = getattr(self, attribute)
            object.__setattr__(self, attribute, _names([value] if isinstance(value, str) else value))

    def applies(self, attribute: str, name: str) -> bool:
        names = getattr(self, attribute)
        return ":all:" in names or name in names


class Contradiction(Exception):
    """The root's own requirements on one package admit no version (`a==1` and `a==2`)."""

    def __init__(self, name: str, requirements: Sequence[str]) -> None:
        super().__init__(name)
        self.name, self.requirements = name, tuple(requirements)


class _Project:
    """One project's page, grouped by version (newest first)."""

    __slots__ = ("name", "versions", "index_url", "missing")

    def __init__(self, name: str, page: Any) -> None:
        self.name = name
        self.versions: Dict[Version, List[Any]] = {}
        self.index_url = ""
        self.missing: Optional[str] = None
        if not has_files(page):
            searched = ", ".join(getattr(page, "searched", ()) or ())
            self.missing = f"{name} was not found on the index" + (f" (searched: {searched})" if searched else "")
            return
        self.index_url = getattr(page, "index_url", "")
        by_version = getattr(page, "by_version", None)  # a lazy page: each version's files made when read
        grouped = by_version() if by_version is not None else _grouped(page.artifacts)
        self.versions = {v: grouped[v] for v in _newest_first(grouped)}


def has_files(page: Any) -> bool:
    """Whether an index's answer for a project is a page of files (not "not found" nor "offline").
    A lazy page (one with `by_version`) is not asked for its `artifacts`: that would make them all."""
    return getattr(page, "by_version", None) is not None or getattr(page, "artifacts", None) is not None


def _newest_first(versions: Iterable[Version]) -> List[Version]:
    """`versions` sorted newest first. By packaging's comparison key where Version has one
    (the same order, without a Python-level `__lt__` per comparison: pages have thousands)."""
    try:
        return sorted(versions, key=_version_key, reverse=True)
    except (AttributeError, TypeError):
        return sorted(versions, reverse=True)


_version_key = operator.attrgetter("_key")


def _grouped(artifacts: Sequence[Any]) -> Dict[Version, List[Any]]:
    """Artifacts by version, in page order. Pages have thousands of files for a few hundred
    versions, and an index hands out one Version object per version text, so files are
    grouped by object first (hashing a Version is a Python call); when two objects are equal
    ("1.0" and "1.0.0"), by value, as a dict of Versions would."""
    by_object: Dict[int, Tuple[Version, List[Any]]] = {}
    for artifact in artifacts:
        version = artifact.version
        group = by_object.get(id(version))  # the Version is held in the group: its id stays its own
        if group is None:
            by_object[id(version)] = (version, [artifact])
        else:
            group[1].append(artifact)
    grouped = dict(by_object.values())
    if len(grouped) == len(by_object):
        return grouped
    grouped = {}
    for artifact in artifacts:
        grouped.setdefault(artifact.version, []).append(artifact)
    return grouped
