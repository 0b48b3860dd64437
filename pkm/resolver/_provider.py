"""The PubGrub dependency provider for Python packages: versions from an index, dependencies from metadata.

Packages the solver sees: a project's normalized name ("rich"); an extra as a virtual package
"rich[jupyter]", whose version V depends on "rich==V" plus the extra's requirements (the usual
PubGrub-for-Python trick, so one version serves all requested extras); `PYTHON`, the target
interpreter, which the root pins to its version and each candidate depends on through its
requires-python (so a version for another Python is ruled out, and explanations say why); and
`ROOT`, the requirements being resolved.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

from packaging.ranges import VersionRange
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from pkm.errors import NetworkError, NotFoundError, OfflineError, PkmError, UsageError
from pkm.resolver.pubgrub import Available, Unavailable, coerce_range, exactly

from ._model import PYTHON, ROOT, Contradiction, Options, _Project, has_files, split_package
from ._artifacts import (NO_BUILD_REASON, Fit, fit_version, is_static, python_range, python_specifier,
                         static_sdist_metadata, usable_files)
from ._direct import direct_artifact
from ._environment import Target, marker_applies
from ._prefetch import Prefetcher, dependency_names

__all__ = ["Options", "PYTHON", "PythonProvider", "ROOT", "split_package"]

# Versions in range are counted up to this many for a package's priority: most constrained
# first matters when a package has few versions left; botocore's 1800 need not be counted.
_PRIORITY_CAP = 16


class PythonProvider:
    """A `pubgrub.DependencyProvider` over an index, for one target environment.

    `index` is anything shaped like `pkm.index.Index` (project_page, core_metadata,
    fetch_artifact, prefetch). Every page and metadata file is asked for once; the index is
    expected to memoize as well. `hints` gathers, per package, the one fact a user most
    likely needs when the resolution fails (a requires-python mismatch, a missing project,
    a yanked version); `warnings` lists oddities that did not stop it (a missing extra).
    """

    def __init__(self, index: Any, target: Target, requirements: Sequence[Requirement],
                 options: Optional[Options] = None) -> None:
        self._index = index
        self._prefetcher = Prefetcher(index)
        self._target = target
        self._options = options or Options()
        self._requirements = list(requirements)
        self._projects: Dict[str, _Project] = {}
        self._fits: Dict[Tuple[str, Version], Fit] = {}
        self._metadata: Dict[Tuple[str, Version], Any] = {}
        self._asked_pages: set = set()
        self._asked_metadata: set = set()
        self._constraints: Dict[str, VersionRange] = {}
        self._overrides: Dict[str, Requirement] = {}
        self._pins: Dict[str, List[SpecifierSet]] = {}
        self._explicit: set = set()
        self._direct: Dict[str, Any] = {}  # name -> the archive a `name @ URL` root requirement names
        for requirement in self._requirements:
            if requirement.url:
                artifact = direct_artifact(requirement)
                known = self._direct.setdefault(artifact.name, artifact)
                if known.url != artifact.url:
                    raise UsageError(f"{artifact.name} is required from two URLs: {known.url} and {artifact.url}",
                                     hint="keep one of them")
        self.hot: Dict[Hashable, int] = {}  # package -> rank: decided before all others (see `promote`)
        self.seen: Dict[Hashable, None] = {}  # every package the solver asked about, in order
        self.parents: Dict[Hashable, Dict[Hashable, None]] = {}  # package -> the packages depending on it
        self.hints: Dict[Hashable, str] = {}
        self.warnings: List[str] = []
        env = dict(target.markers, extra="")
        self._preferred: Dict[str, Version] = {canonicalize_name(n): Version(str(v)) for n, v in self._options.preferences}
        for requirement in self._options.overrides:
            self._overrides[canonicalize_name(requirement.name)] = requirement
        for requirement in self._options.constraints:
            if requirement.marker is not None and not marker_applies(requirement.marker, env):
                continue
            name = canonicalize_name(requirement.name)
            range = coerce_range(requirement.specifier)
            self._constraints[name] = self._constraints[name].intersection(range) if name in self._constraints else range
        for requirement in list(self._requirements) + list(self._options.constraints):
            name = canonicalize_name(requirement.name)
            if requirement.specifier.prereleases:
                self._explicit.add(name)
            if any(s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
                   for s in requirement.specifier):
                self._pins.setdefault(name, []).append(requirement.specifier)

    # -- what the resolution needs afterwards ---------------------------------------------------

    @property
    def target(self) -> Target:
        return self._target

    def project(self, name: str) -> _Project:
        """The page of `name` grouped by version (fetched on first use). Offline is fatal."""
        project = self._projects.get(name)
        if project is None and name in self._direct:
            page = SimpleNamespace(artifacts=(self._direct[name],), index_url="")
            project = self._projects[name] = _Project(name, page)
        if project is None:
            self._asked_pages.add(name)
            page = self._index.project_page(name)
            if not has_files(page) and getattr(page, "searched", None) is None:
                raise OfflineError(f"the page of {name} is not cached and the network is off",
                                   why=getattr(page, "reason", None),
                                   hint="run once without --offline (or PKM_OFFLINE) to fill the cache")
            project = self._projects[name] = _Project(name, page)
            if project.missing:
                self.hints[name] = project.missing
        return project

    def fit(self, name: str, version: Version) -> Fit:
        """The artifact chosen for `name` `version` on the target, or why there is none (memoized)."""
        key = (name, version)
        found = self._fits.get(key)
        if found is None:
            options = self._options
            no_build = options.applies("no_build", name)
            found = fit_version(
                self.project(name).versions.get(version, ()), self._target,
                no_binary=options.applies("no_binary", name),
                only_binary=options.applies("only_binary", name) or no_build,
                allow_yanked=self._yank_allowed(name, version),
            )
            if no_build and found.artifact is None and "sdists are excluded" in found.reason:
                found.reason = found.reason.replace("sdists are excluded (--only-binary)", "building is off (--no-build)")
            self._fits[key] = found
        return found

    def files(self, name: str, version: Version) -> List[Any]:
        """Every file of `name` `version` usable on the target (what a lock lists for it)."""
        options = self._options
        return usable_files(self.project(name).versions.get(version, ()), self._target,
                            no_binary=options.applies("no_binary", name),
                            only_binary=options.applies("only_binary", name) or options.applies("no_build", name),
                            allow_yanked=self._yank_allowed(name, version))

    def known_versions(self, package: Hashable) -> List[Version]:
        """Every version the index lists for a package (for the report's ranges)."""
        if package is PYTHON:
            return [self._target.python_version]
        if not isinstance(package, str):
            return []
        project = self._projects.get(split_package(package)[0])
        return list(project.versions) if project is not None else []

    # -- DependencyProvider -------------------------------------------------------------------

    def promote(self, packages: Iterable[Hashable]) -> None:
        """Decide `packages` before every other one from now on (in the order promoted).

        For restarts: a package that keeps conflicting with one decided earlier (boto3's
        exact botocore pins against a python-dateutil chosen for pandas) is cheaper to decide
        first than to walk back through its hundreds of versions one by one."""
        for package in packages:
            self.hot.setdefault(package, len(self.hot))

    def prioritize(self, package: Hashable, range: VersionRange) -> Any:
        """(number of versions in range, name): the most constrained first; the target Python
        before all, then promoted packages."""
        if not isinstance(package, str):
            return (-2, 0, "")
        self.seen[package] = None
        if package in self.hot:
            return (-1, self.hot[package], package)
        project = self.project(split_package(package)[0])
        count = 0
        for version in project.versions:  # counted up to a cap: only small counts change the order
            if version in range:
                count += 1
                if count == _PRIORITY_CAP:
                    break
        return (count, 0, package)

    def choose_version(self, package: Hashable, range: VersionRange) -> Optional[Version]:
        """The newest acceptable version in range: finals first unless pre-releases are allowed or
        named by a requirement (PEP 440); yanked versions only when pinned with == or ===."""
        if package is PYTHON:
            return self._target.python_version if self._target.python_version in range else None
        if not isinstance(package, str):
            return None
        name = split_package(package)[0]
        project = self.project(name)
        policy = self._options.prereleases
        preferred = self._preferred.get(name)
        if preferred is not None and preferred in range and preferred in project.versions and (
                self._yank_allowed(name, preferred) or not all(a.yanked is not None for a in project.versions[preferred])):
            return preferred
        chosen = None
        for version, artifacts in project.versions.items():
            if version not in range:
                continue
            if all(a.yanked is not None for a in artifacts) and not self._yank_allowed(name, version):
                self.hints.setdefault(name, f"{name} {version} is yanked; pin it with `{name}=={version}` to use it anyway")
                continue
            if version.is_prerelease:
                if policy == "disallow":
                    self.hints.setdefault(name, f"{name} {version} is a pre-release; pass --prerelease allow to use it")
                    continue
                if policy == "allow" or name in self._explicit:
                    return version
                if chosen is None:
                    chosen = version  # only if no final release in range is left (PEP 440)
                continue
            return version
        return chosen

    def get_dependencies(self, package: Hashable, version: Version) -> Any:
        if package is ROOT:
            return self._root_dependencies()
        if not isinstance(package, str):
            return Available({})
        name, extra = split_package(package)
        fit = self.fit(name, version)
        if fit.artifact is None:
            if fit.python:
                self.hints.setdefault(name, f"{name} {version} requires Python {' or '.join(fit.python)}; "
                                            f"this Python is {self._target.python_version}")
                return Available({PYTHON: python_range(fit.python)})
            wheels = sorted({a.filename[:-4].split("-", 2)[2] for a in self.project(name).versions.get(version, ())
                             if a.is_wheel and a.filename.count("-") >= 4})
            if wheels and "no wheel for" in fit.reason:
                shown = ", ".join(wheels[:3]) + (", ..." if len(wheels) > 3 else "")
                self.hints.setdefault(name, f"{name} {version} has wheels only for other platforms ({shown})")
            return Unavailable(fit.reason)
        metadata = self._metadata_of(name, version, fit.artifact)
        if isinstance(metadata, Unavailable):
            return metadata
        requirements = list(metadata.requires_dist or [])
        if extra is None:
            env = dict(self._target.markers, extra="")
            chosen = [r for r in requirements if r.marker is None or marker_applies(r.marker, env)]
            dependencies = self._dependencies(chosen, owner=name)
            if isinstance(dependencies, Unavailable):
                return dependencies
            python = python_specifier(metadata.requires_python and str(metadata.requires_python))
            if python is not None:
                dependencies[PYTHON] = coerce_range(python)
        else:
            provided = {canonicalize_name(e) for e in (metadata.provides_extra or [])}
            warning = f"{name} {version} does not provide the extra `{extra}`"
            if canonicalize_name(extra) not in provided and warning not in self.warnings:
                self.warnings.append(warning)
            base = dict(self._target.markers, extra="")
            wanted = dict(self._target.markers, extra=extra)
            chosen = [r for r in requirements if r.marker is not None
                      and marker_applies(r.marker, wanted) and not marker_applies(r.marker, base)]
            dependencies = self._dependencies(chosen, owner=name)
            if isinstance(dependencies, Unavailable):
                return dependencies
            dependencies[name] = exactly(version)
        for dependency in dependencies:
            self.parents.setdefault(dependency, {})[package] = None
        self._prefetch_pages(dependencies)
        return Available(dependencies)

    def ancestors(self, package: Hashable) -> List[Hashable]:
        """The packages that depend on `package`, directly or not, in the order the solver met them."""
        found: Dict[Hashable, None] = {}
        stack = [package]
        while stack:
            for parent in self.parents.get(stack.pop(), {}):
                if isinstance(parent, str) and parent not in found:
                    found[parent] = None
                    stack.append(parent)
        order = {p: i for i, p in enumerate(self.seen)}
        return sorted(found, key=lambda p: order.get(p, len(order)))

    # -- prefetching --------------------------------------------------------------------------

    def prefetch(self, pending: Sequence[Tuple[Hashable, VersionRange]], limit: int = 24) -> None:
        """Start fetching, in the background, the pages of `pending` packages and the metadata of
        the versions the solver will most likely pick next (the first `limit` packages). Cheap
        when warm; `close` waits for what is still in flight."""
        self._prefetch_pages(package for package, _ in pending)
        artifacts = []
        for package, range in list(pending)[:limit]:
            if not isinstance(package, str):
                continue
            name = split_package(package)[0]
            if name not in self._projects:
                continue
            version = self.choose_version(package, range)
            if version is None or (name, version) in self._asked_metadata:
                continue
            artifact = self.fit(name, version).artifact
            if artifact is not None and (artifact.is_wheel or artifact.core_metadata):
                self._asked_metadata.add((name, version))
                artifacts.append(artifact)
        if artifacts:
            markers, asked = self._target.markers, self._asked_pages
            self._prefetcher.submit((), metadata_for=artifacts,
                                    then=lambda done: dependency_names(self._index, markers, done, asked))

    def _prefetch_pages(self, packages: Iterable[Hashable]) -> None:
        names = []
        for package in packages:
            if isinstance(package, str):
                name = split_package(package)[0]
                if name not in self._asked_pages:
                    self._asked_pages.add(name)
                    names.append(name)
        if len(names) > 1:
            self._prefetcher.submit(names)

    def close(self, cancel: bool = False) -> None:
        """Wait for the background prefetches (call once the resolution is over); `cancel`
        drops those not started yet."""
        self._prefetcher.close(cancel)

    # -- helpers ------------------------------------------------------------------------------

    def _root_dependencies(self) -> Any:
        env = dict(self._target.markers, extra="")
        chosen = [r for r in self._requirements if r.marker is None or marker_applies(r.marker, env)]
        dependencies = self._dependencies(chosen, owner=None)
        if isinstance(dependencies, Unavailable):  # pragma: no cover - root URLs are refused earlier
            return dependencies
        dependencies[PYTHON] = exactly(self._target.python_version)
        self._prefetch_pages(dependencies)
        return Available(dependencies)

    def _dependencies(self, requirements: Iterable[Requirement], owner: Optional[str]) -> Any:
        found: Dict[Hashable, VersionRange] = {}
        said: Dict[str, List[str]] = {}  # the root's own words per package, for a contradiction
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name == owner and not requirement.extras:
                continue  # a project requiring itself adds nothing
            override = self._overrides.get(name)
            if override is not None:
                requirement = override
            if requirement.url and not (owner is None and name in self._direct):
                return Unavailable(f"it depends on {name} from a URL ({requirement.url}); only your own "
                                   "requirements may name URLs")
            range = exactly(self._direct[name].version) if requirement.url else coerce_range(requirement.specifier)
            if name in self._constraints:
                range = range.intersection(self._constraints[name])
            keys = [name] + [f"{name}[{canonicalize_name(e)}]" for e in sorted(requirement.extras)]
            for key in keys:
                found[key] = found[key].intersection(range) if key in found else range
            if owner is None:
                said.setdefault(name, []).append(str(requirement))
                if found[name].is_empty:
                    raise Contradiction(name, said[name])
        return found

    def _metadata_of(self, name: str, version: Version, artifact: Any) -> Any:
        key = (name, version)
        if key in self._metadata:
            return self._metadata[key]
        metadata: Any = None
        try:
            if artifact.is_wheel or artifact.core_metadata:
                try:
                    metadata = self._index.core_metadata(artifact)
                except NotFoundError:
                    if artifact.is_wheel:
                        raise
            if not artifact.is_wheel and (metadata is None or not is_static(metadata)):
                metadata = static_sdist_metadata(self._index, artifact, self._options.tmp_dir)
                build = self._options.build_metadata
                if metadata is None and build is not None and not self._options.applies("no_build", name):
                    try:
                        metadata = build(artifact)
                    except (NetworkError, OfflineError):
                        raise
                    except PkmError as error:
                        metadata = Unavailable(f"building its sdist failed: {error.what}")
                if metadata is None:
                    excluded = self._options.applies("no_binary", name) and any(
                        a.is_wheel for a in self.project(name).versions.get(version, ()))
                    metadata = Unavailable("its wheels are excluded (--no-binary) and its sdist would have to be built"
                                           if excluded else NO_BUILD_REASON)
        except (NetworkError, OfflineError):
            raise
        except PkmError as error:
            metadata = Unavailable(f"its metadata could not be read: {error.what}")
        self._metadata[key] = metadata
        return metadata

    def _yank_allowed(self, name: str, version: Version) -> bool:
        return any(spec.contains(version, prereleases=True) for spec in self._pins.get(name, ()))

