"""The distributions installed in an environment, read from their .dist-info/.egg-info metadata."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

__all__ = ["InstalledDist", "header_fields", "installed"]


class InstalledDist(NamedTuple):
    """One installed distribution: its name as its metadata spells it, its version, its metadata folder."""

    name: str
    version: str
    path: Path


def installed(site_packages: Path) -> list[InstalledDist]:
    """The distributions in `site_packages`, sorted by normalized name.

    Reads the header of each `*.dist-info` folder's METADATA (`*.egg-info`:
    PKG-INFO), as `importlib.metadata` would, without importing the packages or
    the `email` package (cost: one small file read per distribution). A folder
    without a readable name or version is skipped; if two folders claim one name
    (a half-done upgrade by another tool), the first in sorted order is listed.
    A missing directory has no distributions.
    """
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
            meta = header_fields((entry / ("METADATA" if entry.suffix == ".dist-info" else "PKG-INFO")).read_bytes())
        except OSError:
            continue
        name, version = meta.get("name"), meta.get("version")
        if not name or not version:
            continue
        found.setdefault(canonicalize_name(name), InstalledDist(name, version, entry))
    return [found[key] for key in sorted(found)]


def header_fields(data: bytes) -> dict:
    """The header fields of a METADATA or WHEEL file (RFC 822 style: up to the first blank line,
    continuation lines folded): lower-cased name -> its first value. Cost: one pass over the
    header lines (no `email` package: importing it costs more than an install's other imports)."""
    fields: dict = {}
    last = None  # the field a continuation line belongs to (None: one to ignore)
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            if last is not None:
                fields[last] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        last = key if sep and key not in fields else None
        if last is not None:
            fields[key] = value.strip()
    return fields
