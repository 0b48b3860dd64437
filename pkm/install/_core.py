"""The install itself: a validated source's files written into a destination, RECORD last."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional

from ._layout import Layout, plan_layout

__all__ = ["InstalledDistribution", "Writers", "default_jobs", "install", "install_layout", "layout_targets", "missing_dirs",
           "parent_of", "start_layout"]

# Files per task on the writer pool: a task per file costs more than a hard link.
_CHUNK = 64


@dataclass(frozen=True)
class InstalledDistribution:
    """What `install` did: the distribution and every file written (absolute paths, RECORD last)."""

    name: str
    version: str
    files: tuple


def default_jobs() -> int:
    """Writer threads: the work is mostly system calls (links, mkdirs) that release the GIL."""
    return min(8, (os.cpu_count() or 1) * 2)


class Writers:
    """The threads that write files: a bounded pool, or the calling thread when `jobs <= 1`.

    Used as a context manager: leaving it waits for running tasks; leaving on an exception
    also cancels the queued ones (so a rollback that follows never races a writer).
    """

    def __init__(self, jobs: int):
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pkm-install") if jobs > 1 else None

    def submit(self, fn: Callable, *args) -> Future:
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        future: Future = Future()
        future.set_result(fn(*args))  # inline: an exception propagates at once
        return future

    def __enter__(self) -> "Writers":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)


def layout_targets(layout: Layout, destination) -> List[str]:
    """Every absolute path the install of `layout` writes, RECORD last (nothing is touched).

    Each target is checked by the destination (no part may climb out of its scheme path).
    """
    target, name = destination.target, layout.name
    paths = [target(name, item) for item in layout.items]
    paths.append(target(name, layout.record))
    return paths


def parent_of(path: str) -> str:
    """`os.path.dirname` for the absolute, normalized paths targets are, at a tenth of its cost
    (it runs for every file of an install)."""
    return path[:path.rfind(os.sep)] or os.sep


def missing_dirs(paths: Iterable[str], *, stop: Optional[str] = None) -> List[str]:
    """The directories that must be made for `paths` to be written, parents first.

    Cost: one stat per distinct directory (none below a directory found missing).
    `stop` (a directory) is taken to exist: nothing above it is looked at.
    """
    exists: dict = {} if stop is None else {os.path.normpath(stop): True}

    def known(directory: str) -> bool:
        found = exists.get(directory)
        if found is None:
            parent = parent_of(directory)
            found = parent == directory or (known(parent) and os.path.isdir(directory))
            exists[directory] = found
        return found

    sep = os.sep
    for parent in {path[:path.rfind(sep)] or sep for path in paths}:  # parent_of, inline: once per file
        known(parent)
    return sorted((d for d, there in exists.items() if not there), key=lambda d: (d.count(os.sep), d))


def start_layout(
    layout: Layout,
    source,
    destination,
    writers: Writers,
    *,
    targets: List[str],
    new_dirs: Iterable[str],
    on_file: Optional[Callable[[str], None]] = None,
) -> Callable[[], InstalledDistribution]:
    """Queue the writes of a planned layout on `writers`; the returned function waits for them,
    writes RECORD and says what was installed. Directories in `new_dirs` are made by the
    writers that need them, parents first (on some filesystems a mkdir costs more than a hard
    link, so they go in parallel too); two writers may race for one directory, which is fine.
    """
    wanted = set(new_dirs)
    made: set = set()

    def make(directory: str) -> None:
        if directory in made or directory not in wanted:
            return
        make(parent_of(directory))
        try:
            os.mkdir(directory)
        except FileExistsError:
            pass
        made.add(directory)

    name = layout.name
    # A destination may write many items at once (`SchemeDestination.write_many`: a linked file
    # costs one system call and one tuple); `on_file` needs each file reported as it is written.
    write_many = getattr(destination, "write_many", None) if on_file is None else None
    sep = os.sep

    def write(pairs: list) -> list:
        for directory in {path[:path.rfind(sep)] or sep for _, path in pairs} & wanted:
            make(directory)
        if write_many is not None:
            return write_many(name, pairs, source)
        out = []
        write_one = destination.write
        for item, path in pairs:
            written = write_one(name, item, source, path)
            if on_file is not None:
                on_file(written.path)
            out.append(written)
        return out

    pairs = list(zip(layout.items, targets))
    futures = [writers.submit(write, pairs[i:i + _CHUNK]) for i in range(0, len(pairs), _CHUNK)]

    def finish() -> InstalledDistribution:
        written = [w for future in futures for w in future.result()]
        make(parent_of(targets[-1]))
        record = destination.write_record(targets[-1], written)
        if on_file is not None:
            on_file(record.path)
        return InstalledDistribution(layout.name, layout.version, tuple([w[0] for w in written]) + (record.path,))

    return finish


def install_layout(
    layout: Layout,
    source,
    destination,
    *,
    targets: Optional[List[str]] = None,
    jobs: Optional[int] = None,
    on_file: Optional[Callable[[str], None]] = None,
) -> InstalledDistribution:
    """Write a planned layout (see `install`); `targets` may be passed if the caller has them."""
    if targets is None:
        targets = layout_targets(layout, destination)
    if jobs is None:
        jobs = default_jobs() if len(targets) > _CHUNK else 1
    with Writers(jobs) as writers:
        finish = start_layout(layout, source, destination, writers, targets=targets,
                              new_dirs=missing_dirs(targets), on_file=on_file)
        return finish()


def install(
    source,
    destination,
    *,
    requested: bool = True,
    direct_url=None,
    jobs: Optional[int] = None,
    on_file: Optional[Callable[[str], None]] = None,
) -> InstalledDistribution:
    """Install the wheel `source` into `destination`.

    Every check (names, layout, sizes, RECORD, the expected artifact hash) runs before the
    first write; a refused wheel leaves the destination untouched. Existing files at the
    targets are replaced; use `apply` for an all-or-nothing change that can be rolled back.
    `requested` writes REQUESTED; `direct_url` (a `packaging.direct_url.DirectUrl` or its
    dict) writes `direct_url.json` (PEP 610). `jobs` bounds the writer threads (default:
    one for small wheels, a few for large ones); `on_file` is called with each file's path
    after it is written (from the writer threads when there are several).
    """
    layout = plan_layout(source, requested=requested, direct_url=direct_url)
    targets = layout_targets(layout, destination)  # every target is checked before the first write
    return install_layout(layout, source, destination, targets=targets, jobs=jobs, on_file=on_file)
