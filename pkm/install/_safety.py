"""The checks every wheel passes before a single byte is written: names, layout, sizes, RECORD.

RECORD policy (PEP 427/491, applied to zip wheels and store trees alike):

- every regular file in the archive must be listed in RECORD with a strong hash
  (sha256, sha384 or sha512) and its size, and both must match the bytes;
  the exceptions are RECORD itself and its signatures (`RECORD.jws`, `RECORD.p7s`);
- a file listed in RECORD but absent from the archive is an error, and so is a path
  listed twice;
- directories (zip entries ending in `/`) are not files and need no row.

A store tree may also hold `__pycache__/*.pyc` the store compiled after unpacking; those are
the only unlisted files a tree may have (they are installed and recorded like the rest).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from typing import Iterable

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pkm.errors import PkmError

from ._record import STRONG_ALGORITHMS, RecordRow

__all__ = ["Limits", "Member", "check_name", "check_mode", "find_dist_info", "check_record", "is_signature"]

_REBUILD = "the wheel is damaged or malicious; do not install it, rebuild it or get it from a trusted index"


@dataclass(frozen=True)
class Limits:
    """Caps that stop a zip bomb before it is unpacked: per file, in total, and in member count."""

    max_file_size: int = 4 << 30
    max_total_size: int = 16 << 30
    max_members: int = 500_000
    # Uncompressed-to-compressed ratio beyond which a member (of at least 1 MiB) is refused.
    # Deflate cannot exceed ~1032:1, so by default this only catches other codecs; the
    # size caps are what bound a deflate bomb.
    max_ratio: int = 2_000


@dataclass(frozen=True)
class Member:
    """One regular file of a wheel: its archive path, size, RECORD hash and executable bit."""

    path: str
    size: int
    hash: str
    executable: bool = False


def _refuse(wheel: str, member: str, why: str) -> PkmError:
    return PkmError(f"refusing to install {wheel}: unsafe member {member!r}", why=why, hint=_REBUILD)


def check_name(wheel: str, name: str) -> str:
    """The member path without a trailing `/`; raises unless it is a plain relative POSIX path."""
    if not name or "\x00" in name:
        raise _refuse(wheel, name, "the member has an empty name or a NUL byte")
    if "\\" in name:
        raise _refuse(wheel, name, "a backslash in a member name can act as a path separator")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _refuse(wheel, name, "it is an absolute path")
    trimmed = name[:-1] if name.endswith("/") else name
    parts = trimmed.split("/")
    if ".." in parts:
        raise _refuse(wheel, name, "it contains `..` and could escape the environment")
    if any(part in ("", ".") for part in parts):
        raise _refuse(wheel, name, "it has an empty or `.` path segment")
    return trimmed


def check_mode(wheel: str, name: str, mode: int) -> None:
    """Refuse anything but regular files and directories (symlinks, devices, fifos, sockets)."""
    kind = stat.S_IFMT(mode)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        what = "a symlink" if kind == stat.S_IFLNK else "a device, fifo or socket"
        raise _refuse(wheel, name, f"it is {what}; wheels may only hold regular files")


def is_signature(path: str, dist_info: str) -> bool:
    return path in (f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s")


def find_dist_info(wheel: str, paths: Iterable[str], name: str | None, version: str | None) -> str:
    """The one `.dist-info` directory; checks its name/version against the expected ones if given.

    Also refuses a top-level `.data` directory that does not belong to this distribution.
    """
    tops = {p.split("/", 1)[0] for p in paths if "/" in p}
    infos = sorted(t for t in tops if t.endswith(".dist-info"))
    if len(infos) != 1:
        why = "it has none" if not infos else "it has " + ", ".join(infos)
        raise PkmError(f"refusing to install {wheel}: a wheel holds exactly one .dist-info directory", why=why, hint=_REBUILD)
    info = infos[0]
    stem = info[: -len(".dist-info")]
    dist_name, _, dist_version = stem.partition("-")
    if name is not None and version is not None:
        try:
            same = canonicalize_name(dist_name) == canonicalize_name(name) and Version(dist_version) == Version(version)
        except InvalidVersion:
            same = False
        if not same:
            raise PkmError(
                f"refusing to install {wheel}: its metadata directory {info!r} is for another distribution",
                why=f"the wheel is {name} {version}",
                hint=_REBUILD,
            )
    for top in tops:
        if top.endswith(".data") and top != f"{stem}.data":
            raise PkmError(f"refusing to install {wheel}: stray data directory {top!r}", why=f"only {stem}.data is allowed", hint=_REBUILD)
    return info


def check_record(
    wheel: str,
    dist_info: str,
    rows: list[RecordRow],
    actual: dict[str, tuple[str, int]],
    *,
    extra_ok=lambda path: False,
) -> dict[str, RecordRow]:
    """Apply the RECORD policy (see the module docstring). `actual` maps path -> (hash, size).

    An entry of `actual` with an empty hash is checked for size only (a trusted store tree).
    Returns the rows by path.
    """
    by_path: dict[str, RecordRow] = {}
    for row in rows:
        if row.path.endswith("/"):
            continue
        if row.path in by_path:
            raise PkmError(f"refusing to install {wheel}: RECORD lists {row.path!r} twice", hint=_REBUILD)
        by_path[row.path] = row
    record_path = f"{dist_info}/RECORD"
    for path, (digest, size) in sorted(actual.items()):
        if path == record_path or is_signature(path, dist_info):
            continue
        row = by_path.get(path)
        if row is None:
            if extra_ok(path):
                continue
            raise PkmError(f"refusing to install {wheel}: {path!r} is not listed in RECORD", why="every file must be listed with its hash", hint=_REBUILD)
        algorithm = row.hash.partition("=")[0]
        if algorithm not in STRONG_ALGORITHMS:
            why = "it has no hash" if not row.hash else f"{algorithm!r} is not an accepted algorithm ({', '.join(STRONG_ALGORITHMS)})"
            raise PkmError(f"refusing to install {wheel}: RECORD entry for {path!r} is unusable", why=why, hint=_REBUILD)
        if row.size is not None and row.size != size:
            raise PkmError(
                f"refusing to install {wheel}: {path!r} does not match RECORD",
                why=f"RECORD says {row.size} bytes, the file has {size}",
                hint=_REBUILD,
            )
        if row.size is None:
            raise PkmError(f"refusing to install {wheel}: RECORD entry for {path!r} has no size", hint=_REBUILD)
        if digest and algorithm == digest.partition("=")[0] and digest != row.hash:
            raise PkmError(
                f"refusing to install {wheel}: {path!r} does not match RECORD",
                why=f"RECORD says {row.hash}, the file has {digest}",
                hint=_REBUILD,
            )
    missing = sorted(p for p in by_path if p not in actual and p != record_path and not is_signature(p, dist_info))
    if missing:
        raise PkmError(
            f"refusing to install {wheel}: RECORD lists files the wheel does not have",
            why=", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""),
            hint=_REBUILD,
        )
    return by_path
