"""Which artifact of a version fits the target, and dependencies from an sdist whose metadata is static.

The index's own `select_artifact` lives in `pkm.index`, which this layer may not import; the
rule here is the same (wheels by tag preference, then build tag; an sdist when no wheel fits)
plus the reasons a version does not fit, which explanations need.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence

from packaging.metadata import Metadata
from packaging.ranges import VersionRange
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pkm.resolver.pubgrub import any_version, coerce_range, no_version

from ._environment import Target

__all__ = ["Fit", "fit_version", "is_static", "python_range", "python_specifier", "static_sdist_metadata",
           "usable_files"]

NO_BUILD_REASON = "it has no wheel for this platform and its sdist would have to be built"


def python_specifier(requires_python: Optional[str]) -> Optional[SpecifierSet]:
    """The parsed requires-python, or None when absent or unparsable (ignored, as pip and uv do)."""
    if not requires_python:
        return None
    try:
        return SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None


def _python_ok(artifact: Any, target: Target) -> bool:
    spec = python_specifier(artifact.requires_python)
    return spec is None or spec.contains(target.python_version, prereleases=True)


class Fit:
    """The verdict on one version: the `artifact` to use, or why none fits.

    `python` holds the requires-python values that exclude the target when that is the only
    obstacle (the version would fit another Python); `reason` is a phrase for explanations.
    """

    __slots__ = ("artifact", "python", "reason")

    def __init__(self, artifact: Any = None, python: Sequence[str] = (), reason: str = "") -> None:
        self.artifact = artifact
        self.python = tuple(python)
        self.reason = reason


def _best(artifacts: Iterable[Any], target: Target, *, no_binary: bool, only_binary: bool) -> Any:
    best, best_key = None, None
    for artifact in artifacts:
        if artifact.is_wheel:
            if no_binary:
                continue
            try:
                positions = [target.tag_rank[tag] for tag in artifact.tags if tag in target.tag_rank]
            except ValueError:  # malformed tags in a wheel name: installable nowhere
                continue
            if not positions:
                continue
            key = (1, -min(positions), artifact.build_tag)
        else:
            if only_binary:
                continue
            key = (0, 0, ())
        if best_key is None or key > best_key:
            best, best_key = artifact, key
    return best


def usable_files(artifacts: Sequence[Any], target: Target, *, no_binary: bool = False, only_binary: bool = False,
                 allow_yanked: bool = False) -> List[Any]:
    """Every file of one version that could serve `target`: the wheels its tags accept and the
    sdist, minus yanked files (unless allowed) and what --no-binary/--only-binary exclude.
    What a lock for that target lists, so an installer there may pick any of them."""
    usable = []
    for artifact in artifacts:
        if (artifact.yanked is not None and not allow_yanked) or not _python_ok(artifact, target):
            continue
        if artifact.is_wheel:
            try:
                fits = not no_binary and any(tag in target.tag_rank for tag in artifact.tags)
            except ValueError:
                fits = False
        else:
            fits = not only_binary
        if fits:
            usable.append(artifact)
    return usable


def fit_version(artifacts: Sequence[Any], target: Target, *, no_binary: bool = False, only_binary: bool = False,
                allow_yanked: bool = False) -> Fit:
    """Choose the artifact of one version for `target` (a wheel beats an sdist), or say why none fits.

    Yanked files count only with `allow_yanked`. Cost: linear in artifacts x their tags.
    """
    usable = [a for a in artifacts if a.yanked is None or allow_yanked]
    if not usable:
        return Fit(reason="it is yanked")
    fitting = [a for a in usable if _python_ok(a, target)]
    chosen = _best(fitting, target, no_binary=no_binary, only_binary=only_binary)
    if chosen is not None:
        return Fit(chosen)
    elsewhere = _best(usable, target, no_binary=no_binary, only_binary=only_binary)
    if elsewhere is not None:
        excluded = sorted({a.requires_python for a in usable if not _python_ok(a, target)})
        return Fit(python=excluded, reason=f"it requires Python {' or '.join(excluded)}")
    has_wheel = any(a.is_wheel for a in usable)
    has_sdist = any(not a.is_wheel for a in usable)
    if no_binary and not has_sdist:
        return Fit(reason="it has only wheels, and binaries are excluded (--no-binary)")
    if only_binary and has_sdist:
        return Fit(reason=f"it has no wheel for {target.label or 'this platform'}, and sdists are excluded (--only-binary)")
    if has_wheel:
        return Fit(reason=f"it has no wheel for {target.label or 'this platform'}")
    return Fit(reason="it has no usable files")


def static_sdist_metadata(index: Any, artifact: Any, tmp_dir: Optional[Path]) -> Optional[Metadata]:
    """The core metadata in an sdist's PKG-INFO when its dependencies are static (PEP 643), else None.

    Static means Metadata-Version 2.2 or later with Requires-Dist not listed in Dynamic.
    Cost: downloads the sdist (`index.fetch_artifact`) into a temporary folder under
    `tmp_dir`, removed afterwards. Download errors propagate (PkmError subclasses).
    """
    folder = tempfile.mkdtemp(prefix="pkm-sdist-", dir=str(tmp_dir) if tmp_dir is not None else None)
    try:
        path = index.fetch_artifact(artifact, Path(folder))
        raw = _pkg_info(Path(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if raw is None:
        return None
    try:
        metadata = Metadata.from_email(raw, validate=False)
        static = is_static(metadata)
    except Exception:  # unreadable PKG-INFO: the same as dynamic, it would have to be built
        return None
    return metadata if static else None


def is_static(metadata: Any) -> bool:
    """Metadata-Version 2.2 or later with Requires-Dist not listed in Dynamic (PEP 643)."""
    try:
        major, minor = (int(part) for part in str(metadata.metadata_version).split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (2, 2) and "requires-dist" not in [d.lower() for d in (metadata.dynamic or [])]


def python_range(values: Sequence[str]) -> VersionRange:
    """The Python versions any of these requires-python values admit (an unparsable one: all)."""
    result = no_version()
    for value in values:
        spec = python_specifier(value)
        result = result.union(coerce_range(spec) if spec is not None else any_version())
    return result


def _pkg_info(path: Path) -> Optional[bytes]:
    """The top-level `<name>-<version>/PKG-INFO` of an sdist (.tar.gz or .zip), or None."""
    try:
        if path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
                return archive.read(names[0]) if names else None
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                    handle = archive.extractfile(member)
                    return handle.read() if handle is not None else None
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return None
    return None

