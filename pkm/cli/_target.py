"""The environment a command changes: chosen (--env, $VIRTUAL_ENV, ./.venv), probed, recovered, read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

__all__ = ["Target", "open_target", "add_env_option"]


def add_env_option(parser: Any, *, writes: bool = True) -> None:
    parser.add_argument("--env", metavar="PATH",
                        help="the virtual environment to act on (default: $VIRTUAL_ENV, else ./.venv)")
    parser.add_argument("--system", action="store_true",
                        help="act on the first python3 on PATH (its own site-packages), not a virtual environment")
    if writes:
        parser.add_argument("--break-system-packages", action="store_true",
                            help="with --system: change an interpreter its OS manages (PEP 668) anyway")


@dataclass
class Target:
    """A virtual environment ready to be read or changed.

    `environment` is the installer's view (scheme paths); `interpreter` the
    probe of its python (tags, markers); `installed()` what is in it now.
    """

    path: Path
    interpreter: Any
    environment: Any

    def site_dirs(self) -> List[Path]:
        return self.environment.site_dirs()

    def installed(self) -> Dict[str, Any]:
        """Normalized name -> `pkm.env.InstalledDist`, over every site directory (purelib first)."""
        from packaging.utils import canonicalize_name

        from pkm.env import installed

        found: Dict[str, Any] = {}
        for site in self.site_dirs():
            for dist in installed(site):
                found.setdefault(canonicalize_name(dist.name), dist)
        return dict(sorted(found.items()))


def open_target(env_arg: Optional[str], home: str, *, recover: bool = True, args: Any = None) -> Target:
    """Select the environment, probe its interpreter (cached), and roll back an interrupted install.

    `args` may carry `--system` (then the first python3 on PATH is the target) and
    `--break-system-packages`. Cost on a warm probe cache: a few stats and one small JSON
    read; no subprocess.
    """
    from pkm.env import probe, select_environment
    from pkm.install import Environment
    from pkm.install import recover as recover_env

    if getattr(args, "system", False):
        path, interpreter = _system(env_arg, home, getattr(args, "break_system_packages", None))
    else:
        path = select_environment(env_arg, os.environ, Path.cwd())
        interpreter = probe(path / "bin" / "python", cache_dir=os.path.join(home, "interpreters-v1"))
    environment = Environment.from_probe(interpreter.to_probe())
    if recover:
        recover_env(environment)
    return Target(path, interpreter, environment)


def _system(env_arg: Optional[str], home: str, breaking: Optional[bool]) -> tuple:
    """(prefix, interpreter) of the first python3 on PATH; refuses an OS-managed one (PEP 668) unless
    `breaking` (None: the command only reads, so nothing to refuse)."""
    import shutil

    from pkm.env import probe
    from pkm.errors import NotFoundError, PkmError, UsageError

    if env_arg is not None:
        raise UsageError("--env and --system name two different targets", hint="pass one of them")
    found = shutil.which("python3")
    if found is None:
        raise NotFoundError("no python3 on PATH for --system", hint="put the interpreter on PATH, or use --env PATH")
    interpreter = probe(found, cache_dir=os.path.join(home, "interpreters-v1"))
    marker = Path(interpreter.paths.get("stdlib", "")) / "EXTERNALLY-MANAGED"
    if breaking is False and not interpreter.in_venv and marker.is_file():
        raise PkmError(f"{found} is managed by your operating system's package manager (PEP 668)",
                       why=f"{marker} says its packages come from the OS",
                       hint="use a virtual environment (`pkm venv`, then --env), or pass --break-system-packages")
    return Path(interpreter.prefix), interpreter
