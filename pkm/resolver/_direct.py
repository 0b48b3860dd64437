"""Direct URL requirements (`name @ https://.../name-1.0-py3-none-any.whl`, `name @ file:///...`).

A direct requirement pins its package to the one archive at the URL: the resolver
sees a project with a single version, read from the file name, whose metadata the
index reads from the archive like any other (range requests, or the local file).
"""

from __future__ import annotations

import posixpath
import urllib.parse
from typing import Dict, FrozenSet, Optional, Tuple

from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, canonicalize_name, parse_sdist_filename
from packaging.utils import parse_wheel_filename

from pkm.errors import UsageError

__all__ = ["DirectArtifact", "direct_artifact"]

_HASHES = ("sha256", "sha384", "sha512")


class DirectArtifact:
    """The archive a direct URL names, shaped like an index page's artifact (filename, url, hashes...)."""

    requires_python: Optional[str] = None
    yanked: Optional[str] = None
    core_metadata = False
    size: Optional[int] = None
    upload_time: Optional[str] = None
    index_url = ""

    def __init__(self, filename: str, url: str, hashes: Dict[str, str]) -> None:
        self.filename, self.url, self.hashes = filename, url, hashes
        self.tags: FrozenSet[Tag] = frozenset()
        self.build_tag: Tuple = ()
        if filename.endswith(".whl"):
            name, self.version, self.build_tag, self.tags = parse_wheel_filename(filename)
        else:
            name, self.version = parse_sdist_filename(filename)
        self.name = canonicalize_name(name)

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def sha256(self) -> Optional[str]:
        return self.hashes.get("sha256")

    def __repr__(self) -> str:
        return f"DirectArtifact({self.filename!r})"


def direct_artifact(requirement: Requirement) -> DirectArtifact:
    """The archive of a `name @ URL` requirement. UsageError for what pkm cannot take: VCS URLs,
    directories, other schemes, a file name that is no wheel/sdist or names another project."""
    url = requirement.url or ""
    parts = urllib.parse.urlsplit(url)
    hint = "point at a wheel or sdist file: `name @ https://host/name-1.0-py3-none-any.whl` (or file:///...)"
    if "+" in parts.scheme or not parts.scheme:  # VCS checkouts need building; bare paths are not URLs
        raise UsageError(f"`{requirement}`: pkm cannot use {parts.scheme or 'scheme-less'} URLs", hint=hint)
    filename = urllib.parse.unquote(posixpath.basename(parts.path))
    if not filename.endswith((".whl", ".tar.gz", ".zip")):
        raise UsageError(f"`{requirement}` does not name a wheel or an sdist (a directory needs building)", hint=hint)
    hashes: Dict[str, str] = {}
    for item in parts.fragment.split("&"):
        key, _, value = item.partition("=")
        if key in _HASHES and value:
            hashes[key] = value.lower()
    try:
        artifact = DirectArtifact(filename, urllib.parse.urlunsplit(parts._replace(fragment="")), hashes)
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError) as exc:
        raise UsageError(f"`{requirement}`: {filename} is not a valid archive name", why=str(exc), hint=hint) from None
    if artifact.name != canonicalize_name(requirement.name):
        raise UsageError(f"`{requirement}`: the file is {artifact.name} {artifact.version}, not {requirement.name}",
                         hint="name the package the file holds")
    return artifact
