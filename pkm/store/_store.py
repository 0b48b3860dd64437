"""The store object: layout under PKM_HOME, verified blobs, unpacked trees, buckets."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Union

from pkm._used import mark_used
from pkm.errors import HashMismatchError, NotFoundError, PkmError
from pkm.store._atomic import atomic_write, copy_hashed, fsync_dir, hash_file, publish_dir, remove_tree, unlink_missing_ok
from pkm.store._elf import outside_run_paths
from pkm.store._filelist import FILE_LIST, make_read_only, tree_files, write_file_list
from pkm.store._lock import FileLock
from pkm.store._members import MARKER, ArchiveLimits
from pkm.store._unpack import unpack_wheel_file

__all__ = ["Store", "TreeInfo", "STORE_VERSION", "MARKER"]

STORE_VERSION = 1
MARKER_VERSION = 1
_HEX = re.compile(r"[0-9a-f]{64}")
_BUCKET = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-v[0-9]+")
Source = Union[str, "os.PathLike[str]", BinaryIO]
# Called with (kind, sha256, reason) when a corrupt entry is found and removed.
EvictHook = Callable[[str, str, str], None]


@dataclass(frozen=True)
class TreeInfo:
    """A published tree and what its completion marker says about it."""

    path: Path
    sha256: str
    wheel: str
    files: int
    interpreters: tuple[str, ...]
    # `"<file>: <run path>"` for each shared object finding libraries outside the tree
    # (`_elf.outside_run_paths`); None when the marker predates the question (`Store.outside_run_paths`)
    outside: tuple[str, ...] | None = None


def is_sha256(value: str) -> bool:
    return bool(_HEX.fullmatch(value))


def check_sha256(value: str) -> str:
    """`value` as a lower-case sha256 hex digest, or UsageError-like PkmError if it is not one."""
    digest = value.lower()
    if not _HEX.fullmatch(digest):
        raise PkmError(f"not a sha256 hex digest: {value!r}", hint="pass the 64 hex digits of the artifact's sha256")
    return digest


class Store:
    """A content-addressed store rooted at `root` (PKM_HOME); see the package docstring.

    Creating a Store touches nothing on disk; the first write creates the
    layout and the `store-version` file. Safe to share between threads and
    processes. `lock_timeout` bounds every wait for another process;
    `limits` caps what an unpacked wheel may hold; `on_evict` hears about
    every corrupt entry removed.
    """

    def __init__(self, root: Path, *, lock_timeout: float = 60.0, limits: ArchiveLimits = ArchiveLimits(),
                 on_evict: EvictHook | None = None):
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.limits = limits
        self.on_evict = on_evict
        self._ready = False

    # -- layout ---------------------------------------------------------------

    @property
    def tmp(self) -> Path:
        """Staging space on the store's filesystem: download here, then `add_blob(..., move=True)`."""
        self.ensure()
        return self.root / "tmp"

    def ensure(self) -> None:
        """Create the layout if needed; refuse a store written by an incompatible pkm."""
        if self._ready:
            return
        version_file = self.root / "store-version"
        try:
            found = version_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            found = None
        except OSError as exc:
            raise PkmError(f"cannot read the store at {self.root}", why=str(exc),
                           hint="check PKM_HOME and its permissions") from exc
        if found is not None and found != str(STORE_VERSION):
            raise PkmError(
                f"the store at {self.root} has layout version {found!r}; this pkm reads version {STORE_VERSION}",
                hint="point PKM_HOME at another directory, or delete this one (it is only a cache)")
        try:
            for sub in ("blobs/sha256", "trees", "tmp", "locks", "roots"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            if found is None:
                atomic_write(version_file, f"{STORE_VERSION}\n")
        except OSError as exc:
            raise PkmError(f"cannot create the store at {self.root}", why=str(exc),
                           hint="check PKM_HOME and its permissions") from exc
        self._ready = True

    def bucket(self, name: str) -> Path:
        """The directory of a versioned bucket (`metadata-v1`, `runtime-v1`, ...), created on demand.

        Its layout belongs to its user; the store sizes it (`info`) and, for the caches
        listed in `_prune`, removes entries unused for gc's max age.
        """
        if not _BUCKET.fullmatch(name):
            raise PkmError(f"not a bucket name: {name!r}", hint="bucket names look like `runtime-v1`")
        self.ensure()
        path = self.root / name
        path.mkdir(exist_ok=True)
        return path

    def lock(self, name: str, *, shared: bool = False, what: str = "") -> FileLock:
        """A cross-process lock named `name` (a file under `locks/`); use it with `with`."""
        self.ensure()
        return FileLock(self.root / "locks" / f"{name}.lock", timeout=self.lock_timeout, shared=shared,
                        what=f"the store lock on {what or name}")

    # -- blobs ----------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (whether or not it is there)."""
        digest = check_sha256(sha256)
        return self.root / "blobs" / "sha256" / digest[:2] / digest

    def blob(self, sha256: str, *, verify: bool = True) -> Path | None:
        """The stored blob, or None if absent. With `verify` (cost: one read of
        the file) a blob whose content no longer matches is evicted and None returned.
        A blob handed out has its mtime renewed: gc's grace period counts from the last use."""
        path = self.blob_path(sha256)
        if not path.is_file():
            return None
        if verify:
            got, _ = hash_file(path)
            if got != sha256.lower():
                self._evict_blob(path, f"its content hashes to {got}")
                return None
        mark_used(path)
        return path

    def add_blob(self, source: Source, sha256: str, *, move: bool = False) -> Path:
        """Store `source` (a path or a binary stream) under `sha256`, verified; returns the blob's path.

        The bytes are hashed on the way in; a mismatch raises HashMismatchError
        and stores nothing. With `move=True` a path is renamed into place (no
        copy: download into `store.tmp` first) and the store takes it over, also
        on mismatch (it is deleted). Idempotent: adding a present blob replaces
        it with the verified bytes. Durable: fsync before the rename.
        """
        digest = check_sha256(sha256)
        self.ensure()
        dest = self.blob_path(digest)
        if isinstance(source, (str, os.PathLike)):
            src = Path(source)
            if move:
                return self._move_blob(src, digest, dest)
            with open(src, "rb") as stream:
                return self._copy_blob(stream, digest, dest, str(src))
        return self._copy_blob(source, digest, dest, getattr(source, "name", "stream"))

    def _copy_blob(self, stream: BinaryIO, digest: str, dest: Path, label: str) -> Path:
        staged = self.root / "tmp" / f"blob-{secrets.token_hex(8)}"
        try:
            got, _ = copy_hashed(stream, staged)
            if got != digest:
                raise _mismatch(label, digest, got)
            return self._publish_blob(staged, dest)
        finally:
            unlink_missing_ok(staged)

    def _move_blob(self, src: Path, digest: str, dest: Path) -> Path:
        try:
            got, _ = hash_file(src)
            if got != digest:
                raise _mismatch(str(src), digest, got)
            with open(src, "rb+") as f:  # the downloader may not have synced it
                os.fsync(f.fileno())
            try:
                return self._publish_blob(src, dest)
            except OSError:  # another filesystem: copy instead
                with open(src, "rb") as stream:
                    return self._copy_blob(stream, digest, dest, str(src))
        finally:
            unlink_missing_ok(src)

    def _publish_blob(self, staged: Path, dest: Path) -> Path:
        os.chmod(staged, 0o444)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, dest)
        fsync_dir(dest.parent)
        return dest

    def _evict_blob(self, path: Path, reason: str) -> None:
        unlink_missing_ok(path)
        if self.on_evict is not None:
            self.on_evict("blob", path.name, reason)

    # -- trees ----------------------------------------------------------------

    def tree_path(self, sha256: str) -> Path:
        """Where the tree of the wheel with this digest lives (whether or not it is there)."""
        return self.root / "trees" / check_sha256(sha256)

    def tree(self, sha256: str) -> Path | None:
        """The published tree of this wheel, or None (absent, unfinished, or its marker unreadable)."""
        info = self.tree_info(sha256)
        return info.path if info is not None else None

    def tree_info(self, sha256: str) -> TreeInfo | None:
        """The tree and its marker's record, or None where `tree()` would say None. Cost: one small read."""
        path = self.tree_path(sha256)
        try:
            record = json.loads((path / MARKER).read_text(encoding="utf-8"))
            if record.get("version") != MARKER_VERSION or record.get("sha256") != path.name:
                return None
            outside = record.get("outside")
            return TreeInfo(path, path.name, str(record["wheel"]), int(record["files"]),
                            tuple(record["interpreters"]), None if outside is None else tuple(map(str, outside)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def add_tree(self, wheel: str | os.PathLike[str], sha256: str, *, filename: str | None = None,
                 compile: bool = True) -> Path:
        """Unpack the wheel at `wheel` (whose sha256 is `sha256`) into its tree, once; returns the tree.

        Safe: every member is checked before anything is written, and every file
        against the wheel's RECORD while it is written (UnsafeArchiveError; the
        policy is in `_record`). The wheel is hashed first (HashMismatchError). Unpacks into `tmp/`,
        compiles `.pyc` for the running interpreter (unless `compile=False`),
        makes files read-only, renames the directory into `trees/` and writes
        the completion marker. Concurrent callers for one wheel: one unpacks,
        the others wait (bounded) and reuse its tree. A leftover tree without
        a marker is replaced. `filename` (default: the file's name) is recorded.
        """
        digest = check_sha256(sha256)
        found = self.tree_info(digest)
        if found is not None:
            mark_used(found.path / MARKER)  # tells gc's grace period that it is in use
            return found.path
        self.ensure()
        name = filename or Path(wheel).name
        with self.lock(f"tree-{digest}", what=f"the tree of {name}"):
            found = self.tree_info(digest)
            if found is not None:
                return found.path
            final = self.tree_path(digest)
            if final.exists():  # a crash between rename and marker, or a damaged marker
                self._evict_tree(final, "it has no readable completion marker")
            got, _ = hash_file(Path(wheel))
            if got != digest:
                raise _mismatch(str(wheel), digest, got)
            with publish_dir(self.root / "tmp", final, prefix=f"tree-{digest[:16]}-") as staging:
                files, executables = unpack_wheel_file(Path(wheel), name, staging, self.limits)
                tags = []
                if compile:
                    from pkm.store._bytecode import compile_here  # compileall: off a warm install's path

                    tags = [compile_here(staging, ddir=final)]
                listed = make_read_only(staging, executables)
                write_file_list(staging, listed, tmp_dir=self.root / "tmp")
                outside = outside_run_paths(str(staging), (rel for rel, _size, _x in listed))
            self._write_marker(final, name, files, tags, outside)
        return final

    def _write_marker(self, tree: Path, wheel: str, files: int, tags: list[str],
                      outside: list[str] | tuple[str, ...] | None) -> None:
        record = {"version": MARKER_VERSION, "wheel": wheel, "sha256": tree.name, "files": files,
                  "interpreters": sorted(set(tags)), "written": time.time()}
        if outside is not None:
            record["outside"] = list(outside)
        # staged in tmp/, so a crash never leaves a stray file inside the tree
        atomic_write(tree / MARKER, json.dumps(record, indent=1) + "\n", mode=0o444, tmp_dir=self.root / "tmp")

    def compile_tree(self, sha256: str, python: str | os.PathLike[str], *, compiler=None) -> TreeInfo:
        """Add bytecode for another interpreter (`python`, an executable) to a published tree.

        Runs that interpreter's compileall in a subprocess (`compiler`, a `_bytecode.Compiler`
        of it, saves the start for many trees), under the tree's lock, then records its cache
        tag in the marker. Raises NotFoundError if the tree is not published.
        """
        digest = check_sha256(sha256)
        with self.lock(f"tree-{digest}", what=f"the tree {digest[:16]}"):
            info = self.tree_info(digest)
            if info is None:
                raise NotFoundError(f"no tree {digest} in the store",
                                    hint="unpack the wheel into the store first")
            if compiler is None:
                from pkm.store._bytecode import compile_with

                tag = compile_with(python, info.path)
            else:
                tag = compiler.compile(info.path)
            write_file_list(info.path, make_read_only(info.path, set()), tmp_dir=self.root / "tmp")
            if tag not in info.interpreters:
                self._write_marker(info.path, info.wheel, info.files, [*info.interpreters, tag], info.outside)
        return self.tree_info(digest) or info

    def outside_run_paths(self, sha256: str) -> tuple[str, ...]:
        """The run paths by which the tree's shared objects look for libraries outside it
        (`"<file>: <run path>"`, see `_elf`); empty for a self-contained tree.

        Computed when the tree is unpacked and kept in its marker; for a tree unpacked by an
        older pkm it is computed now (cost: a few reads per shared object) and added to the
        marker under the tree's lock. Raises NotFoundError if the tree is not published.
        """
        digest = check_sha256(sha256)
        info = self.tree_info(digest)
        if info is not None and info.outside is not None:
            return info.outside
        with self.lock(f"tree-{digest}", what=f"the tree {digest[:16]}"):
            info = self.tree_info(digest)
            if info is None:
                raise NotFoundError(f"no tree {digest} in the store", hint="unpack the wheel into the store first")
            if info.outside is None:
                found = outside_run_paths(str(info.path), (rel for rel, _p, _st in
                                                           tree_files(info.path, ignore=(MARKER, FILE_LIST))))
                self._write_marker(info.path, info.wheel, info.files, list(info.interpreters), found)
                return tuple(found)
        return info.outside

    def evict_tree(self, sha256: str, reason: str) -> None:
        """Remove a tree (e.g. found corrupt), under its lock."""
        digest = check_sha256(sha256)
        with self.lock(f"tree-{digest}", what=f"the tree {digest[:16]}"):
            path = self.tree_path(digest)
            if path.exists():
                self._evict_tree(path, reason)

    def _evict_tree(self, path: Path, reason: str | None) -> None:
        """Remove a tree directory (caller holds its lock); `reason` set means it was corrupt."""
        # Rename first, so the tree disappears at once; delete at leisure.
        doomed = self.root / "tmp" / f"evicted-{path.name[:16]}-{secrets.token_hex(4)}"
        os.replace(path, doomed)
        remove_tree(doomed)
        if reason is not None and self.on_evict is not None:
            self.on_evict("tree", path.name, reason)

    # -- roots, verify, gc, info (in _roots and _maintain) ----------------------

    def verify(self):
        """Re-hash every blob, check every tree, evict the corrupt; returns a VerifyReport."""
        from pkm.store._maintain import verify

        return verify(self)

    def gc(self, *, dry_run: bool = False, min_age: float = 3600.0, max_age: float = 30 * 86400.0):
        """Remove what no live root uses and cache entries unused for `max_age` s (see `_maintain.gc`); a GcReport."""
        from pkm.store._maintain import gc

        return gc(self, dry_run=dry_run, min_age=min_age, max_age=max_age)

    def info(self) -> dict:
        """Counts and sizes per bucket (see `_maintain.info`)."""
        from pkm.store._maintain import info

        return info(self)

    def add_root(self, path: str | os.PathLike[str], kind: str, *, trees=(), blobs=(), views=()) -> Path:
        """Register (or update) what the environment, lock or manifest at `path` uses; see `_roots`."""
        from pkm.store._roots import add_root

        return add_root(self, Path(path), kind, trees=trees, blobs=blobs, views=views)

    def add_view(self, trees) -> Path:
        """The view merging these published trees (wheel digests, in order), built once; see `_view`."""
        from pkm.store._view import add_view

        return add_view(self, trees)

    def remove_root(self, path: str | os.PathLike[str]) -> bool:
        from pkm.store._roots import remove_root

        return remove_root(self, Path(path))

    def roots(self) -> list:
        from pkm.store._roots import read_roots

        return read_roots(self)


def _mismatch(label: str, expected: str, got: str) -> HashMismatchError:
    return HashMismatchError(f"sha256 of {label} does not match", why=f"expected {expected}\n     got {got}",
                             hint="the download is corrupt or was tampered with; fetch it again from a trusted index")
