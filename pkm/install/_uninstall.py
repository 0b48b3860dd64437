"""Uninstall by RECORD: remove exactly the files a distribution recorded, inside its environment.

Works for any installer that writes RECORD (pkm, pip, uv, installer). Files a RECORD lists
outside the environment's prefix are never touched. Bytecode Python wrote next to recorded
modules (`__pycache__/<module>.*.pyc`) is removed too, and so are directories left empty.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional

from packaging.utils import canonicalize_name

from pkm.errors import NotFoundError, PkmError
from pkm.store import parse_dist_info, parse_record


__all__ = ["find_distribution", "distribution_files", "protected_dirs", "prune_empty_dirs", "guess_prefix", "uninstall"]


def guess_prefix(site_packages: Path) -> Path:
    """The environment's prefix: the nearest parent holding `pyvenv.cfg`, else `<prefix>/lib/pythonX.Y/site-packages`."""
    site_packages = Path(os.path.abspath(site_packages))
    for parent in site_packages.parents:
        if (parent / "pyvenv.cfg").is_file():
            return parent
    return site_packages.parents[2] if len(site_packages.parents) > 2 else site_packages.parent


def find_distribution(site_packages: Path, name: str) -> Optional[Path]:
    """The `.dist-info` directory of the installed distribution `name`, or None.

    Directory names are parsed as NAME-VERSION (`parse_dist_info`) and names compared
    normalized, so `foo` never finds `foo-bar-1.0.dist-info`. Cost: one listdir.
    """
    wanted = canonicalize_name(name)
    try:
        # Only `.dist-info` names can match: the rest (most of a site-packages) is not parsed.
        entries = sorted(e for e in os.listdir(site_packages) if e.endswith(".dist-info"))
    except FileNotFoundError:
        return None
    for entry in entries:
        parsed = parse_dist_info(entry)
        if parsed is not None and canonicalize_name(parsed[0]) == wanted:
            return Path(site_packages) / entry
    return None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def distribution_files(site_packages: Path, dist_info: Path, prefix: Path) -> list:
    """Every existing file to remove for `dist_info`: RECORD rows inside `prefix`, their
    bytecode, and whatever else is left in the `.dist-info` directory. Touches nothing.
    """
    record = dist_info / "RECORD"
    try:
        rows = parse_record(record.read_bytes(), where=str(record))
    except FileNotFoundError:
        raise PkmError(
            f"cannot uninstall {dist_info.name}: it has no RECORD",
            why="without RECORD pkm cannot know which files belong to it",
            hint="reinstall the package with `pkm install --reinstall`, then uninstall it",
        ) from None
    real_prefix = os.path.realpath(prefix)
    found: dict[str, Path] = {}

    def add(path: str) -> None:
        # Resolve the directory (so `lib64 -> lib` and escaping links are seen) but not the
        # file: a symlink installed by pkm is removed as a link, its target stays.
        if _inside(os.path.realpath(os.path.dirname(path)), real_prefix) and os.path.lexists(path):
            if not os.path.isdir(path) or os.path.islink(path):
                found.setdefault(path, Path(path))

    for row in rows:
        path = os.path.normpath(os.path.join(site_packages, row.path))
        add(path)
        if path.endswith(".py"):
            cache = os.path.join(os.path.dirname(path), "__pycache__")
            stem = os.path.basename(path)[:-3] + "."
            try:
                names = os.listdir(cache)
            except OSError:
                names = []
            for cached in names:
                if cached.startswith(stem) and cached.endswith(".pyc"):
                    add(os.path.join(cache, cached))
    for dirpath, _, filenames in os.walk(dist_info):
        for filename in filenames:
            add(os.path.join(dirpath, filename))
    return sorted(found.values())


def protected_dirs(site_packages: Path, prefix: Path) -> set:
    """Directories pruning never removes: the prefix, a venv's own top-level directories, site-packages and its parents."""
    prefix_s = os.path.normpath(prefix)
    keep = {prefix_s}
    keep.update(os.path.join(prefix_s, entry) for entry in ("bin", "include", "lib", "lib64", "Scripts"))
    path = os.path.normpath(site_packages)
    while _inside(path, prefix_s):
        keep.add(path)
        if path == prefix_s:
            break
        path = os.path.dirname(path)
    return keep


def prune_empty_dirs(paths: Iterable[Path], prefix: Path, keep: set) -> None:
    """Remove the parents of `paths` that are now empty, upward, stopping at `keep` and the prefix."""
    prefix_s = os.path.normpath(prefix)
    for start in sorted({os.path.dirname(os.path.normpath(p)) for p in paths}, key=len, reverse=True):
        directory = start
        while _inside(directory, prefix_s) and directory not in keep:
            try:
                os.rmdir(directory)
            except OSError:
                break  # not empty (or already gone along another path)
            directory = os.path.dirname(directory)


def uninstall(site_packages, name: str, *, prefix=None) -> list:
    """Remove the distribution `name` from `site_packages`; returns the removed file paths.

    `prefix` bounds what may be removed (default: `guess_prefix`). Raises NotFoundError if
    `name` is not installed there. Not transactional: use `apply` with a Remove step for that.
    """
    site_packages = Path(os.path.abspath(site_packages))
    prefix = Path(os.path.abspath(prefix)) if prefix is not None else guess_prefix(site_packages)
    dist_info = find_distribution(site_packages, name)
    if dist_info is None:
        raise NotFoundError(f"{name} is not installed in {site_packages}", hint="`pkm list` shows what is installed")
    files = distribution_files(site_packages, dist_info, prefix)
    for path in files:
        os.unlink(path)
    prune_empty_dirs(files + [dist_info / "RECORD"], prefix, protected_dirs(site_packages, prefix))
    return files
