"""Version sets for the solver: coercion to `VersionRange`, set equality, and text."""

from __future__ import annotations

from typing import Union

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

__all__ = ["RangeLike", "any_version", "coerce_range", "exactly", "format_range", "no_version", "same_set"]

#: What the public API accepts where a version set is expected.
RangeLike = Union[VersionRange, SpecifierSet, str]

# Every range the solver combines must share one pre-release policy (packaging refuses to mix
# policies); the solver treats ranges as plain sets of versions, so it uses the unconfigured one.
# `full()` also admits non-version strings by default, which would make it a strict superset of
# "every version" and break subset tests; the solver's sets hold versions only.
_ANY = VersionRange.full(admit_arbitrary=False)
_NONE = VersionRange.empty()

# Lower bounds read first, then exclusions, then upper bounds: ">=1.0,!=1.5,<2.0".
_OPERATOR_ORDER = {"===": 0, "==": 1, "~=": 2, ">=": 3, ">": 4, "!=": 5, "<=": 6, "<": 7}


def any_version() -> VersionRange:
    """The set of every version."""
    return _ANY


def no_version() -> VersionRange:
    """The empty set."""
    return _NONE


def exactly(version: Version) -> VersionRange:
    """The set holding `version` alone (not its local variants)."""
    return VersionRange.singleton(version)


def coerce_range(value: RangeLike) -> VersionRange:
    """A `VersionRange` from a range, a `SpecifierSet` or specifier text ("" is every version).

    Raises ValueError for a range with a configured pre-release policy (e.g. built from
    `SpecifierSet(..., prereleases=True)`): which pre-releases to offer is the provider's choice,
    the solver only sees sets. Raises `packaging.specifiers.InvalidSpecifier` for bad text.
    """
    if isinstance(value, str):
        value = SpecifierSet(value)
    if isinstance(value, SpecifierSet):
        if value.prereleases is not None:
            value = SpecifierSet(str(value))
        value = value.to_range()
    if not isinstance(value, VersionRange):
        raise TypeError(f"expected a VersionRange, SpecifierSet or str, got {type(value).__name__}")
    try:
        return value.intersection(_ANY)
    except ValueError:
        raise ValueError(
            f"{value!r} carries a pre-release policy; give the solver plain version sets "
            "(the provider decides which pre-releases to offer)"
        ) from None


def same_set(left: VersionRange, right: VersionRange) -> bool:
    """Whether two ranges hold the same versions (`==` also compares pre-release opt-in data)."""
    return left.is_subset(right) and right.is_subset(left)


def format_range(value: VersionRange) -> str:
    """Specifier text for a range: ">=1.0,<2.0", "==1.0", "<1.0 | >=2.0".

    "*" for every version and "<0" for none; callers that write sentences say "any version"
    and "no versions" instead. A range with no single PEP 440 spelling is written interval by
    interval with its real boundaries (joined by " | "). Costs a few specifier round trips;
    call it for reports, not in the solver's loop.
    """
    if value.is_empty:
        return "<0"
    if value.is_superset(_ANY):
        return "*"
    whole = value.to_specifier_set()
    if whole is not None:
        return _ordered(whole)
    return " | ".join(_format_interval(lower, upper) for lower, upper in _intervals(value))


def _ordered(specifiers: SpecifierSet) -> str:
    items = [(s.operator, s.version) for s in specifiers]
    # packaging spells a strict bound that keeps the boundary's pre-releases as `!=2,<=2`;
    # a reader wants the boundary itself: `<2` (and `>2` for `>=2,!=2`).
    excluded = {version for operator, version in items if operator == "!="}
    items = [
        ("<" if operator == "<=" else ">", version)
        if operator in ("<=", ">=") and version in excluded else (operator, version)
        for operator, version in items
    ]
    folded = {version for operator, version in items if operator in ("<", ">") and version in excluded}
    items = [(o, v) for o, v in items if not (o == "!=" and v in folded)]
    items.sort(key=lambda item: (_OPERATOR_ORDER.get(item[0], 9), Version(item[1]) if _is_version(item[1]) else item[1]))
    return ",".join(f"{operator}{version}" for operator, version in items) or "*"


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except ValueError:
        return False
    return True


def _intervals(value: VersionRange) -> list[tuple[object, object]]:
    # packaging has no public way to list the intervals of a union; its private interval tuple
    # is the canonical form, so read it here, in one place, to spell each interval.
    bounds = getattr(value, "_bounds", None)
    if bounds is None:  # pragma: no cover - a future packaging layout
        raise TypeError(f"cannot spell {value!r}")
    return list(bounds)


def _point(bound: object) -> object:
    """The version a bound sits at: boundary points (after locals/posts) read as their base."""
    version = getattr(bound, "version", None)
    return getattr(version, "version", version)


def _format_interval(lower: object, upper: object) -> str:
    low, high = _point(lower), _point(upper)
    low_inclusive = getattr(lower, "inclusive", False)
    high_inclusive = getattr(upper, "inclusive", False)
    if low is not None and low == high:
        return f"=={low}"
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'}{low}")
    if high is not None:
        if not high_inclusive and isinstance(high, Version) and _is_floor_of_release(high):
            # `<2` is stored as `< 2.dev0`; write it the way people wrote it.
            high = Version(high.base_version if high.epoch == 0 else f"{high.epoch}!{high.base_version}")
        parts.append(f"{'<=' if high_inclusive else '<'}{high}")
    return ",".join(parts) or "*"


def _is_floor_of_release(version: Version) -> bool:
    return version.dev == 0 and version.pre is None and version.post is None and version.local is None
