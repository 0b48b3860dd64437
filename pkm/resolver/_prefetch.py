"""Prefetching in the background: the index's batch prefetches run while the solver goes on.

`Index.prefetch` returns once its whole batch is in (its slowest page: sqlalchemy's 3 MB),
and a solver that waited for each batch would idle through every level of the dependency
graph. Here batches run on a few background threads instead; when the solver asks for a
page or metadata file still in flight, the index's memo makes it wait for that one only.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Collection, Dict, Iterable, List, Mapping, Optional

from packaging.utils import canonicalize_name

from ._environment import marker_applies

__all__ = ["Prefetcher", "dependency_names"]

# Batches in flight at once. Each batch has its own pool of workers inside the index, so this
# multiplies the connections; two keep a level's pages and the next level's metadata going
# together without opening dozens of connections.
_BATCHES = 2


class Prefetcher:
    """Hands `index.prefetch` batches to background threads; `close` waits for them all.

    Failures in a batch are the index's to remember for the real call (its contract);
    anything else a batch raises is dropped here, since a prefetch only saves time.
    Cost: one call is a queue put; threads start on the first batch.
    """

    def __init__(self, index: Any) -> None:
        self._index = index
        self._pool: Optional[ThreadPoolExecutor] = None

    def submit(self, names: Iterable[str], metadata_for: Iterable[Any] = (),
               then: Optional[Callable[[List[Any]], Iterable[str]]] = None) -> None:
        """Start fetching `names` pages and the metadata of `metadata_for` artifacts; returns at once.

        `then(artifacts)`, called on the background thread once the batch is in, names pages
        to fetch next (the dependencies of those versions: the solver will want their pages
        soon, and a deep chain like pydantic -> pydantic-core is found a level earlier)."""
        names, artifacts = list(names), list(metadata_for)
        if not names and not artifacts:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=_BATCHES, thread_name_prefix="pkm-prefetch")
        self._pool.submit(_quietly, self._index, names, artifacts, then)

    def close(self, cancel: bool = False) -> None:
        """Wait for the batches submitted (so no thread outlives the resolution) and stop the threads.

        `cancel` drops the batches not started yet (when the resolution failed or was
        interrupted: nobody will read them); the ones under way are waited for."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None


def _quietly(index: Any, names: List[str], artifacts: List[Any],
             then: Optional[Callable[[List[Any]], Iterable[str]]]) -> None:
    try:
        index.prefetch(names, metadata_for=artifacts)
        following = list(then(artifacts)) if then is not None else []
        if following:
            index.prefetch(following)
    except Exception:  # the real call fetches again and reports it
        pass


def dependency_names(index: Any, markers: Mapping[str, str], artifacts: Iterable[Any],
                     asked: Collection[str]) -> List[str]:
    """The projects the metadata of `artifacts` (prefetched: in the index's memo) requires on a
    target with `markers`, minus those in `asked`: the pages the solver will want soon.
    Reads only; meant for a prefetch thread. Unreadable metadata is skipped (the solver's own
    call reports it)."""
    env = dict(markers, extra="")
    names: Dict[str, None] = {}
    for artifact in artifacts:
        try:
            requirements = index.core_metadata(artifact).requires_dist or []
        except Exception:
            continue
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name not in asked and (requirement.marker is None or marker_applies(requirement.marker, env)):
                names[name] = None
    return list(names)
