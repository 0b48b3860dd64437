"""The environment a command changes: chosen (--env, $VIRTUAL_ENV, ./.venv), probed, recovered, read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

__all__ = ["Target", "open_target", "add_env_option"]


def add_env_option(parser: Any) -> None:
    parser.add_argument("--env", metavar="PATH",
                        help="the virtual environment to act on (default: $VIRTUAL_ENV, else ./.venv)")


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


def open_target(env_arg: Optional[str], home: Path, *, recover: bool = True) -> Target:
    """Select the environment, probe its interpreter (cached), and roll back an interrupted install.

    Cost on a warm probe cache: a few stats and one small JSON read; no subprocess.
    """
    from pkm.env import probe, select_environment
    from pkm.install import Environment
    from pkm.install import recover as recover_env

    path = select_environment(env_arg, os.environ, Path.cwd())
    interpreter = probe(path / "bin" / "python", cache_dir=home / "interpreters-v1")
    environment = Environment.from_probe(interpreter.to_probe())
    if recover:
        recover_env(environment)
    return Target(path, interpreter, environment)
