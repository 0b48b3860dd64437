"""Create a virtual environment (no pip inside: pkm installs into it from outside).

The layout is the standard one (`python -m venv --without-pip`): pyvenv.cfg,
bin/python linked to the base interpreter, site-packages, and activation
scripts for bash/zsh, fish, csh/tcsh and PowerShell. No interpreter is started
when its probe is cached, so this takes milliseconds. `--seed` installs pip
into it from the store (fetched once, then linked: as fast as a warm install).
"""

from __future__ import annotations

import os
import shlex

from pkm.cli._options import add_index_options

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    import argparse

    from pkm.cli._context import Context

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".venv", metavar="PATH",
                        help="where to create it (default: .venv)")
    parser.add_argument("-p", "--python", metavar="EXE|X.Y",
                        help="the interpreter: a path, or a version found on PATH or in pyenv "
                             "(3.12, 3.12.1, pypy3.10, '>=3.10'); default: the Python running pkm")
    parser.add_argument("--prompt", metavar="NAME",
                        help="the name shown in the shell prompt when active (default: the directory's name; "
                             "'.' for the current directory's)")
    parser.add_argument("--system-site-packages", action="store_true",
                        help="let the venv see the base interpreter's installed packages")
    parser.add_argument("--clear", action="store_true",
                        help="empty an existing virtual environment first (a non-venv directory is never touched)")
    parser.add_argument("--seed", action="store_true",
                        help="install pip into it (from the store; resolved for the venv's Python)")
    add_index_options(parser)


def _activate_hint(path: str, environ: dict) -> str:
    shell = os.path.basename(environ.get("SHELL", ""))
    script, command = {"fish": ("activate.fish", "source"), "csh": ("activate.csh", "source"),
                       "tcsh": ("activate.csh", "source"), "pwsh": ("Activate.ps1", ".")}.get(
        shell, ("activate", "source"))
    return f"{command} {shlex.quote(os.path.join(path, 'bin', script))}"


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.env.discovery import find_interpreter
    from pkm.env.venv import create_venv

    interp = find_interpreter(args.python, cache_dir=os.path.join(ctx.settings.home, "interpreters-v1"))
    ctx.console.info(f"Using {interp.display_name} {interp.version_str} at {interp.base_executable()}")
    path = create_venv(args.path, interp, prompt=args.prompt,
                       system_site_packages=args.system_site_packages, clear=args.clear)
    seeded = _seed(path, ctx) if args.seed else None
    activate = _activate_hint(args.path, dict(os.environ))
    data = {"path": path, "python": os.path.join(path, "bin", "python"), "base_executable": interp.base_executable(),
            "implementation": interp.implementation, "version": interp.version_str, "activate": activate}
    lines = [f"Created virtual environment at {args.path}"]
    if seeded is not None:
        data["seed"] = seeded
        lines.append("Seeded " + ", ".join(f"{name}=={version}" for name, version in sorted(seeded.items())))
    ctx.console.summary("\n".join(lines + [f"Activate with: {activate}"]), data=data)
    return 0


def _seed(path: str, ctx: Context) -> dict:
    """Install pip into the new venv the way `pkm install` would; {name: version} installed."""
    from packaging.requirements import Requirement

    from pkm.cli._materialize import materialize, plan_changes
    from pkm.cli._resolve import resolve_pins
    from pkm.cli._target import open_target

    target = open_target(path, ctx.settings.home, recover=False)
    pins = resolve_pins([Requirement("pip")], target.interpreter, ctx.index())
    changes = plan_changes(pins, target.installed(), exact=False)
    materialize(changes, target, store=ctx.store(), http=ctx.http(), console=ctx.console, requested={"pip"})
    return {pin.name: pin.version for pin in pins}
