"""All-or-nothing install plans: apply install/upgrade/remove steps to an environment, or none.

`apply` validates every wheel of the plan first (nothing is written if one is refused), then
runs the steps under a journal (see `_journal`): replaced and removed files are moved into
the journal's backup directory, not deleted. On success the journal and backups go; on any
exception, KeyboardInterrupt included, the environment is rolled back at once and the
exception re-raised. A process killed mid-way leaves the journal behind: `recover(env)`,
which every pkm command calls before touching an environment, rolls it back.
One process changes an environment at a time (an flock on the prefix directory).
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from pkm.errors import NotFoundError, PkmError

from ._core import InstalledDistribution, install_layout, layout_targets
from ._journal import JOURNAL_DIR, Journal
from ._layout import plan_layout
from .destinations import SchemeDestination, _inside
from .uninstall import distribution_files, find_distribution, prune_empty_dirs, protected_dirs

__all__ = ["Environment", "Install", "Upgrade", "Remove", "Applied", "apply", "recover"]

_LOCK_WAIT = 60.0


@dataclass(frozen=True)
class Environment:
    """An environment as the installer sees it: its prefix, scheme paths and interpreter.

    `scheme` has purelib, platlib, scripts, data and include (or headers) directories.
    """

    prefix: Path
    scheme: Mapping[str, str]
    interpreter: str

    @classmethod
    def from_probe(cls, probe: Mapping[str, Any]) -> "Environment":
        """From `hooks/probe.py`'s JSON. A venv's sysconfig "include" is the base
        interpreter's; headers then go to `<prefix>/include/site/pythonX.Y`, as pip does."""
        prefix = Path(probe["prefix"])
        paths = dict(probe["paths"])
        if not _inside(Path(paths.get("include", "/")), prefix):
            major, minor = probe["version"][:2]
            paths["include"] = str(prefix / "include" / "site" / f"python{major}.{minor}")
        return cls(prefix, paths, probe["executable"])

    def site_dirs(self) -> list:
        dirs = [Path(self.scheme["purelib"]), Path(self.scheme["platlib"])]
        return dirs[:1] if dirs[0] == dirs[1] else dirs


@dataclass(frozen=True)
class Install:
    """Install a wheel; a distribution of the same name already there is replaced."""

    source: Any
    requested: bool = True
    direct_url: Any = None


@dataclass(frozen=True)
class Upgrade(Install):
    """Replace the installed distribution of the wheel's name (same as Install; named for reports)."""


@dataclass(frozen=True)
class Remove:
    """Remove an installed distribution (NotFoundError before anything is done if absent)."""

    name: str


@dataclass
class Applied:
    """What a plan did: distributions installed, and (name, version) of those removed or replaced."""

    installed: list = field(default_factory=list)
    removed: list = field(default_factory=list)


def _prefix_of(env) -> Path:
    return Path(os.path.abspath(env.prefix if hasattr(env, "prefix") else env))


