"""Which environment a command acts on: --env, else $VIRTUAL_ENV, else the project's .venv."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping

from pkm.errors import NotFoundError

__all__ = ["select_environment"]


def _venv_at(path: Path, source: str) -> Path:
    if not (path / "pyvenv.cfg").is_file():
        raise NotFoundError(f"{path} ({source}) is not a virtual environment",
                            why="it does not exist" if not path.exists() else "it has no pyvenv.cfg",
                            hint=f"create it with `pkm venv {path}`, or name another one with --env PATH")
    return path


def select_environment(
    env_arg: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    project_dir: Path | None,
    *,
    system: bool = False,
    system_prefix: Callable[[], Path] | None = None,
) -> Path:
    """The absolute path of the environment to act on.

    In order: `env_arg` (`--env PATH`, relative to the current directory);
    with `system=True`, the system interpreter's prefix from `system_prefix()`
    (the caller probes the interpreter, e.g. the first `python3` on PATH);
    `$VIRTUAL_ENV`; the `.venv` of `project_dir`. A named environment that is
    not a venv, or finding none, is NotFoundError with a `pkm venv` hint; the
    system interpreter is never chosen unless asked for.
    """
    if env_arg is not None:
        return _venv_at(Path(os.path.abspath(os.fspath(env_arg))), "--env")
    if system:
        if system_prefix is None:
            raise ValueError("system=True needs system_prefix, the callable that finds the system interpreter")
        return Path(system_prefix())
    active = environ.get("VIRTUAL_ENV")
    if active:
        return _venv_at(Path(os.path.abspath(active)), "$VIRTUAL_ENV")
    if project_dir is not None:
        candidate = Path(os.path.abspath(project_dir)) / ".venv"
        if (candidate / "pyvenv.cfg").is_file():
            return candidate
        where = f"no .venv in the project at {project_dir}"
    else:
        where = "not inside a project"
    raise NotFoundError("no virtual environment to act on",
                        why=f"no --env was given, $VIRTUAL_ENV is not set, and {where}",
                        hint="create one with `pkm venv .venv` (or pass --env PATH, or --system for the system Python)")
