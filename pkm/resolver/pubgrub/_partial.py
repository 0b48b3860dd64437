"""The partial solution: the ordered assignments (decisions and derivations) made so far."""

from __future__ import annotations

from typing import Hashable, Iterator

from packaging.version import Version

from ._incompatibility import Incompatibility
from ._ranges import exactly
from ._term import Term

__all__ = ["ALMOST", "Assignment", "CONTRADICTED", "INCONCLUSIVE", "PartialSolution", "SATISFIED"]

SATISFIED, ALMOST, CONTRADICTED, INCONCLUSIVE = "satisfied", "almost", "contradicted", "inconclusive"


class Assignment:
    """One step of the partial solution: a decision (`cause is None`) or a derivation."""

    __slots__ = ("cause", "index", "level", "term", "version")

    def __init__(self, term: Term, level: int, index: int, cause: Incompatibility | None,
                 version: Version | None = None) -> None:
        self.term = term
        self.level = level
        self.index = index
        self.cause = cause
        self.version = version

    @property
    def is_decision(self) -> bool:
        return self.cause is None

    def __repr__(self) -> str:
        kind = "decision" if self.cause is None else "derivation"
        return f"<{kind} {self.term!r} @{self.level}>"


class PartialSolution:
    """Assignments in order, with per-package running intersections for fast relation tests.

    Decision levels follow the PubGrub write-up: derivations made before any decision are at
    level 0; the root's decision opens level 1 and each later decision opens the next one.
    """

    def __init__(self) -> None:
        self._assignments: list[Assignment] = []
        # package -> [(assignment, intersection of the package's terms up to it)]
        self._history: dict[Hashable, list[tuple[Assignment, Term]]] = {}
        self._decisions: dict[Hashable, Version] = {}

    # -- state ----------------------------------------------------------------------------------

    @property
    def level(self) -> int:
        return len(self._decisions)

    def term(self, package: Hashable) -> Term | None:
        """The intersection of every assignment to `package`, or None if it has none."""
        history = self._history.get(package)
        return history[-1][1] if history else None

    def decided(self, package: Hashable) -> Version | None:
        return self._decisions.get(package)

    def decisions(self) -> dict[Hashable, Version]:
        return dict(self._decisions)

    def undecided(self) -> Iterator[tuple[Hashable, Term]]:
        """Packages required (positive term) but not yet decided, in first-required order."""
        for package, history in self._history.items():
            term = history[-1][1]
            if term.positive and package not in self._decisions:
                yield package, term

    # -- changes --------------------------------------------------------------------------------

    def decide(self, package: Hashable, version: Version) -> None:
        self._decisions[package] = version
        self._add(Term(package, exactly(version)), None, version)

    def derive(self, term: Term, cause: Incompatibility) -> None:
        self._add(term, cause, None)

    def _add(self, term: Term, cause: Incompatibility | None, version: Version | None) -> None:
        assignment = Assignment(term, self.level, len(self._assignments), cause, version)
        self._assignments.append(assignment)
        history = self._history.setdefault(term.package, [])
        running = term if not history else history[-1][1].intersect(term)
        history.append((assignment, running))

    def backtrack(self, level: int) -> None:
        """Drop every assignment made above decision level `level`."""
        while self._assignments and self._assignments[-1].level > level:
            dropped = self._assignments.pop()
            history = self._history[dropped.term.package]
            history.pop()
            if not history:
                del self._history[dropped.term.package]
            if dropped.cause is None:
                del self._decisions[dropped.term.package]

    # -- questions ------------------------------------------------------------------------------

    def relation(self, incompatibility: Incompatibility) -> tuple[str, Term | None]:
        """SATISFIED, CONTRADICTED, INCONCLUSIVE, or (ALMOST, the one term not yet satisfied)."""
        open_term: Term | None = None
        for term in incompatibility.terms:
            assigned = self.term(term.package)
            if assigned is not None:
                if assigned.satisfies(term):
                    continue
                if assigned.is_disjoint(term):
                    return CONTRADICTED, term
            if open_term is not None:
                return INCONCLUSIVE, None
            open_term = term
        if open_term is None:
            return SATISFIED, None
        return ALMOST, open_term

    def satisfier(self, incompatibility: Incompatibility) -> tuple[Assignment, Term, int]:
        """For a satisfied incompatibility: its satisfier, the term it satisfies, and the
        previous satisfier's decision level (1, the root's level, when there is none).

        The satisfier is the earliest assignment after which every term is satisfied; the
        previous satisfier the earliest one that, together with the satisfier, does the same.
        """
        found: dict[Hashable, Assignment] = {}
        for term in incompatibility.terms:
            found[term.package] = self._first_satisfying(term, None)
        package = max(found, key=lambda p: found[p].index)
        satisfier = found[package]
        term = incompatibility.term(package)
        assert term is not None
        previous_level = 1
        for other, assignment in found.items():
            if other != package:
                previous_level = max(previous_level, assignment.level)
        if not satisfier.term.satisfies(term):
            # The satisfier only completes what earlier assignments to its package began.
            earlier = self._first_satisfying(term, satisfier)
            previous_level = max(previous_level, earlier.level)
        return satisfier, term, previous_level

    def _first_satisfying(self, term: Term, satisfier: Assignment | None) -> Assignment:
        for assignment, running in self._history[term.package]:
            if satisfier is not None:
                if assignment.index >= satisfier.index:
                    break
                running = running.intersect(satisfier.term)
            if running.satisfies(term):
                return assignment
        raise AssertionError(f"{term!r} is not satisfied by the partial solution")
