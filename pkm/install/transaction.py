"""All-or-nothing install plans: apply install/upgrade/remove steps to an environment, or none.

`apply` validates every wheel of the plan first (nothing is written if one is refused), then
runs the steps under a journal (see `_journal`): replaced and removed files are moved into
the journal's backup directory, not deleted. On success the journal and backups go; on any
exception, KeyboardInterrupt included, the environment is rolled back at once and the
exception re-raised. A process killed mid-way leaves the journal behind: `recover(env)`,
which every pkm command calls before touching an environment, rolls it back.
One process changes an environment at a time (the store's FileLock on `<prefix>/.pkm-lock`).
A filesystem failure (a read-only directory, a full disk) is a PkmError that says what
and where, raised after the rollback. `apply` closes the sources of its plan when done.
"""

from __future__ import annotations

import errno
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from pkm.errors import NotFoundError, PkmError
from pkm.store import FileLock, parse_dist_info

from ._core import Writers, default_jobs, layout_targets, missing_dirs, start_layout
from ._journal import JOURNAL_DIR, Journal
from ._layout import plan_layout
from .destinations import SchemeDestination
from .environment import LOCK_FILE, Environment, prefix_of, recover
from ._uninstall import distribution_files, find_distribution, prune_empty_dirs, protected_dirs

__all__ = ["Environment", "Install", "Upgrade", "Remove", "Applied", "apply", "recover", "recover_journal", "LOCK_FILE"]

_LOCK_WAIT = 60.0
# Up to this many files in a plan, the writes stay on the calling thread (a pool costs more).
_SERIAL_FILES = 64


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


_STATES = {
    "untouched": "nothing was changed",
    "rolled back": "the environment was rolled back to its state before the command",
    "pending": "the environment may be half-changed; the next pkm command on it finishes the rollback",
}


def _os_error(prefix: Path, exc: OSError, *, state: str) -> PkmError:
    """The user-facing error for a filesystem failure at `prefix`; `state` is a key of _STATES."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "check that you may write there (permissions, a read-only filesystem), or use an environment you own"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some disk space, then run the command again"
    else:
        fix = "fix the cause above, then run the command again"
    return PkmError(f"cannot change the environment at {prefix}",
                    why=f"{exc.strerror or exc}{where}; {_STATES[state]}", hint=fix)


@contextmanager
def _locked(prefix: Path) -> Iterator[None]:
    """Hold the environment's lock (`<prefix>/.pkm-lock`, the store's FileLock) for a `with` block.

    The lock file is deleted before release (FileLock allows that to its holder), so an
    environment at rest holds no trace of pkm; a process killed while holding it leaves
    the file, which is harmless (the kernel drops the lock) and removed by `recover`.
    """
    if not prefix.is_dir():
        raise NotFoundError(f"there is no environment at {prefix}", hint="create it first (`pkm venv`)")
    lock = FileLock(prefix / LOCK_FILE, timeout=_LOCK_WAIT, what=f"the lock on the environment {prefix}")
    try:
        lock.acquire()
    except OSError as exc:
        raise _os_error(prefix, exc, state="untouched") from exc
    try:
        yield
    finally:
        try:
            os.unlink(lock.path)
        except OSError:
            pass  # someone removed it (or cannot): the next holder replaces it
        lock.release()


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


def recover_journal(env, prefix: Path) -> bool:
    """`environment.recover` once it has seen a journal or lock file at `prefix`."""
    keep = _keep(env, prefix) if isinstance(env, Environment) else _keep_for_prefix(prefix)
    with _locked(prefix):
        try:
            return _recover_locked(prefix, keep)
        except OSError as exc:
            raise _os_error(prefix, exc, state="pending") from exc


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
    (progress; tests use it to interrupt at chosen points). A filesystem error (OSError)
    rolls back and becomes a PkmError saying what failed where; other exceptions roll back
    and propagate. The steps' sources are closed when `apply` returns or raises. Cost: per
    file one write or link, per replaced file one rename; two fsyncs per step for the journal.
    """
    prefix = prefix_of(env)
    try:
        destination = SchemeDestination(env.scheme, env.interpreter, link_mode)
        keep = _keep(env, prefix)
        with _locked(prefix):
            try:
                _recover_locked(prefix, keep)
            except OSError as exc:
                raise _os_error(prefix, exc, state="pending") from exc
            prepared = _prepare(plan, env, prefix, destination)
            return _run(prepared, env, prefix, destination, keep, jobs, on_file)
    finally:
        # The plan's sources are read: release their files (a WheelFile holds its zip open).
        for step in plan:
            close = getattr(getattr(step, "source", None), "close", None)
            if close is not None:
                close()


