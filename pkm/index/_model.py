"""The values an index hands out (artifacts, project pages, not-found, offline) and the Index protocol."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, FrozenSet, Iterable, Mapping, Optional, Protocol, Tuple, Union

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
    most are never looked at; this is the cheap part of the parse. Raises
    ValueError like `parse_artifact_filename`.
    """
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) in (5, 6) and parts[0]:
            try:
                return canonicalize_name(parts[0], validate=True), Version(parts[1])
            except ValueError:  # InvalidName, InvalidVersion: let the full parse say what is wrong
                pass
    name, version, _, _ = parse_artifact_filename(filename)
    return name, version


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