@contextmanager
def _locked(prefix: Path) -> Iterator[None]:
    fd = os.open(prefix, os.O_RDONLY)
    try:
        deadline = time.monotonic() + _LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PkmError(
                        f"another pkm process is changing {prefix}",
                        why=f"waited {_LOCK_WAIT:.0f} s for its lock",
                        hint="wait for it to finish, or stop it",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _find_installed(env: Environment, name: str):
    for site in env.site_dirs():
        dist_info = find_distribution(site, name)
        if dist_info is not None:
            return site, dist_info
    return None, None


def _recover_locked(prefix: Path, keep: set) -> bool:
    journal = Journal.load(prefix)
    if journal is None:
        return False
    if journal.data["state"] == "committed":
        journal.finish(lambda paths: prune_empty_dirs(paths, prefix, keep))
        return False
    journal.rollback()
    return True


def recover(env) -> bool:
    """Finish or roll back an interrupted `apply` on `env` (an Environment or a prefix path).

    Returns True if a rollback happened. Cheap when there is nothing to do (one stat).
    """
    prefix = _prefix_of(env)
    if not (prefix / JOURNAL_DIR).exists():
        return False
    keep = _keep(env, prefix) if isinstance(env, Environment) else _keep_for_prefix(prefix)
    with _locked(prefix):
        return _recover_locked(prefix, keep)


def _keep_for_prefix(prefix: Path) -> set:
    """Directories never pruned when only the prefix is known: every site-packages layout under it."""
    keep = protected_dirs(prefix / "lib", prefix)
    for site in list(prefix.glob("lib*/python*/site-packages")) + list(prefix.glob("lib*/site-packages")):
        keep |= protected_dirs(site, prefix)
    return keep


def _keep(env: Environment, prefix: Path) -> set:
    keep = _keep_for_prefix(prefix)
    for site in env.site_dirs():
        keep |= protected_dirs(site, prefix)
    keep.add(os.path.normpath(env.scheme["scripts"]))
    return keep


def apply(
    plan: Sequence[Any],
    env: Environment,
    *,
    link_mode: str = "copy",
    jobs: Optional[int] = None,
    on_file: Optional[Callable[[Path], None]] = None,
) -> Applied:
    """Apply `plan` (Install/Upgrade/Remove steps, in order) to `env`, all or nothing.

    Every wheel is validated and every target checked to lie inside the prefix before the
    journal is opened. `on_file(path)` is called after each file is written or moved away
    (progress; tests use it to interrupt at chosen points). Cost: per file one write or
    link, per replaced file one rename; two fsyncs per step for the journal.
    """
    prefix = _prefix_of(env)
    destination = SchemeDestination(env.scheme, env.interpreter, link_mode)
    keep = _keep(env, prefix)
    with _locked(prefix):
        _recover_locked(prefix, keep)
        prepared = []
        for step in plan:
            if isinstance(step, Remove):
                if _find_installed(env, step.name)[1] is None:
                    raise NotFoundError(f"cannot remove {step.name}: it is not installed in {prefix}", hint="`pkm list` shows what is installed")
                prepared.append((step, None))
                continue
            layout = plan_layout(step.source, requested=step.requested, direct_url=step.direct_url)
            for target in layout_targets(layout, destination):
                if not _inside(target, prefix):
                    raise PkmError(
                        f"cannot install {step.source.label}: {target} is outside the environment {prefix}",
                        hint="check the environment's scheme paths",
                    )
                if _inside(target, prefix / JOURNAL_DIR):
                    raise PkmError(
                        f"refusing to install {step.source.label}: it writes into pkm's journal ({target})",
                        hint="the wheel is damaged or malicious; do not install it",
                    )
            prepared.append((step, layout))
        journal = Journal.create(prefix)
        applied = Applied()
        try:
            for step, layout in prepared:
                name = step.name if layout is None else layout.name
                site, dist_info = _find_installed(env, name)
                if dist_info is not None:
                    applied.removed.append(_remove(journal, site, dist_info, prefix, on_file))
                if layout is not None:
                    applied.installed.append(_install(journal, layout, step.source, destination, jobs, on_file))
            journal.commit()
        except BaseException:
            journal.rollback()
            raise
        journal.finish(lambda paths: prune_empty_dirs(paths, prefix, keep))
        return applied


def _remove(journal: Journal, site: Path, dist_info: Path, prefix: Path, on_file) -> tuple:
    name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
    files = distribution_files(site, dist_info, prefix)
    moved = [(journal.rel(path), journal.new_backup()) for path in files]
    journal.add_step({"op": "remove", "name": name, "moved": moved})
    for rel, backup in moved:
        journal.move_to_backup(rel, backup)
        if on_file is not None:
            on_file(journal.abs(rel))
    return name, version


def _install(journal: Journal, layout, source, destination, jobs, on_file) -> InstalledDistribution:
    targets = layout_targets(layout, destination)
    created = [journal.rel(t) for t in targets]
    moved = [(rel, journal.new_backup()) for rel, t in zip(created, targets) if os.path.lexists(t)]
    new_dirs = set()
    for target in targets:
        parent = target.parent
        while not parent.exists() and _inside(parent, journal.prefix):
            new_dirs.add(journal.rel(parent))
            parent = parent.parent
    journal.add_step({"op": "install", "name": layout.name, "created": created, "moved": moved, "dirs": sorted(new_dirs)})
    for rel, backup in moved:
        journal.move_to_backup(rel, backup)
    return install_layout(layout, source, destination, jobs=jobs, on_file=on_file)
