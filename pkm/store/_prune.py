"""Cache pruning for gc: entries of the cache buckets that nobody has used for a while.

The store's other buckets belong to other layers (`Store.bucket`); the caches among them are
listed in `CACHE_BUCKETS`, with where an entry sits and which store lock its owner holds while
using it. The owners renew an entry's mtime on every hit (one `os.utime`), so the mtime says
when the entry was last used and gc removes what has not been used for `max_age` seconds.

`runtime-v1` is not a cache: its manifests are gc roots. Buckets not listed are left alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Set, Tuple

from pkm.store._atomic import remove_tree, unlink_missing_ok
from pkm.store._lock import FileLock, LockTimeoutError

if TYPE_CHECKING:
    from pkm.store._maintain import GcReport
    from pkm.store._store import Store

__all__ = ["CacheBucket", "CACHE_BUCKETS", "DEFAULT_MAX_AGE", "prune_caches"]

DAY = 86400.0
DEFAULT_MAX_AGE = 30 * DAY


@dataclass(frozen=True)
class CacheBucket:
    """A cache bucket and the shape of its entries.

    `depth` 0: every file (at any depth) is an entry, folders only group them. `depth` n: the
    folders n levels down are the entries (anything else at or above that level is a stray
    entry too). `locks(parts)` names the store locks (`locks/<name>.lock`) the owner holds on
    the entry at `parts` while it writes or uses it; gc skips an entry any of them is held on.
    `marker` is the file whose presence makes a folder entry valid to its owner: removed first.
    """

    name: str
    depth: int = 0
    locks: Optional[Callable[[Tuple[str, ...]], Tuple[str, ...]]] = None
    marker: str = ""


# Lock names as their owners spell them: pkm/build/_frontend.py (`build-<sha[:16]>-<key>`,
# held while a wheel is built into the entry) and pkm/build/_env.py (`build-env-<key>` while
# the env is made, `build-env-use-<key>` shared while a process uses it).
CACHE_BUCKETS = (
    CacheBucket("builds-v1", 2, lambda parts: (f"build-{parts[0][:16]}-{parts[1]}",), "built.json"),
    CacheBucket("build-envs-v1", 1, lambda parts: (f"build-env-{parts[0]}", f"build-env-use-{parts[0]}"),
                ".pkm-ready"),
    CacheBucket("build-logs-v1"),
    CacheBucket("metadata-v1"),
    CacheBucket("pages-v1"),
    CacheBucket("index-v1"),
    CacheBucket("interpreters-v1"),
)


@dataclass(frozen=True)
class _Found:
    path: Path
    parts: Tuple[str, ...]
    is_entry_dir: bool  # a real folder at the entry level (not a stray file or a symlink)


def prune_caches(store: Store, report: GcReport, *, max_age: float, dry_run: bool, now: float) -> Set[str]:
    """Remove (or with `dry_run` only list) cache entries unused for `max_age` seconds; returns the
    absolute paths of the folders removed (gc drops roots that pointed at them, e.g. build envs).

    Never follows a symlink: a link is an entry of its own and is unlinked; a bucket that is
    itself a link is skipped. An entry that cannot be listed or removed goes to
    `report.failed` and the rest go on. Cost: one lstat per entry plus a walk of each removed
    folder (to size it).
    """
    gone: Set[str] = set()
    for bucket in CACHE_BUCKETS:
        base = store.root / bucket.name
        if os.path.islink(base) or not os.path.isdir(base):
            continue
        found: List[_Found] = []
        empty: List[Path] = []
        _walk(base, (), bucket.depth, found, empty, report, bucket.name)
        for item in found:
            if _age(item.path, now) < max_age:
                report.kept_cache += 1
                continue
            names = bucket.locks(item.parts) if bucket.locks is not None and item.is_entry_dir else ()
            _prune_entry(store, bucket, item, names, report, max_age=max_age, dry_run=dry_run, now=now, gone=gone)
        if not dry_run:
            for folder in empty:
                if _age(folder, now) >= max_age:
                    try:
                        os.rmdir(folder)
                    except OSError:
                        pass  # filled again meanwhile, or not ours to remove
    return gone


def _prune_entry(store: Store, bucket: CacheBucket, item: _Found, lock_names: Tuple[str, ...], report: GcReport,
                 *, max_age: float, dry_run: bool, now: float, gone: Set[str]) -> None:
    """Remove one old entry unless one of its locks is held (then it is in use, and kept).

    The locks are held while it is removed, and their files deleted with it (while held).
    """
    from pkm.store._maintain import Entry

    locks = [FileLock(store.root / "locks" / f"{name}.lock", timeout=0) for name in lock_names]
    if dry_run:  # test the locks without leaving lock files behind
        if all(not lock.path.exists() or _free(lock) for lock in locks):
            _remove(item, bucket, report, dry_run, now, gone)
        else:
            report.kept_cache += 1
        return
    held: List[FileLock] = []
    try:
        for lock in locks:
            lock.acquire()
            held.append(lock)
    except LockTimeoutError:  # being built, made or used right now
        report.kept_cache += 1
    except OSError as exc:
        report.failed.append(Entry("cache", _name(bucket, item), f"cannot lock it: {_why(exc)}", bucket=bucket.name))
    else:
        if held and _age(item.path, now) < max_age:  # used while we were taking the locks
            report.kept_cache += 1
        elif _remove(item, bucket, report, dry_run, now, gone):
            for lock in held:
                unlink_missing_ok(lock.path)  # safe while held: waiters notice the file changed and retry
    finally:
        for lock in reversed(held):
            lock.release()


def _walk(folder: Path, parts: Tuple[str, ...], depth: int, found: List[_Found], empty: List[Path],
          report: GcReport, bucket: str) -> None:
    """Collect the entries under `folder` (at `parts` inside the bucket), and folders already empty."""
    from pkm.store._maintain import Entry

    try:
        with os.scandir(folder) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        report.failed.append(Entry("cache", "/".join((bucket,) + parts), f"cannot list it: {_why(exc)}",
                                   bucket=bucket))
        return
    if not children and parts:
        empty.append(folder)
    for child in children:
        here = parts + (child.name,)
        try:
            is_dir = child.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir and (depth == 0 or len(here) < depth):
            _walk(Path(child.path), here, depth, found, empty, report, bucket)
        else:
            found.append(_Found(Path(child.path), here, is_dir and len(here) == depth))


def _remove(item: _Found, bucket: CacheBucket, report: GcReport, dry_run: bool, now: float,
            gone: Set[str]) -> bool:
    """Remove one entry (unless `dry_run`) and report it; False (and reported as failed) if it could not be."""
    from pkm.store._maintain import Entry, _size

    name = _name(bucket, item)
    detail = _describe(bucket, item, now)
    try:
        size = _size(item.path)
        if not dry_run:
            if item.is_entry_dir and bucket.marker:
                unlink_missing_ok(item.path / bucket.marker)  # first: no reader takes a half-removed entry
            remove_tree(item.path)
    except OSError as exc:
        report.failed.append(Entry("cache", name, _why(exc), bucket=bucket.name))
        return False
    report.removed.append(Entry("cache", name, detail, size, bucket=bucket.name))
    if item.is_entry_dir:
        gone.add(os.path.abspath(str(item.path)))
    return True


def _describe(bucket: CacheBucket, item: _Found, now: float) -> str:
    if os.path.islink(item.path):
        return "a symbolic link"
    words = f"unused for {_span(_age(item.path, now))}"
    if bucket.name == "builds-v1" and item.is_entry_dir:
        try:
            wheel = json.loads((item.path / "built.json").read_text(encoding="utf-8"))["wheel"]
            return f"{wheel}, {words}"
        except (OSError, ValueError, KeyError, TypeError):
            return f"incomplete, {words}"
    return words


def _span(seconds: float) -> str:
    """`seconds` for people: 45 s, 12 min, 5 h, 41 days."""
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / DAY:.0f} days"


def _name(bucket: CacheBucket, item: _Found) -> str:
    return "/".join((bucket.name,) + item.parts)


def _free(lock: FileLock) -> bool:
    """Whether nobody holds `lock` (tested by taking it for a moment)."""
    try:
        lock.acquire()
    except (LockTimeoutError, OSError):
        return False
    lock.release()
    return True


def _age(path: Path, now: float) -> float:
    try:
        return now - os.lstat(path).st_mtime
    except OSError:
        return -1.0  # gone meanwhile (or unreadable): as if just used, so nothing is done to it


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
