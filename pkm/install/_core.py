"""The install itself: a validated source's files written into a destination, RECORD last."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ._layout import Layout, plan_layout

__all__ = ["InstalledDistribution", "install", "install_layout", "layout_targets"]

# Below this many files a thread pool costs more than it saves.
_PARALLEL_THRESHOLD = 32


@dataclass(frozen=True)
class InstalledDistribution:
    """What `install` did: the distribution and every file written (RECORD last)."""

    name: str
    version: str
    files: tuple


def layout_targets(layout: Layout, destination) -> list:
    """Every absolute path the install of `layout` writes, RECORD last (nothing is touched)."""
    paths = [destination.target(layout.name, item) for item in layout.items]
    paths.append(destination.target(layout.name, layout.record))
    return paths


def install_layout(
    layout: Layout,
    source,
    destination,
    *,
    jobs: Optional[int] = None,
    on_file: Optional[Callable[[Path], None]] = None,
) -> InstalledDistribution:
    """Write a planned layout (see `install`)."""

    def write(item):
        written = destination.write(layout.name, item, source)
        if on_file is not None:
            on_file(written.path)
        return written

    items = layout.items
    prepare = getattr(destination, "prepare_dirs", None)
    if prepare is not None:  # every directory made once, parents first, before the files
        prepare([destination.target(layout.name, item) for item in items])
    if jobs is None:
        jobs = min(8, (os.cpu_count() or 1) * 2) if len(items) >= _PARALLEL_THRESHOLD else 1
    if jobs <= 1:
        written = [write(item) for item in items]
    else:
        # A few chunks, not a future per file: per-file submits cost more than a hard link.
        size = -(-len(items) // (jobs * 4))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pkm-install") as pool:
            futures = [pool.submit(lambda chunk: [write(item) for item in chunk], chunk) for chunk in chunks]
            try:
                written = [w for future in futures for w in future.result()]
            except BaseException:
                # Stop queued writes; leaving the `with` waits for running ones, so a
                # rollback that follows never races a writer.
                for future in futures:
                    future.cancel()
                raise
    record = destination.write_record(destination.target(layout.name, layout.record), written)
    if on_file is not None:
        on_file(record.path)
    return InstalledDistribution(layout.name, layout.version, tuple(w.path for w in written) + (record.path,))


def install(
    source,
    destination,
    *,
    requested: bool = True,
    direct_url=None,
    jobs: Optional[int] = None,
    on_file: Optional[Callable[[Path], None]] = None,
) -> InstalledDistribution:
    """Install the wheel `source` into `destination`.

    Every check (names, layout, sizes, RECORD, the expected artifact hash) runs before the
    first write; a refused wheel leaves the destination untouched. Existing files at the
    targets are replaced; use `apply` for an all-or-nothing change that can be rolled back.
    `requested` writes REQUESTED; `direct_url` (a `packaging.direct_url.DirectUrl` or its
    dict) writes `direct_url.json` (PEP 610). `jobs` bounds the writer threads (default:
    one for small wheels, a few for large ones); `on_file` is called after each file
    (from the writer threads when there are several).
    """
    layout = plan_layout(source, requested=requested, direct_url=direct_url)
    layout_targets(layout, destination)  # every target is checked before the first write
    return install_layout(layout, source, destination, jobs=jobs, on_file=on_file)
