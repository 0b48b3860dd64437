"""Running commands inside a project: its synced `.venv`, its variables (`.env`, `[tool.pkm.env]`), a child process.

Shared by `pkm exec`, `pkm task` and `pkm run` (which takes only the variables).
The venv is synced first when it is missing, the lock is missing or stale, or the
lock changed since this module last synced it (a digest kept in the venv), so a
warm `pkm exec` reads two small files and starts the command.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import namedtuple

from pkm.cli._context import Context
from pkm.errors import NotFoundError, PkmError

TYPE_CHECKING = False  # a warm `pkm exec` / `pkm run` imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Dict, List, Mapping, Optional

__all__ = ["Pyproject", "add_venv_options", "command_environ", "read_pyproject", "run_process", "synced_venv"]

_STAMP = ".pkm-synced-lock"  # in the venv: sha256 of the pylock.toml it was last synced with here


class Pyproject(namedtuple("Pyproject", "path text data")):
    """A pyproject.toml as read, before any check of `[project]` (tasks and variables need none):
    `path` (a resolved path string), `text`, `data` (parsed only when it may hold `tool.pkm`)."""

    __slots__ = ()

    @property
    def root(self) -> str:
        return os.path.dirname(self.path)


class CommandNotFound(NotFoundError):
    exit_code = 127  # as a shell says it


class CommandNotExecutable(PkmError):
    exit_code = 126


def add_venv_options(parser: argparse.ArgumentParser) -> None:
    from pkm.cli._options import path_arg

    parser.add_argument("--project", type=path_arg, metavar="PATH", help="the project (default: the nearest upward)")
    parser.add_argument("--frozen", action="store_true",
                        help="sync from the lock as it is: a missing or stale lock is an error, never re-locked")
    parser.add_argument("--no-sync", action="store_true", help="use .venv as it is (it must exist)")


def read_pyproject(explicit: Optional[Path] = None, *, quiet_missing: bool = False) -> Optional[Pyproject]:
    """The nearest pyproject.toml upward (or `--project PATH`), parsed only when it may hold a `tool.pkm`
    table (so a run in another project pays no TOML parse). None when there is none and `quiet_missing`."""
    from pkm._toml import parse_toml, read_text
    from pkm.project import nearest_pyproject

    try:
        path = nearest_pyproject(os.getcwd(), None if explicit is None else os.fspath(explicit))
    except NotFoundError:
        if quiet_missing and explicit is None:
            return None
        raise
    text = read_text(path)
    return Pyproject(path, text, parse_toml(text, path) if "pkm" in text else {})


def command_environ(pyproject: Optional[Pyproject], venv: "str | os.PathLike[str] | None" = None,
                    extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """os.environ plus the project's variables (never replacing one already set), then `extra`
    (a task's own env, which does replace), then the venv activated: VIRTUAL_ENV, its bin first on PATH."""
    environ = dict(os.environ)
    if pyproject is not None:
        from pkm.project._dotenv import project_variables

        environ.update(project_variables(pyproject.root, pyproject.data, pyproject.text, pyproject.path, os.environ))
    environ.update(extra or {})
    if venv is not None:
        bin_dir = os.path.join(os.fspath(venv), "bin")
        environ["VIRTUAL_ENV"] = os.fspath(venv)
        environ["PATH"] = os.pathsep.join([bin_dir] + [p for p in environ.get("PATH", "").split(os.pathsep)
                                                       if p and p != bin_dir])
        environ.pop("PYTHONHOME", None)  # it would point the venv's python at another prefix
    return environ


def _lock_digest(project: Any) -> str:
    import hashlib

    try:
        return hashlib.sha256(project.lock_path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _in_sync(project: Any) -> bool:
    from pkm.cli._project import lock_state

    if not (project.venv / "pyvenv.cfg").is_file() or lock_state(project) != "fresh":
        return False
    try:
        stamp = (project.venv / _STAMP).read_text(encoding="ascii").strip()
    except OSError:
        return False
    return stamp == _lock_digest(project)


def synced_venv(project: Any, ctx: Context, *, frozen: bool = False, no_sync: bool = False) -> Path:
    """The project's `.venv`, synced first (lock if stale, then `pkm sync`'s defaults) when needed.
    Sync output goes to stderr: stdout belongs to the command that runs next. For a workspace
    member, the workspace's venv."""
    from pkm.project import in_workspace

    project = in_workspace(project)
    if no_sync:
        if not (project.venv / "pyvenv.cfg").is_file():
            raise NotFoundError(f"{project.venv} does not exist", hint="run `pkm sync` first, or drop --no-sync")
        return project.venv.absolute()
    if not _in_sync(project):
        from pkm.cli.sync import defaults, sync_project
        from pkm.ui import Console

        shown = ctx.console
        ctx.console = Console(quiet=shown.quiet, verbose=shown.verbose, stdout=shown.stderr, stderr=shown.stderr)
        try:
            sync_project(project, defaults(frozen=frozen), ctx, time.monotonic())
        finally:
            ctx.console = shown
        try:
            (project.venv / _STAMP).write_text(_lock_digest(project) + "\n", encoding="ascii")
        except OSError:
            pass  # only a cache: the next run syncs again (a no-op)
    return project.venv.absolute()


def run_process(argv: List[str], environ: Mapping[str, str], cwd: "str | os.PathLike[str] | None" = None) -> int:
    """Run `argv` (looked up on environ's PATH) and wait; its exit code (128+N when killed by signal N).
    Ctrl-C reaches the child from the terminal; pkm waits for it instead of dying first.
    On POSIX without `cwd` the child is spawned with `os.posix_spawn` (no `subprocess` import:
    `pkm exec` is a quick command)."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if cwd is None and hasattr(os, "posix_spawn"):
            code = _wait(os.posix_spawn(_which(argv[0], environ), argv, dict(environ)))
        else:
            import subprocess

            child = subprocess.Popen(argv, env=dict(environ), cwd=str(cwd) if cwd is not None else None)
            code = _wait(child.pid, child)
    except FileNotFoundError:
        raise CommandNotFound(f"command not found: {argv[0]}",
                              hint="is it installed in the project? `pkm add NAME` adds a dependency "
                                   "(its console scripts land in .venv/bin)") from None
    except PermissionError as exc:
        raise CommandNotExecutable(f"cannot run {argv[0]}: {exc.strerror}", hint="check the file's mode (chmod +x)") \
            from None
    return 128 - code if code < 0 else code


def _which(command: str, environ: Mapping[str, str]) -> str:
    """`command` as the child's PATH finds it (a name with a `/` is a path); FileNotFoundError if it
    is nowhere, PermissionError if found only without the execute bit."""
    if os.sep in command:
        return command
    denied = None
    for directory in os.get_exec_path(dict(environ)):
        path = os.path.join(directory, command)
        if os.path.isfile(path):
            if os.access(path, os.X_OK):
                return path
            denied = denied or path
    if denied is not None:  # as a shell says: found, but not executable
        raise PermissionError(13, "Permission denied", denied)
    raise FileNotFoundError(command)


def _wait(pid: int, child: Any = None) -> int:
    """The exit code of `pid` (-N when killed by signal N), waiting through Ctrl-C: the child got
    SIGINT too and decides; its code is ours."""
    while True:
        try:
            if child is not None:
                return child.wait()
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except KeyboardInterrupt:
            continue
