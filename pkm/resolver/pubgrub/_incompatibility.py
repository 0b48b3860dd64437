"""Incompatibilities: sets of terms that cannot all hold, each with the cause that made it."""

from __future__ import annotations

from typing import Hashable, Iterable, Iterator, Union

from packaging.ranges import VersionRange
from packaging.version import Version

from ._ranges import exactly
from ._term import Term

__all__ = [
    "Cause",
    "DependencyCause",
    "DerivedCause",
    "Incompatibility",
    "NoVersionsCause",
    "RootCause",
    "UnavailableCause",
]


class RootCause:
    """The root package must be selected at its one version: `{not root ==version}`."""

    __slots__ = ("package", "version")

    def __init__(self, package: Hashable, version: Version) -> None:
        self.package = package
        self.version = version


class NoVersionsCause:
    """The provider offered no version of `package` in `range`: `{package range}`."""

    __slots__ = ("package", "range")

    def __init__(self, package: Hashable, range: VersionRange) -> None:
        self.package = package
        self.range = range


class UnavailableCause:
    """The dependencies of `package` in `range` could not be known, for `reason`: `{package range}`."""

    __slots__ = ("package", "range", "reason")

    def __init__(self, package: Hashable, range: VersionRange, reason: str) -> None:
        self.package = package
        self.range = range
        self.reason = reason


class DependencyCause:
    """`package` in `range` depends on `dependency` in `dependency_range`.

    As terms: `{package range, not dependency dependency_range}`.
    """

    __slots__ = ("dependency", "dependency_range", "package", "range")

    def __init__(
        self, package: Hashable, range: VersionRange, dependency: Hashable, dependency_range: VersionRange
    ) -> None:
        self.package = package
        self.range = range
        self.dependency = dependency
        self.dependency_range = dependency_range


class DerivedCause:
    """Learned during conflict resolution from two earlier incompatibilities."""

    __slots__ = ("first", "second")

    def __init__(self, first: Incompatibility, second: Incompatibility) -> None:
        self.first = first
        self.second = second


Cause = Union[RootCause, NoVersionsCause, UnavailableCause, DependencyCause, DerivedCause]


class Incompatibility:
    """Terms that must not all be true at once, and why (`cause`).

    External incompatibilities (every cause but `DerivedCause`) are facts from the provider or
    the root; derived ones were learned by conflict resolution. Following `DerivedCause` links
    from the incompatibility that ended a failed resolution gives the derivation tree (a DAG:
    one incompatibility may explain several others). Terms on the same package are merged.
    """

    __slots__ = ("_terms", "cause")

    def __init__(self, terms: Iterable[Term], cause: Cause) -> None:
        merged: dict[Hashable, Term] = {}
        for term in terms:
            seen = merged.get(term.package)
            merged[term.package] = term if seen is None else seen.intersect(term)
        # A term every selection satisfies ("not p <no versions>", e.g. from a dependency on an
        # empty range) adds nothing to "these cannot all hold".
        self._terms = {package: term for package, term in merged.items() if not term.is_any()}
        self.cause = cause

    # -- construction from facts -------------------------------------------------------------

    @classmethod
    def root(cls, package: Hashable, version: Version) -> Incompatibility:
        return cls([Term(package, exactly(version), False)], RootCause(package, version))

    @classmethod
    def no_versions(cls, package: Hashable, range: VersionRange) -> Incompatibility:
        return cls([Term(package, range)], NoVersionsCause(package, range))

    @classmethod
    def unavailable(cls, package: Hashable, range: VersionRange, reason: str) -> Incompatibility:
        return cls([Term(package, range)], UnavailableCause(package, range, reason))

    @classmethod
    def dependency(
        cls, package: Hashable, range: VersionRange, dependency: Hashable, dependency_range: VersionRange
    ) -> Incompatibility:
        cause = DependencyCause(package, range, dependency, dependency_range)
        if dependency == package:
            # A package depending on itself: only its versions outside the range it asks for
            # are impossible; the merged terms say exactly that.
            return cls([Term(package, range - dependency_range)], cause)
        return cls([Term(package, range), Term(dependency, dependency_range, False)], cause)

    @classmethod
    def prior_cause(cls, incompatibility: Incompatibility, satisfier_cause: Incompatibility,
                    package: Hashable) -> Incompatibility:
        """Resolve two incompatibilities on `package` (their terms on it cover every selection).

        Other packages' terms intersect; the terms on `package` unite, and drop out when the
        union says nothing ("anything goes").
        """
        terms = dict(incompatibility._terms)
        for other, term in satisfier_cause._terms.items():
            seen = terms.get(other)
            if seen is None:
                terms[other] = term
            elif other == package:
                terms[other] = seen.union(term)
            else:
                terms[other] = seen.intersect(term)
        pivot = terms.get(package)
        if pivot is not None and pivot.is_any():
            del terms[package]
        return cls(terms.values(), DerivedCause(incompatibility, satisfier_cause))

    # -- reading -------------------------------------------------------------------------------

    @property
    def terms(self) -> tuple[Term, ...]:
        """The terms, one per package, in the order they were first given."""
        return tuple(self._terms.values())

    def term(self, package: Hashable) -> Term | None:
        return self._terms.get(package)

    def packages(self) -> Iterator[Hashable]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    @property
    def is_derived(self) -> bool:
        return isinstance(self.cause, DerivedCause)

    def is_terminal(self, root: Hashable, root_version: Version) -> bool:
        """Whether this incompatibility alone proves there is no solution."""
        if not self._terms:
            return True
        if len(self._terms) > 1:
            return False
        term = self._terms.get(root)
        return term is not None and term.positive and root_version in term.range

    def external_causes(self) -> list[Incompatibility]:
        """Every external incompatibility in the derivation tree, each once, depth first."""
        found: list[Incompatibility] = []
        seen: set[int] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node.cause, DerivedCause):
                stack.extend((node.cause.second, node.cause.first))
            else:
                found.append(node)
        return found

    def __repr__(self) -> str:
        return "{" + ", ".join(repr(t) for t in self._terms.values()) + "}"

