"""What the solver asks of the outside world: the `DependencyProvider` protocol and its answers."""

from __future__ import annotations

from typing import Any, Hashable, Mapping, Protocol

from packaging.ranges import VersionRange
from packaging.version import Version

__all__ = ["Available", "DependencyProvider", "Unavailable"]


class Available:
    """The dependencies of one package version: package -> the version set it accepts."""

    __slots__ = ("dependencies",)

    def __init__(self, dependencies: Mapping[Hashable, VersionRange]) -> None:
        self.dependencies = dict(dependencies)

    def __repr__(self) -> str:
        return f"Available({self.dependencies!r})"


class Unavailable:
    """The dependencies of a version cannot be known (no metadata, wrong Python, build failed).

    `reason` is a short phrase shown in explanations, e.g. "its metadata could not be read".
    The solver then treats that version as impossible.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unavailable({self.reason!r})"


class DependencyProvider(Protocol):
    """The solver's only source of facts. Packages are any hashable names; the root is one of them.

    Ranges given to and taken from the provider are `packaging.ranges.VersionRange` values
    without a configured pre-release policy: to the solver they are plain sets of versions.
    Which versions exist, and which pre-releases or yanked files to offer, is the provider's
    policy, expressed through `choose_version`.
    """

    def prioritize(self, package: Hashable, range: VersionRange) -> Any:
        """A sort key: among undecided packages the smallest key is decided first.

        Called for each undecided package whenever its required range narrows (results are
        cached per package and range), so it should be cheap. Good keys put the most
        constrained packages first, e.g. `(number of candidate versions in range, name)`;
        the solver itself moves packages that keep causing conflicts to the front.
        """
        ...

    def choose_version(self, package: Hashable, range: VersionRange) -> Version | None:
        """The version of `package` in `range` to try next, or None when there is none.

        Called once per decision (the root package is never asked about). Returning None
        records "no versions of package match range" and makes the solver look elsewhere.
        """
        ...

    def get_dependencies(self, package: Hashable, version: Version) -> Available | Unavailable:
        """The dependencies of one version, or why they cannot be known.

        Called at most once per (package, version) in a solver's life, the root included; the
        solver remembers the answer across backtracking.
        """
        ...
