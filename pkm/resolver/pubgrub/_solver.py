"""The PubGrub loop: unit propagation, decision making and conflict resolution, step by step."""

from __future__ import annotations

from typing import Any, Hashable, NamedTuple, Union

from packaging.ranges import VersionRange
from packaging.version import Version

from ._incompatibility import DependencyCause, Incompatibility
from ._partial import ALMOST, SATISFIED, PartialSolution
from ._ranges import coerce_range, exactly, same_set
from ._term import Term
from .provider import Available, DependencyProvider

__all__ = ["NoSolution", "Progress", "Solver", "resolve"]

# A package involved in this many conflicts is decided before calmer ones: deciding the
# troublemaker early prunes the search instead of rediscovering the same conflict under it.
_CONFLICT_THRESHOLD = 5


class NoSolution(Exception):
    """No set of versions satisfies the root's requirements.

    `incompatibility` is the root of the derivation tree: follow `DerivedCause` links down to
    the external facts (dependencies, missing or unavailable versions) that together rule
    every solution out. `pkm.ui.report` turns it into sentences.
    """

    def __init__(self, incompatibility: Incompatibility, root: Hashable, root_version: Version) -> None:
        super().__init__(f"version solving failed for {root} {root_version}: {incompatibility!r}")
        self.incompatibility = incompatibility
        self.root = root
        self.root_version = root_version


class Progress(NamedTuple):
    """What one `Solver.step()` did and what comes next.

    `package` was just considered (None when nothing was left to do); `version` is the version
    decided for it, or None when none could be (the solver learned why and moves on).
    `pending` lists the packages still to decide with their required ranges, the next one
    first: the packages a caller should prefetch. `done` is True once `solution()` is ready
    (the step that makes the last decision already says so).
    """

    package: Any
    version: Union[Version, None]
    pending: tuple
    done: bool


