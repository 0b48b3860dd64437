"""Pins: one chosen artifact per package, taken from a lock for an environment, or made into lock entries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, List, Mapping, Optional, Sequence

from packaging.markers import Marker
from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock, PylockSelectError
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from pkm.errors import PkmError

from ._file import parse_upload_time

__all__ = ["Pin", "pins_from_lock", "package_from_artifacts"]


@dataclass(frozen=True)
class Pin:
    """A package at one version with the artifact chosen to install it.

    `name` is normalized; `location` is an http(s)/file URL or an absolute path;
    `sha256` may be None only for artifacts from a source that gave no hash
    (find-links), which are hashed once downloaded; `kind` is "wheel" or "sdist".
    `index` is the simple URL the package came from, when known.
    """

    name: str
    version: str
    filename: str
    location: str
    sha256: Optional[str]
    size: Optional[int] = None
    kind: str = "wheel"
    index: Optional[str] = None

    @property
    def is_wheel(self) -> bool:
        return self.kind == "wheel"

    def local_path(self) -> Optional[Path]:
        """The file on this machine for a path or file: URL location, else None."""
        if self.location.startswith("file:"):
            import urllib.parse
            import urllib.request  # only for file: URLs (it imports http.client, email and ssl)

            return Path(urllib.request.url2pathname(urllib.parse.urlsplit(self.location).path))
        if "://" not in self.location:
            return Path(self.location)
        return None


def _sha256_of(package: Package, source: Any, where: str) -> str:
    value = (source.hashes or {}).get("sha256")
    if not value:
        algorithms = ", ".join(sorted(source.hashes or {})) or "none"
        raise PkmError(f"cannot install {package.name} from the lock: {where} has no sha256 hash",
                       why=f"hashes given: {algorithms}",
                       hint="regenerate the lock with a tool that records sha256 hashes")
    return value.lower()


def _location(source: Any, lock_dir: Path) -> str:
    if source.url:
        return source.url
    path = Path(source.path)
    return str(path if path.is_absolute() else (lock_dir / path).resolve())


def pins_from_lock(
    lock: Pylock,
    *,
    marker_env: Mapping[str, str],
    tags: Sequence[Any],
    lock_dir: Path,
    where: str = "pylock.toml",
    extras: Sequence[str] = (),
    dependency_groups: Optional[Sequence[str]] = None,
) -> List[Pin]:
    """The pins of `lock` for an environment (its PEP 508 markers and wheel tags, best first).

    Follows PEP 751's installer steps through `Pylock.select`: the lock's
    `requires-python` and `environments` must match (PkmError otherwise), package
    markers choose the packages, and the best wheel by tag is taken, else the
    sdist (a pin of kind "sdist", which the caller refuses until builds exist).
    Direct references (vcs, directory, archive) are PkmError for now.
    `lock_dir` anchors relative `path` entries; `where` names the lock in messages.
    `extras` and `dependency_groups` select what package markers ask for (None: the lock's
    default groups).
    """
    try:
        chosen = list(lock.select(environment=dict(marker_env), tags=list(tags),  # type: ignore[arg-type]
                                  extras=list(extras), dependency_groups=dependency_groups))
    except PylockSelectError as exc:
        raise PkmError(f"the lock {where} does not fit this environment", why=str(exc),
                       hint="regenerate the lock for this interpreter, or use the interpreter it was made for") from None
    pins = []
    for package, source in chosen:
        version = str(package.version) if package.version is not None else ""
        if isinstance(source, (PackageWheel, PackageSdist)):
            kind = "wheel" if isinstance(source, PackageWheel) else "sdist"
            pins.append(Pin(
                name=canonicalize_name(package.name), version=version, filename=source.filename,
                location=_location(source, lock_dir),
                sha256=_sha256_of(package, source, f"its {kind} {source.filename}"),
                size=source.size, kind=kind, index=package.index,
            ))
        else:
            kind = type(source).__name__.replace("Package", "").lower()
            raise PkmError(f"cannot install {package.name} from the lock: {kind} sources are not supported yet",
                           hint="lock the package from an index instead (a wheel with a hash)")
    return sorted(pins, key=lambda p: p.name)


def package_from_artifacts(
    name: str,
    version: str,
    artifacts: Iterable[Any],
    *,
    index: Optional[str] = None,
    marker: Optional[str] = None,
    requires_python: Optional[str] = None,
) -> Package:
    """A lock entry for `name` `version` from index artifacts (`pkm.index.Artifact`-like objects).

    Each artifact needs `filename`, `url`, `hashes` (a mapping with at least one
    hash), and may have `size` and `upload_time` (ISO text). Wheels go to
    `wheels`, the first sdist to `sdist`; `index` is the simple URL they came from.
    """
    wheels: List[PackageWheel] = []
    sdist: Optional[PackageSdist] = None
    for artifact in artifacts:
        fields = dict(
            name=artifact.filename, url=artifact.url, hashes=dict(artifact.hashes),
            size=getattr(artifact, "size", None),
            upload_time=parse_upload_time(getattr(artifact, "upload_time", None)),
        )
        if artifact.filename.endswith(".whl"):
            wheels.append(PackageWheel(**fields))
        elif sdist is None:
            sdist = PackageSdist(**fields)
    return Package(
        name=canonicalize_name(name),
        version=Version(version),
        marker=Marker(marker) if marker else None,
        requires_python=SpecifierSet(requires_python) if requires_python else None,
        index=index,
        sdist=sdist,
        wheels=sorted(wheels, key=lambda w: w.filename) or None,
    )
