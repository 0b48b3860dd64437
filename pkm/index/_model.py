"""The values an index hands out (artifacts, project pages, not-found, offline) and the Index protocol."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterable, Mapping, Optional, Protocol, Tuple, Union

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

if TYPE_CHECKING:
    from packaging.metadata import Metadata

__all__ = [
    "Artifact",
    "ProjectPage",
    "NotFound",
    "Offline",
    "Index",
    "Progress",
    "name_and_version",
    "page_artifact",
    "parse_artifact_filename",
    "unsafe_filename_reason",
    "redact_url",
]

# Called with (bytes so far, total or None) while an artifact downloads.
Progress = Callable[[int, Optional[int]], None]

SDIST_SUFFIXES = (".tar.gz", ".zip")


def parse_artifact_filename(filename: str) -> Tuple[str, Version, Optional[FrozenSet[Tag]], Tuple]:
    """(canonical name, version, wheel tags or None for an sdist, build tag) of an artifact file name.

    Raises ValueError (with a readable message) for a name that is neither a
    wheel nor a `.tar.gz`/`.zip` sdist, or whose version does not parse.
    """
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            return name, version, tags, build
        if filename.endswith(SDIST_SUFFIXES):
            name, version = parse_sdist_filename(filename)
            return name, version, None, ()
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ValueError(str(exc)) from None
    raise ValueError(f"{filename!r} is neither a wheel nor an sdist (.tar.gz, .zip)")


def name_and_version(filename: str) -> Tuple[str, Version]:
    """(canonical name, version) of an artifact file name, without parsing a wheel's tags.

    Index pages list thousands of files (numpy: over 10,000) and the tags of
    most are never looked at; this is the cheap part of the parse. The name
    and version parts are parsed once per distinct string (a page repeats
    them for every file of a version), and equal strings give the same
    `Version` object. Raises ValueError like `parse_artifact_filename`.
    """
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) in (5, 6) and parts[0]:
            name, version = _WHEEL_NAMES.get(parts[0]), _VERSIONS.get(parts[1])
            if name is not None and version is not None:  # the usual case, spelled out: once per file of a page
                return name, version
            try:
                return _part(_WHEEL_NAMES, parts[0], _wheel_name), _part(_VERSIONS, parts[1], Version)
            except ValueError:  # InvalidName, InvalidVersion: let the full parse say what is wrong
                pass
    elif filename.endswith(SDIST_SUFFIXES):
        # As packaging's parse_sdist_filename: split on the last dash (a PEP 440 version has none).
        stem = filename[:-7] if filename.endswith(".tar.gz") else filename[:-4]
        name_part, dash, version_part = stem.rpartition("-")
        if dash and name_part:
            name, version = _SDIST_NAMES.get(name_part), _VERSIONS.get(version_part)
            if name is not None and version is not None:
                return name, version
            try:
                return _part(_SDIST_NAMES, name_part, canonicalize_name), _part(_VERSIONS, version_part, Version)
            except ValueError:
                pass
    name, version, _, _ = parse_artifact_filename(filename)
    return name, version


# Parsed name and version parts by their text. Shared by every page of a process; only
# successful parses are kept (a failure is parsed again, to be reported). Wheel names are
# validated and sdist names are not (as packaging does), hence two tables.
_WHEEL_NAMES: Dict[str, str] = {}
_SDIST_NAMES: Dict[str, str] = {}
_VERSIONS: Dict[str, Version] = {}
_PARTS_KEPT = 100_000  # per table; past that a table starts over (a bound for long-lived processes)


def _wheel_name(text: str) -> str:
    return canonicalize_name(text, validate=True)


def _part(table: Dict[str, Any], text: str, parse: Callable[[str], Any]) -> Any:
    found = table.get(text)
    if found is None:
        if len(table) >= _PARTS_KEPT:
            table.clear()
        found = table[text] = parse(text)
    return found


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unsafe_filename_reason(filename: str) -> Optional[str]:
    """Why `filename` may not be used as a file name in a destination folder, or None when it is safe."""
    if not filename or filename in (".", ".."):
        return "it is empty or a dot name"
    if "/" in filename or "\\" in filename:
        return "it contains a path separator"
    if _CONTROL.search(filename):
        return "it contains control characters"
    if filename.startswith("."):
        return "it starts with a dot"
    if len(filename.encode("utf-8", "surrogatepass")) > 255:
        return "it is longer than 255 bytes"
    return None


def redact_url(url: str) -> str:
    """`url` with credentials (userinfo, token-like query values) masked: `pkm.http.redact`, imported lazily."""
    from pkm.http import redact  # the HTTP layer owns the rules; loaded only when a message needs it

    return redact(url)


@dataclass(frozen=True)
class Artifact:
    """One file on an index page (a wheel or an sdist) and what the page says about it.

    `yanked` is None when not yanked, else the reason ("" when none given).
    `core_metadata` is the hashes of the PEP 658 `.metadata` file, True when
    it exists without a hash, False when absent. `url` has no fragment; hashes
    from a `#sha256=...` fragment are in `hashes`. The derived properties
    parse `filename` (cached); an invalid filename raises ValueError there,
    which index pages never contain (they skip such entries).
    """

    filename: str
    url: str
    hashes: Mapping[str, str] = field(default_factory=dict, hash=False)
    requires_python: Optional[str] = None
    yanked: Optional[str] = None
    core_metadata: Union[Mapping[str, str], bool] = field(default=False, hash=False)
    size: Optional[int] = None
    upload_time: Optional[str] = None
    index_url: str = ""

    @functools.cached_property
    def _name_version(self) -> Tuple[str, Version]:
        return name_and_version(self.filename)

    @functools.cached_property
    def _parsed(self) -> Tuple[str, Version, Optional[FrozenSet[Tag]], Tuple]:
        return parse_artifact_filename(self.filename)

    @property
    def name(self) -> str:
        """The canonical project name from the file name."""
        return self._name_version[0]

    @property
    def version(self) -> Version:
        return self._name_version[1]

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def tags(self) -> FrozenSet[Tag]:
        """The wheel's tags (parsed on first use; ValueError if malformed); empty for an sdist."""
        return self._parsed[2] or frozenset()

    @property
    def build_tag(self) -> Tuple:
        return self._parsed[3]

    @property
    def sha256(self) -> Optional[str]:
        return self.hashes.get("sha256")


