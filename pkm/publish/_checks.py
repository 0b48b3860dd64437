"""Pre-flight checks: every file is a wheel or sdist whose metadata agrees with its name, before any upload."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.metadata import ExceptionGroup, Metadata
from packaging.utils import canonicalize_name
from packaging.version import Version

from pkm.errors import PkmError

from ._dist import SDIST_SUFFIXES, Distribution, NotADistribution, older_than_2_4, read_distribution
from ._readme import RstCheck, check_readme

__all__ = ["Problem", "Checked", "collect_files", "check_files", "preflight_error"]

_REBUILD = "rebuild the distribution from its pyproject.toml (`pkm build`) instead of editing or renaming it"


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be uploaded, with the fix."""

    filename: str
    what: str
    hint: str


@dataclass(frozen=True)
class Checked:
    """The outcome of the checks: the distributions, in the order given, or the problems; notes either way."""

    distributions: List[Distribution]
    problems: List[Problem]
    notes: List[str]


def collect_files(given: Sequence[str], cwd: Path) -> List[Path]:
    """The files to upload: each path given (a directory: its wheels and sdists; a glob pattern when no such
    path exists), or with none given, the wheels and sdists in dist/.

    Paths that match nothing are kept, so the checks report them. A directory
    without distributions is a PkmError with a hint to build.
    """
    if not given:
        return _distributions_in(cwd / "dist")
    found: List[Path] = []
    for text in given:
        path = cwd / text
        if path.is_dir():
            found += _distributions_in(path)
        elif not path.exists() and glob.has_magic(text):
            found += sorted(cwd.glob(text)) or [path]
        else:
            found.append(path)
    return found


def _distributions_in(directory: Path) -> List[Path]:
    found = sorted(p for p in directory.glob("*") if p.is_file() and p.name.endswith((".whl",) + SDIST_SUFFIXES))
    if not found:
        raise PkmError(f"no wheel or sdist in {directory}", hint="build them first (`pkm build`), or name the "
                                                               "files to upload: `pkm publish PATH...`")
    return found


def check_files(paths: Sequence[Path], rst_check: Optional[RstCheck]) -> Checked:
    """Read and check every file; collects every problem rather than stopping at the first.

    Checks: the file exists and is a wheel or sdist; it is not given twice
    (by path or by file name: an index takes a file name once); its metadata
    parses and validates (PEP 440 version, PEP 508 name and requirements);
    the name and version inside match the file name (normalized); the readme
    renders (see `check_readme`). Cost: one pass over each file for digests.
    """
    distributions: List[Distribution] = []
    problems: List[Problem] = []
    notes: List[str] = []
    seen: Dict[str, Path] = {}
    for path in paths:
        earlier = seen.get(path.name)
        if earlier is not None:
            how = "twice" if earlier.resolve() == path.resolve() else f"twice (also as {earlier})"
            problems.append(Problem(path.name, f"given {how}",
                                    "name each file once; an index takes a file name only once"))
            continue
        seen[path.name] = path
        try:
            dist = read_distribution(path)
        except NotADistribution as exc:
            problems.append(Problem(path.name, exc.what, exc.hint))
            continue
        found, file_notes = _check_metadata(dist, rst_check)
        problems += found
        notes += [f"{dist.filename}: {note}" for note in file_notes]
        if not found:
            distributions.append(dist)
    return Checked(distributions, problems, notes)


def _check_metadata(dist: Distribution, rst_check: Optional[RstCheck]) -> Tuple[List[Problem], List[str]]:
    problems: List[Problem] = []
    raw = dict(dist.raw)

    def problem(what: str, hint: str = _REBUILD) -> None:
        problems.append(Problem(dist.filename, what, hint))

    unparsed = dict(dist.unparsed)
    if "description" in unparsed:
        unparsed.pop("description")
        problem("the readme (the metadata's body) is not valid UTF-8", "save the readme as UTF-8 and rebuild")
    if unparsed:
        problem("its metadata has unknown or malformed fields: " + ", ".join(sorted(unparsed)))
    for key in ("metadata_version", "name", "version"):
        if not raw.get(key):
            problem(f"its metadata has no {key.replace('_', '-').title()} field")
    if problems:
        return problems, []
    if older_than_2_4(raw["metadata_version"]):
        raw.pop("license_files", None)  # setuptools writes License-File into older versions; indexes ignore it
    # the readme's content type is checked below, with a better message than packaging's
    content_type = raw.pop("description_content_type", None)
    try:
        Metadata.from_raw(raw, validate=True)  # type: ignore[arg-type]
    except ExceptionGroup as group:
        for exc in sorted(group.exceptions, key=str):
            problem(f"invalid metadata: {exc}", "fix the field in pyproject.toml (versions follow PEP 440, names "
                                                "and requirements PEP 508) and rebuild")
        return problems, []
    if canonicalize_name(raw["name"]) != dist.name:
        problem(f"the metadata names `{raw['name']}`, but the file name says `{dist.name}`")
    if Version(raw["version"]) != dist.version:  # valid: checked by from_raw above
        problem(f"the metadata says version {raw['version']}, but the file name says {dist.version}")
    found, notes = check_readme(raw.get("description"), content_type, rst_check)
    for what, hint in found:
        problem(what, hint)
    return problems, notes


def preflight_error(problems: Sequence[Problem]) -> PkmError:
    """One error for every problem: the single problem itself, or a count with one line (and fix) each."""
    if len(problems) == 1:
        only = problems[0]
        return PkmError(f"{only.filename}: {only.what}", why="nothing was uploaded", hint=only.hint)
    lines = []
    for item in problems:
        lines += [f"{item.filename}: {item.what}", f"  fix: {item.hint}"]
    return PkmError(f"{len(problems)} problems with the files to upload; nothing was uploaded",
                    why="\n".join(lines), hint="fix the problems above, then run the command again")
