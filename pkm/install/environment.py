"""The environment as the installer sees it, and the check every command makes before touching one.

Kept apart from `transaction` so that a command that finds nothing to change (`pkm sync`
already in sync) loads neither the installer nor the store: `recover` costs one stat here
and imports the rollback only when a journal or lock file is present.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Environment", "JOURNAL_DIR", "LOCK_FILE", "inside", "prefix_of", "recover"]

# The environment's lock file, present only while a pkm process changes the environment.
LOCK_FILE = ".pkm-lock"
# The journal of an install in progress (`_journal`): its presence means one was interrupted.
JOURNAL_DIR = ".pkm-journal"


def inside(path: "str | os.PathLike[str]", root: "str | os.PathLike[str]") -> bool:
    """Whether `path` is `root` or under it (lexically: both normalized, neither resolved)."""
    path_s, root_s = os.path.normpath(path), os.path.normpath(root)
    return path_s == root_s or path_s.startswith(root_s.rstrip(os.sep) + os.sep)


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
        if not inside(Path(paths.get("include", "/")), prefix):
            major, minor = probe["version"][:2]
            paths["include"] = str(prefix / "include" / "site" / f"python{major}.{minor}")
        return cls(prefix, paths, probe["executable"])

    def site_dirs(self) -> list:
        dirs = [Path(self.scheme["purelib"]), Path(self.scheme["platlib"])]
        return dirs[:1] if dirs[0] == dirs[1] else dirs


def prefix_of(env: "Environment | str | os.PathLike[str]") -> Path:
    return Path(os.path.abspath(env.prefix if hasattr(env, "prefix") else env))


def recover(env: "Environment | str | os.PathLike[str]") -> bool:
    """Finish or roll back an interrupted `apply` on `env` (an Environment or a prefix path).

    Returns True if a rollback happened. Cheap when there is nothing to do (one stat).
    """
    prefix = prefix_of(env)
    if not (prefix / JOURNAL_DIR).exists() and not (prefix / LOCK_FILE).exists():
        return False
    from .transaction import recover_journal

    return recover_journal(env, prefix)
