"""Terms: a statement that a package's selected version is (or is not) in a version set."""

from __future__ import annotations

from typing import Hashable

from packaging.ranges import VersionRange

from ._ranges import any_version, format_range

__all__ = ["Term"]


class Term:
    """`package in range` (positive) or `package not in range` (negative).

    A positive term requires the package to be selected with a version in `range`; a negative
    term is also true when the package is not selected at all. So `not p <empty>` ("anything
    goes for p") is always true, and `p <empty>` is never true. Immutable; cheap to build.
    """

    __slots__ = ("package", "positive", "range")

    def __init__(self, package: Hashable, range: VersionRange, positive: bool = True) -> None:
        self.package = package
        self.range = range
        self.positive = positive

    def negate(self) -> Term:
        """The term true exactly when this one is false."""
        return Term(self.package, self.range, not self.positive)

    def is_empty(self) -> bool:
        """True when no selection satisfies the term (a positive term over no versions)."""
        return self.positive and self.range.is_empty

    def is_any(self) -> bool:
        """True when every selection, including none, satisfies the term."""
        return not self.positive and self.range.is_empty

    def contains(self, version: object) -> bool:
        """Whether selecting `version` of the package satisfies the term."""
        return (version in self.range) == self.positive

    def intersect(self, other: Term) -> Term:
        """The term true when both are (same package)."""
        a, b = self.range, other.range
        if self.positive and other.positive:
            return Term(self.package, a & b, True)
        if self.positive:
            return Term(self.package, a - b, True)
        if other.positive:
            return Term(self.package, b - a, True)
        return Term(self.package, a | b, False)

    def union(self, other: Term) -> Term:
        """The term true when either is (same package)."""
        return self.negate().intersect(other.negate()).negate()

    def difference(self, other: Term) -> Term:
        """The term true when this one is and `other` is not (same package)."""
        return self.intersect(other.negate())

    def satisfies(self, other: Term) -> bool:
        """Whether every selection satisfying this term satisfies `other` (self is a subset)."""
        a, b = self.range, other.range
        if self.positive:
            return a.is_subset(b) if other.positive else a.is_disjoint(b)
        # A negative term admits "not selected", which no positive term does.
        return (not other.positive) and b.is_subset(a)

    def is_disjoint(self, other: Term) -> bool:
        """Whether no selection satisfies both terms (`other` is contradicted by this one)."""
        a, b = self.range, other.range
        if self.positive and other.positive:
            return a.is_disjoint(b)
        if self.positive:
            return a.is_subset(b)
        if other.positive:
            return b.is_subset(a)
        return False  # both admit "not selected"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Term):
            return NotImplemented
        return (
            self.package == other.package
            and self.positive == other.positive
            and self.range.is_subset(other.range)
            and other.range.is_subset(self.range)
        )

    def __hash__(self) -> int:
        return hash((self.package, self.positive))

    def __repr__(self) -> str:
        text = "any" if self.range.is_superset(any_version()) else format_range(self.range)
        return f"{'' if self.positive else 'not '}{self.package} {text}"

