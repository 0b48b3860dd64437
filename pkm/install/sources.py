"""Wheel sources: where the files of a wheel come from (a `.whl` zip, or a store tree on disk).

A source is validated as a whole before the installer writes anything: `members()` runs the
store's checks (`pkm.store`: member names, file types and size caps, one `.dist-info`, the
RECORD policy; the same rules the store applies when it unpacks a wheel) and, for a zip, the
expected artifact hash. It returns the regular files to install.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import BinaryIO, Collection, NamedTuple, Protocol

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from pkm.env.dists import header_fields
from pkm.errors import HashMismatchError, PkmError
from pkm.store import (FILE_LIST, MARKER, ArchiveLimits, algorithm_of, check_members, check_mode, check_name, check_record,
                       find_dist_info, hash_path, hash_stream, is_bytecode, parse_dist_info, parse_record,
                       read_file_list, tree_files)

__all__ = ["WheelSource", "WheelFile", "TreeSource", "Member", "Limits"]

_REBUILD = "the wheel is damaged or malicious; do not install it, rebuild it or get it from a trusted index"

# The zip-bomb caps are the store's: one set of rules for every wheel pkm opens.
Limits = ArchiveLimits


class Member(NamedTuple):
    """One regular file of a wheel: its archive path, size, RECORD hash and executable bit.

    (A NamedTuple: a large wheel has thousands, and they are made on every install.)"""

    path: str
    size: int
    hash: str
    executable: bool = False


class WheelSource(Protocol):
    """What the installer reads. `members()` validates once and may be called again for free."""

    label: str  # names the wheel in messages
    name: str
    version: str
    dist_info: str  # "<name>-<version>.dist-info"; set once members() has run

    def members(self) -> list[Member]: ...
    def open(self, member: Member) -> BinaryIO: ...
    def local_path(self, member: Member) -> str | None:
        """The file on disk that can be linked instead of copied (None for a zip)."""
    def read_dist_info(self, filename: str) -> bytes | None: ...


def _check_metadata(label: str, source: "WheelSource", dist_info: str) -> None:
    data = source.read_dist_info("METADATA")
    if data is None:
        raise PkmError(f"refusing to install {label}: {dist_info}/METADATA is missing", hint=_REBUILD)
    headers = header_fields(data)
    name, version = headers.get("name"), headers.get("version")
    stem_name, stem_version = parse_dist_info(dist_info) or ("", "")
    try:
        same = canonicalize_name(name or "") == canonicalize_name(stem_name) and Version(version or "") == Version(stem_version)
    except InvalidVersion:
        same = False
    if not same:
        raise PkmError(
            f"refusing to install {label}: METADATA is for {name} {version}, the directory is {dist_info!r}",
            hint=_REBUILD,
        )
    if source.read_dist_info("WHEEL") is None:
        raise PkmError(f"refusing to install {label}: {dist_info}/WHEEL is missing", hint=_REBUILD)


def _normalize_sha256(expected: str) -> str:
    algo, sep, value = expected.partition(":")
    if sep and algo != "sha256":
        raise PkmError(f"unsupported expected hash {expected!r}", hint="give a sha256 digest (hex)")
    return (value if sep else expected).lower()


class WheelFile:
    """A `.whl` zip on disk. Use as a context manager (or call `close()`) to release the file.

    `expected_sha256` (hex, or `sha256:hex`) is checked against the file's bytes before
    anything else: a mismatch raises HashMismatchError and nothing is installed.
    Cost of `members()`: one pass over the compressed file for the hash, one decompression
    of every member to check RECORD.
    """

    def __init__(self, path: str | os.PathLike, *, expected_sha256: str | None = None, limits: Limits = Limits()):
        self.path = Path(path)
        self.label = self.path.name
        try:
            name, version, _, _ = parse_wheel_filename(self.path.name)
        except InvalidWheelFilename as exc:
            raise PkmError(f"{self.label} is not a wheel file name", why=str(exc), hint="wheel files are named NAME-VERSION-TAGS.whl") from None
        self.name = str(name)
        self.version = str(version)
        self._expected = _normalize_sha256(expected_sha256) if expected_sha256 else None
        self._limits = limits
        self._file: BinaryIO | None = None
        self._zip: zipfile.ZipFile | None = None
        self._members: list[Member] | None = None
        self.dist_info = ""

    def __enter__(self) -> "WheelFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the file. Idempotent; `members()` after it validates (and opens) the wheel again."""
        if self._zip is not None:
            self._zip.close()
        if self._file is not None:
            self._file.close()
        self._zip = self._file = None
        self._members = None

    def _open_zip(self) -> zipfile.ZipFile:
        try:
            self._file = open(self.path, "rb")
        except OSError as exc:
            raise PkmError(f"cannot read {self.path}", why=exc.strerror, hint="check that the file exists and is readable") from None
        if self._expected is not None:
            actual = hashlib.sha256()
            for chunk in iter(lambda: self._file.read(1 << 20), b""):
                actual.update(chunk)
            if actual.hexdigest() != self._expected:
                raise HashMismatchError(
                    f"hash mismatch for {self.label}",
                    why=f"expected sha256:{self._expected}\n     got sha256:{actual.hexdigest()}",
                    hint="the file is not the artifact that was locked or listed; delete it and download it again",
                )
            self._file.seek(0)
        try:
            return zipfile.ZipFile(self._file)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise PkmError(f"{self.label} is not a valid zip archive", why=str(exc), hint="the download may be truncated; fetch it again") from None

    def members(self) -> list[Member]:
        if self._members is not None:
            return self._members
        self.close()  # a previous attempt may have failed half-way
        self._zip = zf = self._open_zip()
        checked = check_members(zf, self.label, self._limits, verb="install")
        files = {m.path: m for m in checked if not m.is_dir}
        self.dist_info = find_dist_info(self.label, files, self.name, self.version)
        record_name = f"{self.dist_info}/RECORD"
        if record_name not in files:
            raise PkmError(f"refusing to install {self.label}: {record_name} is missing", hint=_REBUILD)
        rows = parse_record(self._read(files[record_name].info), where=f"{self.label}: {record_name}")
        algorithms = {row.path: algorithm_of(row) for row in rows}
        actual = {}
        for name, member in files.items():
            try:
                with zf.open(member.info) as stream:
                    actual[name] = hash_stream(stream, algorithms.get(name, "sha256"), limit=member.info.file_size)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise PkmError(f"refusing to install {self.label}: cannot read {name!r}", why=str(exc), hint=_REBUILD) from None
        by_path = check_record(self.label, self.dist_info, rows, actual)
        self._infos = {name: member.info for name, member in files.items()}
        _check_metadata(self.label, self, self.dist_info)
        members = []
        for name, member in files.items():
            row = by_path.get(name)
            members.append(Member(name, member.info.file_size, row.hash if row else actual[name][0], member.executable))
        self._members = members
        return members

    def _read(self, info: zipfile.ZipInfo) -> bytes:
        try:
            with self._zip.open(info) as stream:
                return stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise PkmError(f"refusing to install {self.label}: cannot read {info.filename!r}", why=str(exc), hint=_REBUILD) from None

    def open(self, member: Member) -> BinaryIO:
        return self._zip.open(self._infos[member.path])

    def local_path(self, member: Member) -> str | None:
        return None

    def read_dist_info(self, filename: str) -> bytes | None:
        info = getattr(self, "_infos", {}).get(f"{self.dist_info}/{filename}")
        return None if info is None else self._read(info)


