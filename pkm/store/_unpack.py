"""Safe wheel unpacking: every member checked before a byte is written, every file checked against RECORD."""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path
from typing import Dict, Set, Tuple

from pkm.errors import PkmError
from pkm.store._members import ArchiveLimits, check_members, refuse
from pkm.store._record import algorithm_of, check_record, find_dist_info, hash_stream, parse_record

__all__ = ["extract_members", "unpack_wheel", "unpack_wheel_file"]


def extract_members(zf: zipfile.ZipFile, members: list, dest: Path, archive: str, *,
                    algorithms: Dict[str, str] = {}, verb: str = "unpack") -> Dict[str, Tuple[str, int]]:
    """Write checked `members` under the existing directory `dest`; returns {path: (RECORD digest, size)}.

    Each file is hashed while it is written, with `algorithms[path]` (default sha256);
    `verb` words refusals as in `check_members`.
    Files are created exclusively (never through an existing path) and never receive
    more bytes than their declared size. No fsync: the caller publishes the whole
    directory by rename.
    """
    root = os.path.realpath(str(dest))
    made: set = set()
    written: Dict[str, Tuple[str, int]] = {}
    for m in members:
        target = os.path.join(root, *m.parts)
        if os.path.commonpath([root, target]) != root or target == root:  # the prefix check, to be sure
            raise refuse(verb, archive, f"member {m.info.filename!r} escapes the destination directory")
        parent = target if m.is_dir else os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        if m.is_dir:
            continue
        try:
            with zf.open(m.info) as src, open(target, "xb") as out:
                digest, size = hash_stream(src, algorithms.get(m.path, "sha256"), limit=m.info.file_size,
                                           sink=out.write)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error) as exc:
            raise PkmError(
                f"cannot {verb} {archive}: member {m.info.filename!r} is unreadable",
                why=f"{type(exc).__name__}: {exc}",
                hint="the file is truncated or corrupt; fetch it again",
            ) from exc
        if size > m.info.file_size:
            raise refuse(verb, archive, f"member {m.info.filename!r} holds more bytes than its header declares")
        written[m.path] = (digest, size)
    return written


def unpack_wheel(zf: zipfile.ZipFile, archive: str, dest: Path, limits: ArchiveLimits = ArchiveLimits()) -> list:
    """Check and unpack the wheel `zf` into the existing directory `dest`; returns its checked members.

    The member rules (`_members`) run before anything is written; the RECORD policy
    (`_record`) runs on the hashes taken while writing, so a wheel whose RECORD
    disagrees with its files is refused (UnsafeArchiveError) and the caller discards
    `dest`. Cost: one decompression of every member.
    """
    members = check_members(zf, archive, limits, verb="unpack")
    files = {m.path: m for m in members if not m.is_dir}
    dist_info = find_dist_info(archive, files, None, None, verb="unpack")
    record = files.get(f"{dist_info}/RECORD")
    if record is None:
        raise refuse("unpack", archive, f"{dist_info}/RECORD is missing")
    try:
        with zf.open(record.info) as stream:
            data = stream.read(record.info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error) as exc:
        raise PkmError(f"cannot unpack {archive}: its RECORD is unreadable", why=f"{type(exc).__name__}: {exc}",
                       hint="the file is truncated or corrupt; fetch it again") from exc
    rows = parse_record(data, where=f"{archive}: {dist_info}/RECORD")
    algorithms = {row.path: algorithm_of(row) for row in rows}
    actual = extract_members(zf, members, dest, archive, algorithms=algorithms)
    check_record(archive, dist_info, rows, actual, verb="unpack")
    return members


def unpack_wheel_file(wheel: Path, archive: str, dest: Path, limits: ArchiveLimits) -> Tuple[int, Set[str]]:
    """`unpack_wheel` for the file at `wheel`; returns (number of files, paths under `dest` to make executable)."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            members = unpack_wheel(zf, archive, dest, limits)
    except zipfile.BadZipFile as exc:
        raise PkmError(f"cannot unpack {archive}: not a valid zip archive", why=str(exc),
                       hint="the file is truncated or corrupt; fetch it again") from exc
    files = sum(1 for m in members if not m.is_dir)
    executables = {os.path.join(str(dest), *m.parts) for m in members if m.executable}
    return files, executables