class Solver:
    """PubGrub over a `DependencyProvider`, one decision per `step()`.

    >>> solver = Solver(provider, "root", Version("1.0"))   # doctest: +SKIP
    >>> while not solver.step().done: pass                  # doctest: +SKIP
    >>> solver.solution()                                   # doctest: +SKIP

    Each step propagates what is known, decides one package (choose a version, learn its
    dependencies) and propagates again, resolving conflicts by learning new incompatibilities
    and backjumping. A step raises `NoSolution` when it proves there is no solution (and every
    later step raises it again). Cost per step: one `choose_version` and at most one
    `get_dependencies` call, plus `prioritize` for packages whose range changed.
    """

    def __init__(self, provider: DependencyProvider, root: Hashable, root_version: Union[Version, str]) -> None:
        self._provider = provider
        self._root = root
        self._root_version = Version(str(root_version))
        self._solution = PartialSolution()
        self._incompatibilities: dict[Hashable, list[Incompatibility]] = {}
        self._known: dict[tuple[Hashable, Version], list[Incompatibility]] = {}
        self._learned: list[Incompatibility] = []
        # (package, dependency) -> the live dependency incompatibilities between them, so
        # versions that share a requirement share one incompatibility (see `_add_dependency`).
        self._edges: dict[tuple[Hashable, Hashable], list[Incompatibility]] = {}
        self._conflicts: dict[Hashable, int] = {}
        self._priorities: dict[Hashable, tuple[Term, Any]] = {}
        self._changed: dict[Hashable, None] = {root: None}  # an ordered set: runs are repeatable
        self._failure: NoSolution | None = None
        self._done = False
        self._add(Incompatibility.root(root, self._root_version))
        self._propagate()  # derives "root is required"; cannot fail, and makes pending() useful

    # -- public --------------------------------------------------------------------------------

    @property
    def root(self) -> Hashable:
        return self._root

    @property
    def done(self) -> bool:
        return self._done

    def step(self) -> Progress:
        """Decide one more package; see `Progress`. Raises `NoSolution` when there is none."""
        if self._failure is not None:
            raise self._failure
        if self._done:
            return Progress(None, None, (), True)
        try:
            self._propagate()
            pending = self.pending()
            if not pending:
                self._done = True
                return Progress(None, None, (), True)
            package, range = pending[0]
            version = self._decide(package, range)
            self._propagate()
            pending = self.pending()
        except NoSolution as failure:
            self._failure = failure
            raise
        self._done = not pending
        return Progress(package, version, tuple(pending), self._done)

    def pending(self) -> list[tuple[Hashable, VersionRange]]:
        """Undecided required packages with their ranges, in the order they will be decided.

        Asks the provider to `prioritize` packages whose range changed since last asked.
        """
        ranked = []
        for order, (package, term) in enumerate(self._solution.undecided()):
            ranked.append((self._priority(package, term), order, package, term.range))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [(package, range) for _, _, package, range in ranked]

    def solution(self) -> dict[Hashable, Version]:
        """Every decided package (the root included) and its version, once `done`."""
        if not self._done:
            raise RuntimeError("the solver has not finished; call step() until Progress.done")
        return self._solution.decisions()

    def learned(self) -> tuple[Incompatibility, ...]:
        """The incompatibilities conflict resolution derived so far, oldest first."""
        return tuple(self._learned)

    def conflicts(self, package: Hashable) -> int:
        """How many conflicts `package` took part in so far (drives its priority)."""
        return self._conflicts.get(package, 0)

    # -- the algorithm ---------------------------------------------------------------------------

    def _add(self, incompatibility: Incompatibility) -> None:
        for package in incompatibility.packages():
            self._incompatibilities.setdefault(package, []).append(incompatibility)

    def _priority(self, package: Hashable, term: Term) -> Any:
        if package == self._root:
            return (0, 0, 0)
        cached = self._priorities.get(package)
        if cached is not None and cached[0] is term:
            key = cached[1]
        else:
            key = self._provider.prioritize(package, term.range)
            self._priorities[package] = (term, key)
        count = self._conflicts.get(package, 0)
        if count >= _CONFLICT_THRESHOLD:
            return (1, -count, key)
        return (2, 0, key)

    def _propagate(self) -> None:
        while self._changed:
            package = next(iter(self._changed))
            del self._changed[package]
            # Newest first: learned incompatibilities are the most informative. A snapshot,
            # because conflict resolution may add to the list.
            for incompatibility in reversed(list(self._incompatibilities.get(package, ()))):
                status, term = self._solution.relation(incompatibility)
                if status == SATISFIED:
                    learned = self._resolve_conflict(incompatibility)
                    status, term = self._solution.relation(learned)
                    assert status == ALMOST and term is not None, "backjumping must leave one open term"
                    self._solution.derive(term.negate(), learned)
                    self._changed = {term.package: None}
                    break
                if status == ALMOST:
                    assert term is not None
                    self._solution.derive(term.negate(), incompatibility)
                    self._changed[term.package] = None

    def _resolve_conflict(self, incompatibility: Incompatibility) -> Incompatibility:
        learned = False
        while not incompatibility.is_terminal(self._root, self._root_version):
            for package in incompatibility.packages():
                self._conflicts[package] = self._conflicts.get(package, 0) + 1
            satisfier, term, previous_level = self._solution.satisfier(incompatibility)
            if satisfier.is_decision or previous_level != satisfier.level:
                if learned:
                    self._add(incompatibility)
                    self._learned.append(incompatibility)
                self._solution.backtrack(previous_level)
                return incompatibility
            assert satisfier.cause is not None
            incompatibility = Incompatibility.prior_cause(incompatibility, satisfier.cause, term.package)
            learned = True
        raise NoSolution(incompatibility, self._root, self._root_version)

    def _decide(self, package: Hashable, range: VersionRange) -> Version | None:
        if package == self._root:
            version: Version | None = self._root_version
        else:
            version = self._provider.choose_version(package, range)
        if version is None:
            self._add(Incompatibility.no_versions(package, range))
            self._changed[package] = None
            return None
        if version not in range:
            raise ValueError(f"the provider chose {package} {version}, outside the asked range {range!r}")
        incompatibilities = self._dependencies(package, version)
        if any(self._would_conflict(i, package, version) for i in incompatibilities):
            # Deciding now would satisfy one of its own incompatibilities; propagation will
            # exclude this version instead.
            self._changed[package] = None
            return None
        self._solution.decide(package, version)
        self._changed[package] = None
        return version

    def _dependencies(self, package: Hashable, version: Version) -> list[Incompatibility]:
        key = (package, version)
        known = self._known.get(key)
        if known is not None:
            return known
        answer = self._provider.get_dependencies(package, version)
        if isinstance(answer, Available):
            known = [
                self._add_dependency(package, version, dependency, coerce_range(range))
                for dependency, range in answer.dependencies.items()
            ]
        else:
            known = [Incompatibility.unavailable(package, exactly(version), answer.reason)]
            self._add(known[0])
        self._known[key] = known
        return known

    def _add_dependency(self, package: Hashable, version: Version, dependency: Hashable,
                        range: VersionRange) -> Incompatibility:
        """Record "package version depends on dependency range", merged with the same
        requirement from other versions: one incompatibility `{package v1|v2|..., not dep range}`
        lets propagation rule out every such version at once, and reads better in reports.
        """
        versions = exactly(version)
        edges = self._edges.setdefault((package, dependency), [])
        if dependency != package:
            for index, existing in enumerate(edges):
                cause = existing.cause
                if isinstance(cause, DependencyCause) and same_set(cause.dependency_range, range):
                    versions = cause.range | versions
                    range = cause.dependency_range
                    del edges[index]
                    for owner in existing.packages():
                        self._incompatibilities[owner].remove(existing)
                    break
        incompatibility = Incompatibility.dependency(package, versions, dependency, range)
        edges.append(incompatibility)
        self._add(incompatibility)
        return incompatibility

    def _would_conflict(self, incompatibility: Incompatibility, package: Hashable, version: Version) -> bool:
        for term in incompatibility.terms:
            if term.package == package:
                if not term.contains(version):
                    return False
                continue
            assigned = self._solution.term(term.package)
            if assigned is None or not assigned.satisfies(term):
                return False
        return True


def resolve(provider: DependencyProvider, root: Hashable, root_version: Union[Version, str]) -> dict[Hashable, Version]:
    """Every package version the root needs (the root included); raises `NoSolution`."""
    solver = Solver(provider, root, root_version)
    while not solver.step().done:
        pass
    return solver.solution()