def page_artifact(filename: str, url: str, hashes: Mapping[str, str], requires_python: Optional[str],
                  yanked: Optional[str], core_metadata: Union[Mapping[str, str], bool], size: Optional[int],
                  upload_time: Optional[str], index_url: str, name_version: Tuple[str, Version]) -> Artifact:
    """The same Artifact as `Artifact(...)` with the given fields, its name and version already parsed.

    For page parsers and the page cache, which make tens of thousands per command: this is
    about twice as fast as the frozen dataclass's `__init__` (which sets fields one by one
    through `object.__setattr__`). The values must be of the field types (no checks).
    """
    artifact = _new(Artifact)
    artifact.__dict__.update({
        "filename": filename, "url": url, "hashes": hashes, "requires_python": requires_python, "yanked": yanked,
        "core_metadata": core_metadata, "size": size, "upload_time": upload_time, "index_url": index_url,
        "_name_version": name_version,  # what the cached property `_name_version` would compute
    })
    return artifact


_new = object.__new__


@dataclass(frozen=True)
class ProjectPage:
    """The artifacts an index (plus find-links) offers for one project.

    `versions` is PEP 700's list when the page has one, else derived from the
    artifacts (sorted oldest first). `skipped` says, one line each, which
    entries of the page were left out and why (hostile names, bad URLs...).
    """

    name: str
    artifacts: Tuple[Artifact, ...]
    index_url: str
    versions: Tuple[str, ...] = ()
    skipped: Tuple[str, ...] = ()


@dataclass(frozen=True)
class NotFound:
    """No index (nor find-links source) has the project; `searched` lists where we looked (redacted)."""

    name: str
    searched: Tuple[str, ...]


@dataclass(frozen=True)
class Offline:
    """The project page is not cached and the network is off."""

    name: str
    reason: str


class Index(Protocol):
    """Where projects, their metadata and their artifacts come from (see SimpleIndex, FakeIndex)."""

    def project_page(self, name: str) -> Union[ProjectPage, NotFound, Offline]:
        """The page of project `name` (any spelling). Memoized: called once per project per resolution."""

    def core_metadata(self, artifact: Artifact) -> "Metadata":
        """The core metadata of `artifact` (a wheel), verified; raises PkmError subclasses on failure."""

    def fetch_artifact(self, artifact: Artifact, dest_dir: Path, *, progress: Optional[Progress] = None) -> Path:
        """Download `artifact` into `dest_dir` (hash-verified, atomic); returns the file's path."""

    def prefetch(self, names: Iterable[str], *, metadata_for: Iterable[Artifact] = ()) -> None:
        """Warm the caches: fetch these pages and metadata concurrently; errors surface on the real call."""
