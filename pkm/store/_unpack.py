"""Safe wheel unpacking: every member is checked before anything is written."""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from pkm.errors import PkmError

__all__ = ["ArchiveLimits", "UnsafeArchiveError", "Member", "check_members", "extract_members", "MARKER"]

# The completion marker's name; a wheel may not ship a file by that name at its root.
MARKER = ".pkm-complete"

_HINT = "the wheel is malformed or malicious: do not install it, and report it to its publisher"


class UnsafeArchiveError(PkmError):
    """An archive member would escape its destination, is not a plain file, or is too large."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps against zip bombs. Defaults fit the largest real wheels (torch, tensorflow).

    `max_ratio` applies only to members above `ratio_floor` bytes, because small
    highly repetitive files compress legitimately well.
    """

    max_total: int = 8 << 30
    max_file: int = 4 << 30
    max_members: int = 250_000
    max_ratio: float = 200.0
    ratio_floor: int = 1 << 20


@dataclass(frozen=True)
class Member:
    """A checked zip member: its info and its path relative to the destination, as parts."""

    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool
    executable: bool

    @property
    def relpath(self) -> str:
        return "/".join(self.parts)


def _refuse(archive: str, name: str, reason: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refusing to unpack {archive}: member {name!r} {reason}", hint=_HINT)


def _parts(archive: str, name: str) -> tuple[str, ...]:
    if not name or "\x00" in name:
        raise _refuse(archive, name, "has an empty or NUL-containing name")
    if "\\" in name:
        # A separator on Windows: `a\..\..\x` would climb out there.
        raise _refuse(archive, name, "contains a backslash")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _refuse(archive, name, "is an absolute path")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise _refuse(archive, name, "contains `..` (path traversal)")
    if not parts:
        raise _refuse(archive, name, "names the archive root")
    return parts


def check_members(zf: zipfile.ZipFile, archive: str, limits: ArchiveLimits = ArchiveLimits()) -> list[Member]:
    """Validate every member of `zf` (named `archive` in messages); writes nothing.

    Refuses (UnsafeArchiveError) absolute names, `..`, backslashes, symlinks,
    devices, FIFOs, sockets, encrypted members, duplicates (after normalizing
    `./` and `//`), a name that is both a file and a directory, the reserved
    marker name, and members or totals beyond `limits`. Cost: one pass over the
    central directory, no decompression.
    """
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeArchiveError(
            f"refusing to unpack {archive}: it has {len(infos)} members (limit {limits.max_members})", hint=_HINT)
    members: list[Member] = []
    seen: dict[tuple[str, ...], bool] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = _parts(archive, name)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise _refuse(archive, name, "is a symbolic link")
        if kind in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
            raise _refuse(archive, name, "is a device, FIFO or socket, not a regular file")
        if info.flag_bits & 0x1:
            raise _refuse(archive, name, "is encrypted")
        is_dir = name.endswith("/") or kind == stat.S_IFDIR
        if parts == (MARKER,):
            raise _refuse(archive, name, "uses a name pkm reserves for its completion marker")
        if parts in seen:
            raise _refuse(archive, name, "appears twice in the archive")
        seen[parts] = is_dir
        if not is_dir:
            if info.file_size > limits.max_file:
                raise _refuse(archive, name, f"is {info.file_size} bytes unpacked (limit {limits.max_file})")
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise _refuse(archive, name, f"expands {ratio:.0f}-fold (limit {limits.max_ratio:g}): a zip bomb")
            total += info.file_size
            if total > limits.max_total:
                raise UnsafeArchiveError(
                    f"refusing to unpack {archive}: its members add up to more than {limits.max_total} bytes",
                    why=f"the limit was passed at member {name!r}", hint=_HINT)
        members.append(Member(info, parts, is_dir, bool(mode & 0o111) and not is_dir))
    for parts, is_dir in seen.items():
        for i in range(1, len(parts)):
            if seen.get(parts[:i]) is False:
                raise _refuse(archive, "/".join(parts[:i]), "is a file and also a directory of other members")
    return members


def extract_members(zf: zipfile.ZipFile, members: list[Member], dest: Path, archive: str) -> int:
    """Write checked `members` under the existing directory `dest`; returns the number of files.

    Files are created exclusively (never through an existing path) and never
    receive more bytes than their declared size. No fsync: the caller publishes
    the whole directory by rename.
    """
    root = os.path.realpath(str(dest))
    made: set[str] = set()
    files = 0
    for m in members:
        target = os.path.join(root, *m.parts)
        if os.path.commonpath([root, target]) != root or target == root:  # the prefix check, to be sure
            raise _refuse(archive, m.info.filename, "escapes the destination directory")
        parent = target if m.is_dir else os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        if m.is_dir:
            continue
        left = m.info.file_size
        try:
            with zf.open(m.info) as src, open(target, "xb") as out:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    left -= len(chunk)
                    if left < 0:
                        raise _refuse(archive, m.info.filename, "holds more bytes than its header declares")
                    out.write(chunk)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error) as exc:
            raise PkmError(
                f"cannot unpack {archive}: member {m.info.filename!r} is unreadable",
                why=f"{type(exc).__name__}: {exc}",
                hint="the file is truncated or corrupt; fetch it again",
            ) from exc
        files += 1
    return files
