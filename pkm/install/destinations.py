"""Wheel destinations: where files land (an environment's scheme paths) and how (copy or link)."""

from __future__ import annotations

import errno
import hashlib
import os
from typing import Iterable, List, Mapping, NamedTuple, Optional, Protocol

from pkm.env.scripts import launcher, rewrite_shebang
from pkm.errors import PkmError
from pkm.store import encode_digest, render_record_rows

from ._layout import Item

__all__ = ["WheelDestination", "SchemeDestination", "Written", "LINK_MODES"]

LINK_MODES = ("copy", "hardlink", "symlink")
_CHUNK = 1 << 20
# Linking can fail for reasons that copying does not share: another filesystem, no
# permission to link, too many links to one inode, a filesystem without links.
_LINK_FALLBACK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


class Written(NamedTuple):
    """A file an install wrote (its absolute path), with the digest and size RECORD gets."""

    path: str
    hash: str
    size: int


class WheelDestination(Protocol):
    def target(self, dist_name: str, item: Item) -> str:
        """The absolute path `item` is written to (nothing is touched)."""
    def write(self, dist_name: str, item: Item, source, path: Optional[str] = None) -> Written:
        """Write one item at `path` (its target), replacing (never writing through) whatever is there."""
    def write_record(self, record_path: str, written: Iterable[Written]) -> Written:
        """Write RECORD, paths relative to its `.dist-info`'s parent; RECORD's own row is empty."""


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
        # Normalized once: a target is then one string join, no per-file normpath.
        self._roots = {key: os.path.normpath(os.fspath(path)) for key, path in self.scheme.items()}

    def _root(self, dist_name: str, scheme: str) -> str:
        if scheme == "headers" and "headers" not in self.scheme:
            return os.path.join(self._roots["include"], dist_name)
        return self._roots[scheme]

    def target(self, dist_name: str, item: Item) -> str:
        scheme, path = item.scheme, item.path
        root = self._roots[scheme] if scheme != "headers" else self._root(dist_name, scheme)
        # Names are checked already; this is the last line of defence, by parts (no normpath per file):
        # without empty, `.` or `..` parts (and no absolute start), the path cannot leave `root`.
        # With a `/` added at both ends, such a part shows as `//`, `/./` or `/../` (runs per file).
        framed = f"/{path}/"
        if "//" in framed or "/./" in framed or "/../" in framed or "\\" in path:
            raise PkmError(f"refusing to write {path!r} outside {root}", hint="the wheel is malicious; do not install it")
        return root + os.sep + path if os.sep == "/" else os.path.join(root, *path.split("/"))

    def write(self, dist_name: str, item: Item, source, path: Optional[str] = None) -> Written:
        """Write `item` at `path` (default: its target); whatever is there is replaced, never written through.

        The target's directory must exist. Cost: one link or create (a second try after an
        unlink when something was in the way).
        """
        if path is None:
            path = self.target(dist_name, item)
        try:
            return self._write(item, source, path)
        except FileExistsError:
            # Unlink first: writing through a hard link would change the store's copy.
            os.unlink(path)
            return self._write(item, source, path)

    def write_many(self, dist_name: str, pairs: Iterable[tuple], source) -> List[Written]:
        """`write` for each (item, target path) of `pairs`, in order, with the same results.

        The loop of an install: a file the source has on disk costs one link call and one
        tuple here; anything else (a copy, a script, a link that fails) goes through `write`.
        """
        if self.link_mode == "copy":
            return [self.write(dist_name, item, source, path) for item, path in pairs]
        link = os.link if self.link_mode == "hardlink" else _symlink
        local_path, write, out = source.local_path, self.write, []
        append = out.append
        for item, path in pairs:
            member = item.member
            local = local_path(member) if item.kind == "file" else None
            if local is not None:
                try:
                    link(local, path)
                except OSError:  # something in the way, or no link possible: `write` knows what to do
                    append(write(dist_name, item, source, path))
                else:
                    append(Written(path, member.hash, member.size))
            else:
                append(write(dist_name, item, source, path))
        return out

    def _write(self, item: Item, source, path: str) -> Written:
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
                (os.link if self.link_mode == "hardlink" else _symlink)(local, path)
                return Written(path, member.hash, member.size)
            except FileExistsError:
                raise
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

    def write_record(self, record_path: str, written: Iterable[Written]) -> Written:
        base = os.path.dirname(os.path.dirname(record_path))
        start = os.path.join(base, "")

        cut = len(start)

        def rel(path: str) -> str:
            # Targets have no `.`/`..` parts (see `target`): below `base`, the rest is the relative path.
            if path.startswith(start):
                return path[cut:].replace(os.sep, "/")
            return os.path.relpath(path, base).replace(os.sep, "/")

        if os.sep == "/":  # the rows of the files below `base` without a call each (one per file installed)
            rows = [(p[cut:], h, n) if p.startswith(start) else (rel(p), h, n) for p, h, n in written]
        else:
            rows = [(rel(p), h, n) for p, h, n in written]
        rows.append((rel(record_path), "", None))
        data = render_record_rows(rows)
        try:
            return _write_bytes(record_path, data, executable=False)
        except FileExistsError:
            os.unlink(record_path)
            return _write_bytes(record_path, data, executable=False)


def _symlink(local: str, path: str) -> None:
    os.symlink(os.path.abspath(local), path)


def _open_new(path: str, executable: bool) -> int:
    # The mode passes through the umask, as it does for pip.
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o777 if executable else 0o666)


def _write_bytes(path: str, data: bytes, *, executable: bool) -> Written:
    fd = _open_new(path, executable)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Written(path, encode_digest("sha256", hashlib.sha256(data).digest()), len(data))


def _write_stream(path: str, stream, *, executable: bool) -> Written:
    h = hashlib.sha256()
    size = 0
    fd = _open_new(path, executable)
    with os.fdopen(fd, "wb") as f:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
            f.write(chunk)
    return Written(path, encode_digest("sha256", h.digest()), size)