class TreeSource:
    """A directory laid out like an unpacked wheel (a store tree); its files can be linked.

    Trees are verified by the store when unpacked. `members()` reads a store tree's file
    list (`pkm.store.FILE_LIST`, one small read); a tree without one is walked, its names,
    types, layout and sizes checked against RECORD (one `lstat` per file) but not re-hashed.
    `verify_hashes=True` always walks and re-hashes every file. `ignore` names top-level
    entries that belong to the store rather than to the wheel (default: the completion
    marker and the file list).
    """

    def __init__(self, path: str | os.PathLike, *, verify_hashes: bool = False,
                 ignore: Collection[str] = (MARKER, FILE_LIST)):
        self.path = Path(path)
        self.label = str(self.path)
        self._root = os.path.abspath(self.label)
        self._verify = verify_hashes
        self._ignore = frozenset(ignore)
        self._members: list[Member] | None = None
        self.dist_info = find_dist_info(self.label, self._top_names(), None, None)
        self.name, self.version = parse_dist_info(self.dist_info)

    def _top_names(self) -> list[str]:
        try:
            return [f"{entry}/x" for entry in os.listdir(self.path) if entry not in self._ignore]
        except OSError as exc:
            raise PkmError(f"cannot read the tree {self.path}", why=exc.strerror, hint="the store entry may be damaged; run `pkm store verify`") from None

    def members(self) -> list[Member]:
        if self._members is not None:
            return self._members
        listed = None if self._verify or FILE_LIST not in self._ignore else read_file_list(self.path)
        if listed is not None:  # the store's list: checked when the tree was made, no walk needed
            self._members = [Member(*row) for row in listed]
            _check_metadata(self.label, self, self.dist_info)
            return self._members
        found = {}
        for rel, _path, st in tree_files(self.path, ignore=tuple(self._ignore)):
            if "\\" in rel:  # a directory entry has no `/`, NUL, `.` or `..`: only this can be unsafe
                check_name(self.label, rel)
            check_mode(self.label, rel, st.st_mode)
            found[rel] = st
        record_name = f"{self.dist_info}/RECORD"
        if record_name not in found:
            raise PkmError(f"refusing to install {self.label}: {record_name} is missing", hint=_REBUILD)
        rows = parse_record((self.path / record_name).read_bytes(), where=f"{self.label}/{record_name}")
        by_row = {row.path: row for row in rows}
        actual = {}
        for rel, st in found.items():
            if self._verify:
                actual[rel] = hash_path(self.path / rel, algorithm_of(by_row.get(rel)))
            else:
                actual[rel] = ("", st.st_size)
        by_path = check_record(self.label, self.dist_info, rows, actual, extra_ok=is_bytecode)
        _check_metadata(self.label, self, self.dist_info)
        members = []
        for rel, st in found.items():
            row = by_path.get(rel)
            members.append(Member(rel, st.st_size, row.hash if row else "", bool(st.st_mode & 0o111)))
        self._members = members
        return members

    def open(self, member: Member) -> BinaryIO:
        return open(self._root + os.sep + member.path, "rb")

    def local_path(self, member: Member) -> str | None:
        return self._root + os.sep + member.path

    def read_dist_info(self, filename: str) -> bytes | None:
        try:
            return (self.path / self.dist_info / filename).read_bytes()
        except FileNotFoundError:
            return None
