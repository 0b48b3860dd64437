"""Whole-store maintenance: verify (re-hash and evict), gc (unreferenced entries), info (sizes)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pkm.errors import PkmError
from pkm.store._atomic import hash_file, remove_tree, unlink_missing_ok
from pkm.store._lock import FileLock, LockTimeoutError
from pkm.store._filelist import FILE_LIST, read_file_list
from pkm.store._members import MARKER
from pkm.store._prune import DEFAULT_MAX_AGE, prune_caches
from pkm.store._record import algorithm_of, hash_path, is_bytecode, is_signature, parse_record
from pkm.store._store import is_sha256

if TYPE_CHECKING:
    from pkm.store._store import Store

__all__ = ["Entry", "VerifyReport", "GcReport", "verify", "gc", "info"]

# Staging directories of a running unpack live in tmp/; never sweep one younger than this.
TMP_GRACE = 3600.0


@dataclass(frozen=True)
class Entry:
    """A store entry named in a report: `kind` is blob, tree, root, tmp or cache.

    A cache entry is named by its path under the store root (`builds-v1/<sha>/<key>`) and
    `bucket` says which bucket it belongs to.
    """

    kind: str
    name: str
    detail: str = ""
    size: int = 0
    bucket: str = ""


@dataclass
class VerifyReport:
    blobs: int = 0
    trees: int = 0
    corrupt: list = field(default_factory=list)  # list[Entry]; each one was evicted


@dataclass
class GcReport:
    dry_run: bool = False
    removed: list = field(default_factory=list)  # list[Entry]; with dry_run, what would go
    kept_blobs: int = 0
    kept_trees: int = 0
    kept_cache: int = 0  # cache entries used within max_age, or in use right now
    kept_views: int = 0
    failed: list = field(default_factory=list)  # list[Entry]; detail says why it could not be listed or removed

    @property
    def bytes_freed(self) -> int:
        return sum(e.size for e in self.removed)


def _blobs(store: Store) -> Iterator[Path]:
    base = store.root / "blobs" / "sha256"
    if not base.is_dir():
        return
    for fan in sorted(os.listdir(base)):
        folder = base / fan
        if folder.is_dir():
            for name in sorted(os.listdir(folder)):
                yield folder / name


def _trees(store: Store) -> Iterator[Path]:
    base = store.root / "trees"
    if base.is_dir():
        for name in sorted(os.listdir(base)):
            yield base / name


def _size(path: Path) -> int:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return 0
    if not os.path.isdir(path) or os.path.islink(path):
        return st.st_size
    total = 0
    for dirpath, _dirs, names in os.walk(str(path)):
        for n in names:
            try:
                total += os.lstat(os.path.join(dirpath, n)).st_size
            except FileNotFoundError:
                pass
    return total


def _tree_lock(store: Store, name: str, timeout: float) -> FileLock:
    return FileLock(store.root / "locks" / f"tree-{name}.lock", timeout=timeout, what=f"the store lock on the tree {name[:16]}")


# -- verify -------------------------------------------------------------------


def verify(store: Store) -> VerifyReport:
    """Re-hash every blob and check every tree (marker, file count, RECORD hashes); evict what is corrupt.

    Cost: reads every byte of the store. Trees are checked under their lock.
    """
    report = VerifyReport()
    if not (store.root / "store-version").exists():
        return report
    for path in _blobs(store):
        report.blobs += 1
        got, _ = hash_file(path)
        if got != path.name:
            size = _size(path)
            store._evict_blob(path, f"its content hashes to {got}")
            report.corrupt.append(Entry("blob", path.name, f"content hashes to {got}", size))
    for path in _trees(store):
        report.trees += 1
        with _tree_lock(store, path.name, store.lock_timeout):
            if not path.exists():
                continue
            problem = _tree_problem(store, path)
            if problem:
                size = _size(path)
                store._evict_tree(path, problem)
                report.corrupt.append(Entry("tree", path.name, problem, size))
    return report


def _tree_problem(store: Store, path: Path) -> str | None:
    """Why the tree at `path` is corrupt, or None.

    A tree holds exactly its wheel's files (the marker's count), each matching its
    RECORD row, plus bytecode the store compiled: a `__pycache__/*.pyc` RECORD does
    not list. Bytecode the wheel shipped is listed, so it is checked like any file.
    """
    info = store.tree_info(path.name) if is_sha256(path.name) else None
    if info is None:
        return "no readable completion marker"
    rows: dict = {}
    records = []
    for record in sorted(path.glob("*.dist-info/RECORD")):
        rel_record = record.relative_to(path).as_posix()
        records.append(rel_record)
        try:
            found = parse_record(record.read_bytes(), where=rel_record)
        except (OSError, PkmError):
            return f"{rel_record} is unreadable"
        rows.update((row.path, row) for row in found)
    files = []
    all_files: dict = {}  # every file, bytecode included: what the file list must say
    for dirpath, _dirs, names in os.walk(str(path)):
        rel_dir = os.path.relpath(dirpath, str(path)).replace(os.sep, "/")
        for n in names:
            rel = n if rel_dir == "." else f"{rel_dir}/{n}"
            if rel in (MARKER, FILE_LIST) or (rel_dir == "." and n.startswith(f".{MARKER}.")):
                continue
            all_files[rel] = os.lstat(os.path.join(dirpath, n)).st_size
            if rel not in rows and is_bytecode(rel):
                continue  # compiled by the store (or an interpreter) after unpacking
            files.append(rel)
    if len(files) != info.files:
        return f"holds {len(files)} files, its marker says {info.files}"
    for rel in sorted(files):
        row = rows.get(rel)
        if row is None:
            top = rel.split("/", 1)[0]
            if rel in records or is_signature(rel, top):
                continue
            return f"{rel} is not listed in its RECORD"
        if not row.hash:
            continue  # RECORD's own row
        digest, size = hash_path(path / rel, algorithm_of(row))
        if (row.size is not None and size != row.size) or digest != row.hash:
            return f"{rel} does not match its RECORD hash"
    for rel in sorted(set(rows) - set(files)):
        if not rel.endswith("/") and rows[rel].hash:
            return f"{rel} is missing"
    listed = read_file_list(path)
    # What installs read instead of walking the tree. Bytecode another interpreter wrote
    # later may be missing from it (the install then leaves it out); nothing else may.
    for rel, size, _, _ in listed or ():
        if all_files.get(rel) != size:
            return f"its file list does not match {rel}"
    return None


# -- gc -----------------------------------------------------------------------


def gc(store: Store, *, dry_run: bool = False, min_age: float = 3600.0,
       max_age: float = DEFAULT_MAX_AGE) -> GcReport:
    """Remove cache entries unused for `max_age` seconds, then blobs, trees and views no live
    root refers to, dead roots, and stale staging files.

    Caches first (`_prune`: built wheels, build envs, failed-build logs, metadata, pages, HTTP
    answers, interpreter probes; an entry locked by its owner is in use and kept), so a build
    env removed here drops its root and the trees only it used. A root is dead when its path
    no longer exists (or its record is unreadable).
    Entries younger than `min_age` seconds (blob mtime, renewed by `Store.blob()`;
    tree marker mtime, renewed when a tree is reused) are kept: they may belong to a command
    that has not registered its root yet. A tree locked by another process is
    skipped. With `dry_run` nothing is removed; the report says what would be.
    """
    report = GcReport(dry_run=dry_run)
    if not (store.root / "store-version").exists():
        return report
    now = time.time()
    with store.lock("gc", what="the store (gc)"):
        gone = prune_caches(store, report, max_age=max_age, dry_run=dry_run, now=now)
        live_trees: set[str] = set()
        live_blobs: set[str] = set()
        live_views: set[str] = set()
        for root in store.roots():
            pruned = os.path.abspath(str(root.path)) in gone  # a build env: dead, or as good as dead in a dry run
            if root.alive and not pruned:
                live_trees |= root.trees
                live_blobs |= root.blobs
                live_views |= root.views
            else:
                why = ("unreadable record" if not root.readable else f"its {root.kind} is pruned as unused" if pruned
                       else f"{root.kind} {root.path} no longer exists")
                report.removed.append(Entry("root", str(root.path), why, _size(root.record)))
                if not dry_run:
                    unlink_missing_ok(root.record)
        for path in _blobs(store):
            if path.name in live_blobs or _age(path, now) < min_age:
                report.kept_blobs += 1
                continue
            report.removed.append(Entry("blob", path.name, "", _size(path)))
            if not dry_run:
                unlink_missing_ok(path)
        for path in _trees(store):
            marker = path / MARKER
            if path.name in live_trees or _age(marker if marker.exists() else path, now) < min_age:
                report.kept_trees += 1
                continue
            _gc_tree(store, path, report, dry_run)
        _gc_views(store, live_views, report, dry_run=dry_run, min_age=min_age, now=now)
        if not dry_run:
            _sweep_tree_locks(store)
        tmp = store.root / "tmp"
        for name in sorted(os.listdir(tmp)) if tmp.is_dir() else ():
            path = tmp / name
            if _age(path, now) >= max(min_age, TMP_GRACE):
                report.removed.append(Entry("tmp", name, "stale staging", _size(path)))
                if not dry_run:
                    remove_tree(path)
    return report


def _gc_tree(store: Store, path: Path, report: GcReport, dry_run: bool) -> None:
    lock = _tree_lock(store, path.name, 0)
    try:
        lock.acquire()
    except LockTimeoutError:  # being published or compiled right now: in use
        report.kept_trees += 1
        return
    try:
        if not path.exists():
            return
        report.removed.append(Entry("tree", path.name, _wheel_name(store, path), _size(path)))
        if not dry_run:
            store._evict_tree(path, None)
            unlink_missing_ok(lock.path)  # safe while held: waiters notice the file changed and retry
    finally:
        lock.release()


def _gc_views(store: Store, live: set, report: GcReport, *, dry_run: bool, min_age: float, now: float) -> None:
    """Remove the views (`_view`) no live root lists and nobody built or used within `min_age`;
    one being built or extended right now (its lock held) is kept."""
    from pkm.store._view import VIEW_MARKER, VIEWS, remove_view, view_trees

    base = store.root / VIEWS
    for name in sorted(os.listdir(base)) if base.is_dir() and not base.is_symlink() else ():
        path = base / name
        marker = path / VIEW_MARKER
        if name in live or _age(marker if marker.exists() else path, now) < min_age:
            report.kept_views += 1
            continue
        lock = FileLock(store.root / "locks" / f"view-{name}.lock", timeout=0)
        if dry_run and not lock.path.exists():
            lock = None  # test nothing: taking it would leave a lock file behind
        try:
            if lock is not None:
                lock.acquire()
        except LockTimeoutError:
            report.kept_views += 1
            continue
        try:
            trees = view_trees(path)
            detail = "incomplete" if trees is None else f"merges {len(trees)} trees"
            report.removed.append(Entry("view", name, detail, _size(path)))
            if not dry_run:
                if path.is_symlink() or not path.is_dir():
                    unlink_missing_ok(path)
                else:
                    remove_view(store, path)
                unlink_missing_ok(lock.path)  # safe while held: waiters notice the file changed and retry
        finally:
            if lock is not None:
                lock.release()


def _sweep_tree_locks(store: Store) -> None:
    """Delete the lock files of trees that do not exist (failed or evicted unpacks), each while held."""
    folder = store.root / "locks"
    for name in sorted(os.listdir(folder)) if folder.is_dir() else ():
        digest = name[len("tree-"):-len(".lock")]
        if not (name.startswith("tree-") and name.endswith(".lock") and is_sha256(digest)):
            continue
        if (store.root / "trees" / digest).exists():
            continue
        lock = FileLock(folder / name, timeout=0)
        try:
            lock.acquire()
        except LockTimeoutError:
            continue  # someone is unpacking it right now
        try:
            if not (store.root / "trees" / digest).exists():
                unlink_missing_ok(lock.path)
        finally:
            lock.release()


def _wheel_name(store: Store, path: Path) -> str:
    info = store.tree_info(path.name) if is_sha256(path.name) else None
    return info.wheel if info else "incomplete"


def _age(path: Path, now: float) -> float:
    try:
        return now - os.lstat(path).st_mtime
    except FileNotFoundError:
        return 0.0



# -- info ---------------------------------------------------------------------


def info(store: Store) -> dict:
    """Counts and sizes per bucket: {"root", "version", "buckets": {name: {"entries", "bytes"}}}.

    Entries are blob files for `blobs`, tree directories for `trees`, root
    records for `roots`, files elsewhere. Cost: one walk of the store.
    """
    root = store.root
    try:
        version = (root / "store-version").read_text(encoding="utf-8").strip()
    except OSError:
        version = None
    buckets: dict[str, dict[str, int]] = {}
    names = sorted(os.listdir(root)) if root.is_dir() else []
    for name in names:
        path = root / name
        if not path.is_dir() or name == "locks":
            continue
        if name == "blobs":
            entries = sum(1 for _ in _blobs(store))
        elif name == "trees":
            entries = sum(1 for _ in _trees(store))
        else:
            entries = sum(len(files) for _d, _s, files in os.walk(str(path)))
        buckets[name] = {"entries": entries, "bytes": _size(path)}
    return {"root": str(root), "version": version, "buckets": buckets}
