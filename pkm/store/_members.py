"""Archive member checks shared by the store and the installer: names, file types, zip-bomb caps.

One set of rules for every wheel pkm opens, whether the store unpacks it into a
tree or the installer writes it into an environment:

- a name is a plain relative POSIX path: no NUL, no backslash, not absolute
  (`/x`, `C:x`), no `..`, no empty or `.` segment (a trailing `/` marks a
  directory);
- a member is a regular file or a directory: symlinks, devices, FIFOs and
  sockets are refused, and so are encrypted members, duplicates, a name that is
  both a file and a directory, and the store's marker name at the root;
- bombs: at most `max_members` members, `max_file` bytes per file and
  `max_total` bytes in all (read from the central directory, and enforced again
  while decompressing); a member above `ratio_floor` bytes may not expand more
  than `max_ratio`-fold. Deflate cannot exceed about 1032:1, so the ratio only
  catches other codecs; honest, highly compressible data files (10 MB of
  zeros) pass, and the size caps bound what a deflate bomb can do.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from typing import Iterable

from pkm.errors import PkmError

__all__ = ["MARKER", "ArchiveLimits", "ArchiveMember", "UnsafeArchiveError", "check_members", "check_name",
           "check_mode", "refuse"]

# The store's completion marker; a wheel may not ship a file by that name at its root.
MARKER = ".pkm-complete"

HINT = "the wheel is malformed or malicious: do not install it, rebuild it or get it from a trusted index"


class UnsafeArchiveError(PkmError):
    """A wheel breaks the rules: a member escapes, is not a plain file or is too large, or RECORD disagrees."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps against zip bombs. The defaults fit the largest real wheels (torch, tensorflow, CUDA libraries)."""

    max_total: int = 16 << 30
    max_file: int = 4 << 30
    max_members: int = 500_000
    max_ratio: float = 2000.0
    ratio_floor: int = 1 << 20


@dataclass(frozen=True)
class ArchiveMember:
    """A checked zip member: its info, its path (no trailing `/`), and what it is."""

    info: zipfile.ZipInfo
    path: str
    is_dir: bool
    executable: bool

    @property
    def parts(self) -> tuple:
        return tuple(self.path.split("/"))


def refuse(verb: str, archive: str, what: str, why: str | None = None) -> UnsafeArchiveError:
    """The error for a broken rule: `refusing to <verb> <archive>: <what>`."""
    return UnsafeArchiveError(f"refusing to {verb} {archive}: {what}", why=why, hint=HINT)


def _member(verb: str, archive: str, name: str, reason: str) -> UnsafeArchiveError:
    return refuse(verb, archive, f"member {name!r} {reason}")


def check_name(archive: str, name: str, *, verb: str = "install") -> str:
    """`name` without its trailing `/`; raises UnsafeArchiveError unless it is a plain relative POSIX path."""
    if not name or "\x00" in name:
        raise _member(verb, archive, name, "has an empty name or a NUL byte")
    if "\\" in name:
        # A separator on Windows: `a\..\..\x` would climb out there.
        raise _member(verb, archive, name, "contains a backslash, which can act as a path separator")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _member(verb, archive, name, "is an absolute path")
    trimmed = name[:-1] if name.endswith("/") else name
    parts = trimmed.split("/")
    if ".." in parts:
        raise _member(verb, archive, name, "contains `..` (path traversal)")
    if any(part in ("", ".") for part in parts):
        raise _member(verb, archive, name, "has an empty or `.` path segment")
    return trimmed


def check_mode(archive: str, name: str, mode: int, *, verb: str = "install") -> None:
    """Refuse anything but regular files and directories (`mode` as from `stat`; 0 means unknown: a file)."""
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        raise _member(verb, archive, name, "is a symbolic link; wheels may only hold regular files")
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise _member(verb, archive, name, "is a device, FIFO or socket, not a regular file")


def _check_clashes(verb: str, archive: str, files: Iterable[str], dirs: Iterable[str]) -> None:
    parents = set(dirs)
    for name in files:
        parts = name.split("/")
        parents.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(parents.intersection(files))
    if clash:
        raise _member(verb, archive, clash[0], "is both a file and a directory")


def check_members(zf: zipfile.ZipFile, archive: str, limits: ArchiveLimits = ArchiveLimits(), *,
                  verb: str = "unpack") -> list:
    """Validate every member of `zf` (named `archive` in messages) by the rules above; writes nothing.

    Returns the ArchiveMembers in archive order. Raises UnsafeArchiveError (its
    text starts `refusing to <verb> <archive>:`). Cost: one pass over the
    central directory, no decompression.
    """
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise refuse(verb, archive, f"it has {len(infos)} members (cap {limits.max_members})",
                     why="this exceeds the size caps (a zip bomb?)")
    members = []
    files: set = set()
    dirs: set = set()
    total = 0
    for info in infos:
        name = info.filename
        path = check_name(archive, name, verb=verb)
        mode = info.external_attr >> 16
        check_mode(archive, name, mode, verb=verb)
        if info.flag_bits & 0x1:
            raise _member(verb, archive, name, "is encrypted")
        is_dir = name.endswith("/") or stat.S_ISDIR(mode)
        if path == MARKER:
            raise _member(verb, archive, name, "uses a name pkm reserves for its completion marker")
        if path in files or path in dirs:
            raise _member(verb, archive, name, "appears twice in the archive")
        if is_dir:
            dirs.add(path)
        else:
            files.add(path)
            _check_size(verb, archive, info, limits)
            total += info.file_size
            if total > limits.max_total:
                raise refuse(verb, archive, f"its members add up to more than {limits.max_total} bytes (cap)",
                             why=f"the cap was passed at member {name!r} (a zip bomb?)")
        executable = info.create_system == 3 and bool(mode & 0o111) and not is_dir
        members.append(ArchiveMember(info, path, is_dir, executable))
    _check_clashes(verb, archive, files, dirs)
    return members


def _check_size(verb: str, archive: str, info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > limits.max_file:
        raise _member(verb, archive, info.filename, f"is {size} bytes unpacked (cap {limits.max_file})")
    if size > limits.ratio_floor and size > limits.max_ratio * packed:
        raise _member(verb, archive, info.filename,
                      f"expands {size / packed:.0f}-fold (cap {limits.max_ratio:g}): a zip bomb")
