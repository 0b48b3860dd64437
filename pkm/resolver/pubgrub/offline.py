"""`OfflineProvider`: an in-memory dependency provider for tests, examples and replays."""

from __future__ import annotations

from typing import Any, Hashable, Mapping, Union

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ._ranges import coerce_range
from .provider import Available, Unavailable

__all__ = ["OfflineProvider"]

_VersionLike = Union[Version, str]


class OfflineProvider:
    """Packages, versions and dependencies held in memory; chooses the highest version.

    >>> provider = OfflineProvider()
    >>> provider.add("root", "1.0", {"foo": ">=1.0,<2.0"})
    >>> provider.add("foo", "1.0")

    Dependencies may be given as specifier text, a `SpecifierSet` or a `VersionRange`.
    `prioritize` puts packages with the fewest candidate versions first. Every call is
    counted in `calls` (method name -> count), so tests can check how the solver uses it.
    """

    def __init__(self) -> None:
        self._packages: dict[Hashable, dict[Version, Any]] = {}
        self.calls: dict[str, int] = {"prioritize": 0, "choose_version": 0, "get_dependencies": 0}

    def add(self, package: Hashable, version: _VersionLike,
            dependencies: Mapping[Hashable, Union[str, SpecifierSet, VersionRange]] | None = None) -> None:
        """Record `package` `version` with its dependencies (replacing an earlier record)."""
        deps = {name: coerce_range(spec) for name, spec in (dependencies or {}).items()}
        self._packages.setdefault(package, {})[Version(str(version))] = Available(deps)

    def add_unavailable(self, package: Hashable, version: _VersionLike, reason: str) -> None:
        """Record a version whose dependencies cannot be known, for `reason`."""
        self._packages.setdefault(package, {})[Version(str(version))] = Unavailable(reason)

    def versions(self, package: Hashable) -> list[Version]:
        """The known versions of `package`, lowest first."""
        return sorted(self._packages.get(package, {}))

    def packages(self) -> list[Hashable]:
        return list(self._packages)

    # -- DependencyProvider ------------------------------------------------------------------

    def prioritize(self, package: Hashable, range: VersionRange) -> Any:
        self.calls["prioritize"] += 1
        count = sum(1 for v in self._packages.get(package, {}) if v in range)
        return (count, str(package))

    def choose_version(self, package: Hashable, range: VersionRange) -> Version | None:
        self.calls["choose_version"] += 1
        matching = [v for v in self._packages.get(package, {}) if v in range]
        return max(matching) if matching else None

    def get_dependencies(self, package: Hashable, version: Version) -> Available | Unavailable:
        self.calls["get_dependencies"] += 1
        found = self._packages.get(package, {}).get(version)
        if found is None:
            return Unavailable(f"{package} {version} is not known to this provider")
        return found
