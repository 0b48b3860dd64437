"""The distributions installed in an environment, read from their .dist-info/.egg-info metadata."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

__all__ = ["InstalledDist", "installed"]


class InstalledDist(NamedTuple):
    """One installed distribution: its name as its metadata spells it, its version, its metadata folder."""

    name: str
    version: str
    path: Path


def installed(site_packages: Path) -> list[InstalledDist]:
    """The distributions in `site_packages`, sorted by normalized name.

    Reads each `*.dist-info`/`*.egg-info` folder's METADATA/PKG-INFO through
    `importlib.metadata` (no import of the packages; cost: one small file read
    per distribution). A folder without a readable name or version is skipped;
    if two folders claim one name (a half-done upgrade by another tool), the
    first in sorted order is listed. A missing directory has no distributions.
    """
    from importlib.metadata import PathDistribution  # email parsing: loaded only when asked

    from packaging.utils import canonicalize_name

    try:
        entries = sorted(Path(site_packages).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    found: dict[str, InstalledDist] = {}
    for entry in entries:
        if entry.suffix not in (".dist-info", ".egg-info") or not entry.is_dir():
            continue
        try:
            meta = PathDistribution(entry).metadata
            name, version = meta["Name"], meta["Version"]
        except (OSError, UnicodeDecodeError):
            continue
        if not name or not version:
            continue
        found.setdefault(canonicalize_name(name), InstalledDist(name, version, entry))
    return [found[key] for key in sorted(found)]
