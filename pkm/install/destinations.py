"""Wheel destinations: where files land (an environment's scheme paths) and how (copy or link)."""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Protocol

from pkm.errors import PkmError
from pkm.store import RecordRow, encode_digest, render_record

from ._layout import Item
from ._scripts import launcher, rewrite_shebang

__all__ = ["WheelDestination", "SchemeDestination", "Written", "LINK_MODES"]

LINK_MODES = ("copy", "hardlink", "symlink")
_CHUNK = 1 << 20
# Linking can fail for reasons that copying does not share: another filesystem, no
# permission to link, too many links to one inode, a filesystem without links.
_LINK_FALLBACK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


@dataclass(frozen=True)
class Written:
    """A file an install wrote, with the digest and size RECORD gets."""

    path: Path
    hash: str
    size: int


class WheelDestination(Protocol):
    def target(self, dist_name: str, item: Item) -> Path:
        """The absolute path `item` is written to (nothing is touched)."""
    def write(self, dist_name: str, item: Item, source) -> Written:
        """Write one item, replacing (never writing through) whatever is at its target."""
    def write_record(self, record_path: Path, written: Iterable[Written]) -> Written:
        """Write RECORD, paths relative to its `.dist-info`'s parent; RECORD's own row is empty."""


def _inside(path: Path, root: Path) -> bool:
    path_s, root_s = os.path.normpath(path), os.path.normpath(root)
    return path_s == root_s or path_s.startswith(root_s.rstrip(os.sep) + os.sep)


class SchemeDestination:
    """Writes into the directories of a scheme: purelib, platlib, scripts, data and headers.

    `scheme` is what `hooks/probe.py` reports under "paths". Headers go to
    `scheme["headers"]` if given, else to `<scheme["include"]>/<distribution name>`.
    `interpreter` is the absolute path launchers and `#!python` scripts run with.
    `link_mode` "hardlink" or "symlink" applies to files a source has on disk (a store tree);
    a link that cannot be made falls back to a copy. Copies from a tree keep the source's
    mtime so that bytecode compiled in the tree stays valid.
    """

    def __init__(self, scheme: Mapping[str, str], interpreter: str, link_mode: str = "copy"):
        missing = [key for key in ("purelib", "platlib", "scripts", "data") if key not in scheme]
        if missing or ("headers" not in scheme and "include" not in scheme):
            raise PkmError(f"incomplete install scheme: missing {', '.join(missing) or 'headers/include'}", hint="pass the paths hooks/probe.py reports")
        if link_mode not in LINK_MODES:
            raise PkmError(f"unknown link mode {link_mode!r}", hint=f"use one of {', '.join(LINK_MODES)}")
        self.scheme = dict(scheme)
        self.interpreter = interpreter
        self.link_mode = link_mode
        self._made: set = set()  # directories known to exist: one mkdir per directory, not per file

    def _root(self, dist_name: str, scheme: str) -> Path:
        if scheme == "headers" and "headers" not in self.scheme:
            return Path(self.scheme["include"]) / dist_name
        return Path(self.scheme[scheme])

    def target(self, dist_name: str, item: Item) -> Path:
        root = self._root(dist_name, item.scheme)
        parts = item.path.split("/")
        # Names are checked already; this is the last line of defence, by parts (no normpath per file):
        # without empty, `.` or `..` parts (and no absolute start), the path cannot leave `root`.
        if not item.path or any(part in ("", ".", "..") for part in parts) or "\\" in item.path:
            raise PkmError(f"refusing to write {item.path!r} outside {root}", hint="the wheel is malicious; do not install it")
        return root.joinpath(*parts)

    def prepare_dirs(self, paths: Iterable[Path]) -> None:
        """Make the parent directories of `paths`, each with one mkdir (parents first; on some
        filesystems a mkdir costs more than the hard link of a file into it)."""
        wanted = {path.parent for path in paths} - self._made
        missing = set()
        for directory in wanted:
            while directory not in self._made and directory not in missing and not directory.is_dir():
                missing.add(directory)
                directory = directory.parent
        for directory in sorted(missing, key=lambda d: len(d.parts)):
            try:
                os.mkdir(directory)
            except FileExistsError:
                pass
        self._made |= wanted | missing

    def write(self, dist_name: str, item: Item, source) -> Written:
        path = self.target(dist_name, item)
        parent = path.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        if os.path.lexists(path):
            # Unlink first: writing through a hard link would change the store's copy.
            os.unlink(path)
        if item.kind == "launcher":
            return _write_bytes(path, launcher(item.entry, self.interpreter), executable=True)
        if item.kind == "metadata":
            return _write_bytes(path, item.data or b"", executable=False)
        member = item.member
        if item.kind == "script":
            with source.open(member) as stream:
                data = stream.read()
            return _write_bytes(path, rewrite_shebang(data, self.interpreter), executable=True)
        local = source.local_path(member)
        if local is not None and self.link_mode != "copy":
            try:
                if self.link_mode == "hardlink":
                    os.link(local, path)
                else:
                    os.symlink(os.path.abspath(local), path)
                return Written(path, member.hash, member.size)
            except OSError as exc:
                if exc.errno not in _LINK_FALLBACK:
                    raise
        with source.open(member) as stream:
            written = _write_stream(path, stream, executable=member.executable)
        if local is not None:
            st = os.stat(local)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        if not member.hash and member.path.endswith(".pyc"):
            return Written(path, "", written.size)  # bytecode: RECORD may omit the hash
        return written

    def write_record(self, record_path: Path, written: Iterable[Written]) -> Written:
        base = record_path.parent.parent
        rows = [RecordRow(os.path.relpath(w.path, base).replace(os.sep, "/"), w.hash, w.size) for w in written]
        rows.append(RecordRow(os.path.relpath(record_path, base).replace(os.sep, "/")))
        data = render_record(rows)
        if os.path.lexists(record_path):
            os.unlink(record_path)
        _write_bytes(record_path, data, executable=False)
        return Written(record_path, "", len(data))


def _open_new(path: Path, executable: bool) -> int:
    # The mode passes through the umask, as it does for pip.
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o777 if executable else 0o666)


def _write_bytes(path: Path, data: bytes, *, executable: bool) -> Written:
    fd = _open_new(path, executable)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Written(path, encode_digest("sha256", hashlib.sha256(data).digest()), len(data))


def _write_stream(path: Path, stream, *, executable: bool) -> Written:
    h = hashlib.sha256()
    size = 0
    fd = _open_new(path, executable)
    with os.fdopen(fd, "wb") as f:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
            f.write(chunk)
    return Written(path, encode_digest("sha256", h.digest()), size)
