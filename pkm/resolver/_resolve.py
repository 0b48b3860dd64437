"""Resolve Python requirements for one target: drive the PubGrub solver, prefetch, and package the answer."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Hashable, Iterable, Iterator, List, Optional, Sequence, Tuple

from packaging.requirements import Requirement
from packaging.version import Version

from pkm.errors import PkmError
from pkm.resolver.pubgrub import DerivedCause, Incompatibility, NoSolution, NoVersionsCause, Solver

from ._environment import Target
from ._model import ROOT, Contradiction, Options, split_package
from ._provider import PythonProvider

__all__ = ["NoResolution", "Resolution", "ResolvedPackage", "resolve"]

# A package in this many conflicts triggers a restart that decides it first; restarts are
# cheap (pages and metadata stay cached in the provider) and bounded.
_RESTART_AFTER = 8
_MAX_RESTARTS = 8


@dataclass(frozen=True)
class ResolvedPackage:
    """One project of a resolution: its version, the artifact chosen for the target, and the
    extras some requirement asked for. `artifact` is the index's Artifact (filename, url, hashes...);
    `files` every file of that version usable on the target (what a lock lists)."""

    name: str
    version: Version
    artifact: Any
    index_url: str = ""
    extras: Tuple[str, ...] = ()
    files: Tuple[Any, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """The answer: every project needed, sorted by name, and warnings worth showing."""

    packages: Tuple[ResolvedPackage, ...]
    target: Target = field(repr=False)
    warnings: Tuple[str, ...] = ()
    #: package -> the packages it depends on, as the solver saw them: "name" or "name[extra]"
    #: (an extra depends on its base package and on what the extra adds). For lock markers.
    edges: Dict[str, Tuple[str, ...]] = field(default_factory=dict, repr=False)

    def versions(self) -> Dict[str, Version]:
        return {p.name: p.version for p in self.packages}


class NoResolution(PkmError):
    """No set of versions satisfies the requirements.

    `failure` is the solver's `NoSolution` (its derivation tree; None when the request
    contradicts itself before solving, and `why` says how); `pkm.ui.report` renders it,
    with `known_versions` to spell ranges by real releases and `root_label` naming the root.
    `hints` are the facts behind the packages in the tree (requires-python, missing, yanked);
    `listings` the versions of projects that "have no version in range" (see `hints_for`).
    """

    def __init__(self, failure: Optional[NoSolution], hints: Sequence[str],
                 known_versions: Callable[[Hashable], Iterable[Version]], listings: Optional[Dict[str, str]] = None,
                 why: Optional[str] = None):
        super().__init__("no set of versions satisfies the requirements", why=why, hint=self.join(hints))
        self.failure = failure
        self.hints = tuple(hints)
        self.listings = dict(listings or {})
        self.known_versions = known_versions
        self.root_label = str(ROOT)

    @staticmethod
    def join(hints: Sequence[str]) -> str:
        """Hints as one `hint` value, one `hint:` line each once rendered."""
        return "\nhint: ".join(hints) if hints else "loosen the requirements named above"

    def hints_for(self, explanation: str) -> str:
        """The hint text for an explanation: the hints, plus the versions of each project the
        explanation says has no version in some range (those listings would be noise elsewhere)."""
        extra = [text for name, text in sorted(self.listings.items()) if f"there is no version of {name}" in explanation]
        return self.join(list(self.hints) + extra)


def resolve(requirements: Sequence[Requirement], index: Any, target: Target, options: Optional[Options] = None,
            *, on_step: Optional[Callable[[Any], None]] = None) -> Resolution:
    """The newest compatible versions of `requirements` and all their dependencies for `target`.

    `index` is shaped like `pkm.index.Index`. Requirements whose markers are false for the
    target are dropped; a direct URL requirement (`name @ URL` of a wheel or sdist) pins its
    package to that archive (UsageError for VCS URLs and directories). Raises
    NoResolution when none exists, OfflineError/NetworkError when the index cannot answer.
    `on_step` receives each solver `Progress` (for a progress display).
    Cost: one page per project involved, one metadata file per version tried (fetched
    concurrently ahead of the solver), plus an sdist download per sdist-only version tried.
    The cyclic garbage collector is paused meanwhile (see `_collector_paused`).
    """
    with _collector_paused():
        return _resolve(requirements, index, target, options, on_step)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration (and restore its state after).

    Index pages become hundreds of thousands of objects (botocore alone: 5,000 artifacts),
    and each allocation burst triggers collections that walk every live object: 0.1-0.3 s
    of a resolution. What a resolution allocates is freed by reference counting; the few
    cycles left wait for the collector's next run, once resolving is done.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _resolve(requirements: Sequence[Requirement], index: Any, target: Target, options: Optional[Options],
             on_step: Optional[Callable[[Any], None]]) -> Resolution:
    provider = PythonProvider(index, target, requirements, options)
    try:
        resolution = _solve(provider, on_step)
    except BaseException:  # no solution, an index failure, ^C: what is still queued is of no use
        provider.close(cancel=True)
        raise
    provider.close()
    return resolution


def _solve(provider: PythonProvider, on_step: Optional[Callable[[Any], None]]) -> Resolution:
    restarts = 0
    failures: Dict[Hashable, int] = {}
    solver = Solver(provider, ROOT, "0")
    try:
        while True:
            progress = solver.step()
            if on_step is not None:
                on_step(progress)
            if progress.done:
                break
            if progress.version is None and progress.package is not None and restarts < _MAX_RESTARTS:
                package = progress.package
                failures[package] = failures.get(package, 0) + 1
                if (package not in provider.hot and failures[package] >= _RESTART_AFTER
                        and solver.conflicts(package) >= _RESTART_AFTER):
                    # `package` keeps failing against a choice made before it was even known
                    # (boto3's exact botocore pins against the python-dateutil pandas got):
                    # start over deciding it and what leads to it first. Fetched data is kept.
                    provider.promote(provider.ancestors(package) + [package])
                    restarts += 1
                    failures.clear()
                    solver = Solver(provider, ROOT, "0")
                    continue
            provider.prefetch(progress.pending)
    except NoSolution as failure:
        hints, listings = _hints(provider, failure.incompatibility)
        raise NoResolution(failure, hints, provider.known_versions, listings) from None
    except Contradiction as clash:  # found before solving: say it in the user's own words
        why = f"you require {' and '.join(clash.requirements)}: no version of {clash.name} is all of these."
        raise NoResolution(None, ["keep the requirement on " + clash.name + " you mean"], provider.known_versions,
                           why=why) from None
    return _resolution(provider, solver.solution())


def _resolution(provider: PythonProvider, solution: Dict[Hashable, Version]) -> Resolution:
    extras: Dict[str, List[str]] = {}
    for package in solution:
        if isinstance(package, str):
            name, extra = split_package(package)
            if extra is not None:
                extras.setdefault(name, []).append(extra)
    packages = []
    for package, version in solution.items():
        if not isinstance(package, str) or split_package(package)[1] is not None:
            continue
        project = provider.project(package)
        packages.append(ResolvedPackage(package, version, provider.fit(package, version).artifact,
                                        project.index_url, tuple(sorted(extras.get(package, ()))),
                                        tuple(provider.files(package, version))))
    packages.sort(key=lambda p: p.name)
    edges: Dict[str, Tuple[str, ...]] = {}
    for package, version in solution.items():
        if isinstance(package, str):
            found = provider.get_dependencies(package, version)  # metadata is memoized: no I/O here
            edges[package] = tuple(sorted(d for d in getattr(found, "dependencies", {}) if isinstance(d, str)))
    return Resolution(tuple(packages), provider.target, tuple(provider.warnings), edges)


def _hints(provider: PythonProvider, incompatibility: Incompatibility) -> Tuple[List[str], Dict[str, str]]:
    """The provider's hints about the projects the tree mentions (in a stable order), and for
    projects with "no version in range" facts, a listing of the versions that do exist."""
    seen: set = set()
    names: List[str] = []
    stack = [incompatibility]
    visited: set = set()
    empty: set = set()  # projects with "no version in range" facts: listing their versions helps
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        for term in node.terms:
            if isinstance(term.package, str):
                name = split_package(term.package)[0]
                if name not in seen:
                    seen.add(name)
                    names.append(name)
        if isinstance(node.cause, NoVersionsCause) and isinstance(node.cause.package, str):
            empty.add(split_package(node.cause.package)[0])
        if isinstance(node.cause, DerivedCause):
            stack.extend((node.cause.second, node.cause.first))
    hints: List[str] = []
    listings: Dict[str, str] = {}
    for name in sorted(names):
        if name in provider.hints:
            hints.append(provider.hints[name])
            continue
        versions = provider.known_versions(name) if name in empty else []
        if versions:
            newest = sorted(versions, reverse=True)
            shown = ", ".join(str(v) for v in newest[:5]) + (", ..." if len(newest) > 5 else "")
            listings[name] = f"{name} has {len(newest)} version{'s' if len(newest) != 1 else ''} on the index: {shown}"
    return hints, listings

