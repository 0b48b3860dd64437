"""Choosing among a project's artifacts for one interpreter: versions, tags, requires-python, yanked."""

from __future__ import annotations

import platform
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, sys_tags
from packaging.version import Version

from ._model import Artifact, ProjectPage

__all__ = ["Choice", "VersionInfo", "select_artifact", "newest_matching", "available_versions", "python_matches"]


class Choice(NamedTuple):
    """A version and the artifact chosen for it."""

    version: Version
    artifact: Artifact


class VersionInfo(NamedTuple):
    """A version on a page: `yanked` when every artifact of it is yanked (PEP 592)."""

    version: Version
    yanked: bool
    artifacts: Tuple[Artifact, ...]


def python_matches(requires_python: Optional[str], python_version: Version) -> bool:
    """Whether `python_version` satisfies `requires_python`.

    An unparsable value counts as satisfied: real indexes carry odd strings
    (">=3.6.*", "~=3"), and pip and uv ignore them rather than hide the file.
    """
    if not requires_python:
        return True
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True
    return spec.contains(python_version, prereleases=True)


def select_artifact(
    artifacts: Iterable[Artifact],
    *,
    tags: Sequence[Tag],
    python_version: Version,
    no_binary: bool = False,
    only_binary: bool = False,
    allow_yanked: bool = False,
) -> Optional[Artifact]:
    """The best artifact to install, or None when none fits.

    Meant for the artifacts of one version (if several, the newest version
    with a usable artifact wins). A wheel beats an sdist; among wheels the
    one whose best tag comes first in `tags` (e.g. `sys_tags()` order) wins,
    then the higher build tag. Cost: linear in artifacts x tags per wheel.
    """
    rank: Dict[Tag, int] = {}
    for position, tag in enumerate(tags):
        rank.setdefault(tag, position)
    best: Optional[Artifact] = None
    best_key: Optional[tuple] = None
    for artifact in artifacts:
        if artifact.yanked is not None and not allow_yanked:
            continue
        if not python_matches(artifact.requires_python, python_version):
            continue
        if artifact.is_wheel:
            if no_binary:
                continue
            try:
                positions = [rank[tag] for tag in artifact.tags if tag in rank]
            except ValueError:  # a wheel name with malformed tags: not installable anywhere
                continue
            if not positions:
                continue
            key = (artifact.version, 1, -min(positions), artifact.build_tag)
        else:
            if only_binary:
                continue
            key = (artifact.version, 0, 0, ())
        if best_key is None or key > best_key:
            best, best_key = artifact, key
    return best


def available_versions(page: ProjectPage) -> List[VersionInfo]:
    """The versions that have artifacts on `page`, newest first."""
    groups: Dict[Version, List[Artifact]] = {}
    for artifact in page.artifacts:
        groups.setdefault(artifact.version, []).append(artifact)
    return [
        VersionInfo(version, all(a.yanked is not None for a in group), tuple(group))
        for version, group in sorted(groups.items(), key=lambda item: item[0], reverse=True)
    ]


def _pins_exactly(specifier: SpecifierSet) -> bool:
    # PEP 592: a yanked version is still chosen when the requirement pins it with == (no wildcard) or ===.
    return any(s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*")) for s in specifier)


def newest_matching(
    page: ProjectPage,
    specifier: SpecifierSet = SpecifierSet(),
    *,
    prereleases: Optional[bool] = None,
    tags: Optional[Sequence[Tag]] = None,
    python_version: Optional[Version] = None,
    no_binary: bool = False,
    only_binary: bool = False,
) -> Optional[Choice]:
    """The newest version in `specifier` that has an artifact for this interpreter, with that artifact.

    `tags` and `python_version` default to the running interpreter's.
    Pre-releases follow `SpecifierSet.filter` (allowed when asked, or when
    nothing else matches). Yanked artifacts count only under an exact pin.
    """
    if tags is None:
        tags = list(sys_tags())
    if python_version is None:
        python_version = Version(platform.python_version())
    allow_yanked = _pins_exactly(specifier)
    infos = available_versions(page)
    by_version = {info.version: info for info in infos}
    for version in specifier.filter([info.version for info in infos], prereleases=prereleases):
        artifact = select_artifact(
            by_version[version].artifacts, tags=tags, python_version=python_version,
            no_binary=no_binary, only_binary=only_binary, allow_yanked=allow_yanked,
        )
        if artifact is not None:
            return Choice(version, artifact)
    return None
