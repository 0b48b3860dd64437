"""Where the resolver meets the commands: targets from options, failures as explanations, pins for install.

`resolve_pins` is what `pkm install` calls without `--no-deps`: every requirement (with
constraints applied) and the target interpreter in, one `pkm.lock.Pin` per package out,
dependencies included. `pkm resolve` shares `target_from_options` and `explained`, and its
debugging aid: `RecordingIndex` notes everything a resolution consulted (written as a JSON
problem file), `read_problem` + `ProblemIndex` replay it offline to the same answer.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence

from pkm.errors import PkmError, UsageError

__all__ = ["ProblemIndex", "RecordingIndex", "explained", "read_problem", "resolve_pins", "target_from_options", "to_pins"]


def target_from_options(python: Optional[str], python_version: Optional[str], platform: Optional[str],
                        home: Any) -> Any:
    """The `pkm.resolver.Target` that `--python`, `--python-version` and `--platform` name.

    `--python EXE|X.Y` finds and probes a real interpreter (`pkm.env.find_interpreter`);
    `--python-version` (with `--platform`) synthesizes one; `--platform` alone pairs this
    interpreter's version with that platform; nothing at all is the interpreter running pkm.
    """
    from pkm.resolver import Target

    if python and python_version:
        raise UsageError("--python and --python-version cannot be combined",
                         hint="pass --python for a real interpreter, or --python-version X.Y (+ --platform) for another machine")
    if python:
        if platform:
            raise UsageError("--platform goes with --python-version, not --python",
                             hint="a real interpreter has its own platform; use --python-version X.Y --platform P")
        from pkm.env import find_interpreter

        return Target.from_interpreter(find_interpreter(python, cache_dir=os.path.join(home, "interpreters-v1")))
    if python_version or platform:
        import sys

        version = python_version or "%d.%d.%d" % sys.version_info[:3]
        return Target.synthesize(version, platform)
    return Target.running()


def explained(error: Any) -> PkmError:
    """A `pkm.resolver.NoResolution` as a PkmError whose `why` is the explanation in sentences."""
    from pkm.ui.report import render_no_solution

    if error.failure is None:
        return PkmError(error.what, why=error.why, hint=error.hint)
    text = render_no_solution(error.failure, root_label=error.root_label, versions=error.known_versions)
    return PkmError(error.what, why=text, hint=error.hints_for(text))


def to_pins(resolution: Any) -> List[Any]:
    """One `pkm.lock.Pin` per resolved project, sorted by name."""
    from pkm.lock import Pin

    pins = []
    for package in resolution.packages:
        artifact = package.artifact
        pins.append(Pin(name=package.name, version=str(package.version), filename=artifact.filename,
                        location=artifact.url, sha256=artifact.sha256, size=artifact.size,
                        kind="wheel" if artifact.is_wheel else "sdist",
                        index=package.index_url or artifact.index_url or None))
    return pins


def resolve_pins(requirements: Sequence[Any], interpreter: Any, index: Any, *, constraints: Sequence[Any] = (),
                 only_binary: bool = False, prereleases: bool = False,
                 preferences: Sequence[tuple] = (), build_metadata: Any = None) -> List[Any]:
    """Pins for `requirements` and all their dependencies, for `interpreter`, from `index`.

    `requirements` and `constraints` are `packaging.requirements.Requirement`s (markers are
    evaluated for the interpreter). Raises PkmError with the explanation when no resolution
    exists. A package with no wheel for the interpreter pins its sdist (kind "sdist"; the
    installer builds it); `build_metadata` (see `pkm.resolver.Options`) reads the metadata of
    sdists whose metadata is not static. `preferences` are (name, version) pairs tried first
    (installed versions; ones that do not parse are ignored).
    """
    from packaging.version import InvalidVersion, Version

    from pkm.resolver import NoResolution, Options, Target, resolve

    preferred = []
    for name, version in preferences:
        try:
            preferred.append((name, Version(str(version))))
        except InvalidVersion:
            continue
    options = Options(prereleases="allow" if prereleases else "if-necessary",
                      only_binary=frozenset({":all:"}) if only_binary else frozenset(),
                      constraints=tuple(constraints), preferences=tuple(preferred), build_metadata=build_metadata)
    try:
        resolution = resolve(list(requirements), index, Target.from_interpreter(interpreter), options)
    except NoResolution as error:
        raise explained(error) from None
    return to_pins(resolution)


# -- problems: everything a resolution consulted, for replay ----------------------------------------

PROBLEM_FORMAT = "pkm-problem-1"


def _metadata_text(metadata: Any) -> str:
    """The fields of core metadata the resolver reads, as METADATA text (the rest is not needed to replay)."""
    lines = [f"Metadata-Version: {metadata.metadata_version}", f"Name: {metadata.name}", f"Version: {metadata.version}"]
    if metadata.requires_python is not None:
        lines.append(f"Requires-Python: {metadata.requires_python}")
    lines += [f"Dynamic: {field}" for field in metadata.dynamic or []]
    lines += [f"Provides-Extra: {extra}" for extra in metadata.provides_extra or []]
    lines += [f"Requires-Dist: {requirement}" for requirement in metadata.requires_dist or []]
    return "\n".join(lines) + "\n"


class RecordingIndex:
    """An Index that passes every call through and remembers what the resolver consulted.

    Pages (or their absence), the metadata read, and the PKG-INFO of downloaded sdists;
    `problem()` returns them with the request as one JSON-ready dict.
    """

    def __init__(self, inner: Any) -> None:
        import threading

        self._inner = inner
        self._lock = threading.Lock()
        self.pages: dict = {}
        self.metadata: dict = {}
        self.sdists: dict = {}

    def project_page(self, name: str) -> Any:
        import dataclasses

        page = self._inner.project_page(name)
        if getattr(page, "artifacts", None) is not None:
            entry = {"index_url": page.index_url,
                     "artifacts": [dataclasses.asdict(artifact) for artifact in page.artifacts]}
        elif getattr(page, "searched", None) is not None:
            entry = {"not_found": list(page.searched)}
        else:
            return page  # offline: nothing to record, the resolution stops here
        with self._lock:
            self.pages[page.name] = entry
        return page

    def core_metadata(self, artifact: Any) -> Any:
        metadata = self._inner.core_metadata(artifact)
        with self._lock:
            self.metadata[artifact.url] = _metadata_text(metadata)
        return metadata

    def fetch_artifact(self, artifact: Any, dest_dir: Any, *, progress: Any = None) -> Any:
        import tarfile
        import zipfile

        path = self._inner.fetch_artifact(artifact, dest_dir, progress=progress)
        raw = None
        try:
            if str(path).endswith(".zip"):
                with zipfile.ZipFile(path) as archive:
                    names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
                    raw = archive.read(names[0]) if names else None
            else:
                with tarfile.open(path, "r:*") as archive:
                    for member in archive:
                        if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                            handle = archive.extractfile(member)
                            raw = handle.read() if handle is not None else None
                            break
        except (OSError, tarfile.TarError, zipfile.BadZipFile):
            raw = None
        if raw is not None:
            with self._lock:
                self.sdists[artifact.url] = raw.decode("utf-8", "replace")
        return path

    def prefetch(self, names: Any, *, metadata_for: Any = ()) -> None:
        self._inner.prefetch(names, metadata_for=metadata_for)

    def problem(self, requirements: Sequence[Any], target: Any, options: Any) -> dict:
        return {
            "format": PROBLEM_FORMAT,
            "requirements": [str(r) for r in requirements],
            "constraints": [str(r) for r in options.constraints],
            "overrides": [str(r) for r in options.overrides],
            "options": {"prereleases": options.prereleases, "no_binary": sorted(options.no_binary),
                        "only_binary": sorted(options.only_binary), "no_build": sorted(options.no_build)},
            "target": {"markers": dict(target.markers), "tags": [str(tag) for tag in target.tags],
                       "python_version": str(target.python_version), "label": target.label},
            "pages": dict(sorted(self.pages.items())),
            "metadata": dict(sorted(self.metadata.items())),
            "sdists": dict(sorted(self.sdists.items())),
        }


class ProblemIndex:
    """The Index of a recorded problem: serves exactly what was recorded, never the network."""

    def __init__(self, data: dict, where: str) -> None:
        self._data = data
        self._where = where

    def project_page(self, name: str) -> Any:
        from packaging.utils import canonicalize_name

        from pkm.index import Artifact, NotFound, ProjectPage

        key = canonicalize_name(name)
        entry = self._data["pages"].get(key)
        if entry is None:
            return NotFound(key, (self._where,))
        if "not_found" in entry:
            return NotFound(key, tuple(entry["not_found"]))
        artifacts = tuple(Artifact(**fields) for fields in entry["artifacts"])
        return ProjectPage(key, artifacts, entry["index_url"])

    def core_metadata(self, artifact: Any) -> Any:
        from packaging.metadata import Metadata

        from pkm.errors import NotFoundError

        text = self._data["metadata"].get(artifact.url)
        if text is None:
            raise NotFoundError(f"{self._where} holds no metadata for {artifact.filename}")
        return Metadata.from_email(text, validate=False)

    def fetch_artifact(self, artifact: Any, dest_dir: Any, *, progress: Any = None) -> Any:
        import io
        import tarfile
        from pathlib import Path

        from pkm.errors import NotFoundError

        text = self._data["sdists"].get(artifact.url)
        if text is None:
            raise NotFoundError(f"{self._where} holds no copy of {artifact.filename}")
        stem = artifact.filename[: -len(".tar.gz")] if artifact.filename.endswith(".tar.gz") else artifact.filename[:-4]
        path = Path(dest_dir) / (stem + ".tar.gz")
        body = text.encode("utf-8")
        with tarfile.open(path, "w:gz") as archive:
            info = tarfile.TarInfo(f"{stem}/PKG-INFO")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
        return path

    def prefetch(self, names: Any, *, metadata_for: Any = ()) -> None:
        return None


def read_problem(path: Any) -> tuple:
    """(requirements, index, target, options) from a problem file written by `--export-problem`."""
    import json

    from packaging.requirements import Requirement
    from packaging.tags import Tag
    from packaging.version import Version

    from pkm.errors import InputFileError
    from pkm.resolver import Options, Target

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError("cannot read the problem file", path=str(path), why=str(exc),
                             hint="pass a file written by `pkm resolve --export-problem FILE`") from None
    if not isinstance(data, dict) or data.get("format") != PROBLEM_FORMAT:
        raise InputFileError(f"not a {PROBLEM_FORMAT} file", path=str(path),
                             hint="pass a file written by `pkm resolve --export-problem FILE` (of this pkm version)")
    try:
        spec = data["target"]
        target = Target(dict(spec["markers"]), tuple(Tag(*tag.split("-")) for tag in spec["tags"]),
                        Version(spec["python_version"]), spec.get("label", ""))
        o = data["options"]
        options = Options(prereleases=o["prereleases"], no_binary=frozenset(o["no_binary"]),
                          only_binary=frozenset(o["only_binary"]), no_build=frozenset(o["no_build"]),
                          constraints=tuple(Requirement(r) for r in data["constraints"]),
                          overrides=tuple(Requirement(r) for r in data["overrides"]))
        requirements = [Requirement(r) for r in data["requirements"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError("the problem file is incomplete", path=str(path), why=f"{type(exc).__name__}: {exc}",
                             hint="export it again with `pkm resolve --export-problem FILE`") from None
    return requirements, ProblemIndex(data, str(path)), target, options