def _prepare(plan: Sequence[Any], env: Environment, prefix: Path, destination) -> list:
    """Validate every step before anything is written: (step, (layout, targets, the targets relative
    to the prefix as the journal records them)), or (step, None) for Remove."""
    prepared = []
    for step in plan:
        if isinstance(step, Remove):
            if _find_installed(env, step.name)[1] is None:
                raise NotFoundError(f"cannot remove {step.name}: it is not installed in {prefix}", hint="`pkm list` shows what is installed")
            prepared.append((step, None))
            continue
        try:
            layout = plan_layout(step.source, requested=step.requested, direct_url=step.direct_url)
        except OSError as exc:
            raise PkmError(f"cannot read {step.source.label}", why=f"{exc.strerror or exc} ({exc.filename})",
                           hint="the file or store entry may be damaged; run `pkm store verify`") from exc
        targets = layout_targets(layout, destination)
        base = os.path.join(os.path.normpath(prefix), "")
        cut = len(base)
        # Targets have no `.`/`..` parts (the destination checks): a prefix match is enough.
        # Two passes in comprehensions (they run per file); `_refuse_target` finds the culprit.
        relative = [target[cut:] for target in targets if target.startswith(base)]
        if len(relative) != len(targets) or [rest for rest in relative if rest.startswith(_OWN)]:
            _refuse_target(step.source.label, targets, base, prefix)
        if os.sep != "/":
            relative = [rest.replace(os.sep, "/") for rest in relative]
        prepared.append((step, (layout, targets, relative)))
    return prepared


# pkm's own entries at the top of the prefix; a target starting so is looked at closely.
_OWN = (JOURNAL_DIR, LOCK_FILE)


def _refuse_target(label: str, targets: list, base: str, prefix: Path) -> None:
    """Raise for the first target outside the prefix or inside pkm's own entries there (if any)."""
    for target in targets:
        if not target.startswith(base):
            raise PkmError(
                f"cannot install {label}: {target} is outside the environment {prefix}",
                hint="check the environment's scheme paths",
            )
        if target[len(base):].split(os.sep, 1)[0] in _OWN:
            raise PkmError(
                f"refusing to install {label}: it writes into pkm's journal ({target})",
                hint="the wheel is damaged or malicious; do not install it",
            )


def _run(prepared: list, env: Environment, prefix: Path, destination, keep: set, jobs, on_file) -> Applied:
    """Run the validated steps under a journal; any failure rolls the environment back."""
    try:
        journal = Journal.create(prefix)
    except OSError as exc:
        shutil.rmtree(prefix / JOURNAL_DIR, ignore_errors=True)  # nothing recorded: nothing to undo
        raise _os_error(prefix, exc, state="untouched") from exc
    applied = Applied()
    total = sum(len(planned[1]) for _, planned in prepared if planned is not None)
    if jobs is None:
        jobs = default_jobs() if total > _SERIAL_FILES else 1
    pending: list = []  # the `finish` of each queued install, in plan order
    claimed: set = set()  # every target of the queued installs

    def drain() -> None:
        for finish in pending:
            applied.installed.append(finish())
        pending.clear()
        claimed.clear()

    try:
        # The installs of all steps share one pool of writers, so small and large wheels
        # overlap; a step whose paths meet a queued step's waits for it (last one wins).
        with Writers(jobs) as writers:
            for step, planned in prepared:
                name = step.name if planned is None else planned[0].name
                site, dist_info = _find_installed(env, name)
                if dist_info is not None:
                    drain()
                    applied.removed.append(_remove(journal, site, dist_info, prefix, on_file))
                if planned is not None:
                    layout, targets, relative = planned
                    if not claimed.isdisjoint(targets):
                        drain()
                    claimed.update(targets)
                    pending.append(_start_install(journal, layout, targets, relative, step.source, destination,
                                                  writers, on_file))
            drain()
        journal.commit()
    except BaseException as exc:
        try:
            journal.rollback()
        except OSError as again:  # the journal stays; `recover` (run by every command) retries
            raise _os_error(prefix, again, state="pending") from exc
        if isinstance(exc, OSError):
            raise _os_error(prefix, exc, state="rolled back") from exc
        raise
    try:
        journal.finish(lambda paths: prune_empty_dirs(paths, prefix, keep))
    except OSError as exc:
        raise PkmError(f"the changes to {prefix} are done, but cleaning up after them failed",
                       why=f"{exc.strerror or exc} ({exc.filename})",
                       hint="run the command again: it finishes the cleanup") from exc
    return applied


def _remove(journal: Journal, site: Path, dist_info: Path, prefix: Path, on_file) -> tuple:
    name, version = parse_dist_info(dist_info.name) or (dist_info.name, "")
    files = distribution_files(site, dist_info, prefix)
    moved = [(journal.rel(path), journal.new_backup()) for path in files]
    journal.add_step({"op": "remove", "name": name, "moved": moved})
    for rel, backup in moved:
        journal.move_to_backup(rel, backup)
        if on_file is not None:
            on_file(os.fspath(journal.abs(rel)))
    return name, version


def _start_install(journal: Journal, layout, targets: list, created: list, source, destination, writers,
                   on_file) -> Callable:
    """Record the install step (`created`: the targets as the journal names them), move what is
    in its way to the backup, queue its writes."""
    new_dirs = missing_dirs(targets, stop=os.fspath(journal.prefix))
    fresh = set(new_dirs)
    sep, lexists = os.sep, os.path.lexists
    # Only a target in a directory that existed before can be in the way (one lstat each;
    # `parent_of` inline: this runs for every file).
    moved = [(rel, journal.new_backup()) for rel, t in zip(created, targets)
             if (t[:t.rfind(sep)] or sep) not in fresh and lexists(t)]
    journal.add_step({"op": "install", "name": layout.name, "created": created, "moved": moved,
                      "dirs": sorted(journal.rel(d) for d in new_dirs)})
    for rel, backup in moved:
        journal.move_to_backup(rel, backup)
    return start_layout(layout, source, destination, writers, targets=targets, new_dirs=new_dirs, on_file=on_file)
