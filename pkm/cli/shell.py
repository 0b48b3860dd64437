"""Start a shell inside the project's synced `.venv`, with the project's variables set.

    pkm shell                      your $SHELL, the venv active (exit it to come back)
    pkm shell -c 'pytest -x'       one command through that shell, then back

What `pkm exec` gives a command (VIRTUAL_ENV, `.venv/bin` first on PATH, `.env` and
`[tool.pkm.env]` variables, a sync first when needed), for a whole interactive shell.
`PKM_SHELL` is set to the project's directory, so a prompt or script can tell.
"""

from __future__ import annotations

import argparse
import os

from pkm.cli._context import Context
from pkm.cli._options import add_index_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli._project_env import add_venv_options

    parser.add_argument("-c", dest="shell_command", metavar="CMD", help="run CMD in the shell and return")
    add_venv_options(parser)
    add_index_options(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._project_env import command_environ, read_pyproject, run_process, synced_venv
    from pkm.project import parse_project

    pyproject = read_pyproject(args.project)
    project = parse_project(pyproject.text, pyproject.path)
    venv = synced_venv(project, ctx, frozen=args.frozen, no_sync=args.no_sync)
    environ = dict(command_environ(pyproject, venv), PKM_SHELL=str(project.root))
    shell = os.environ.get("SHELL") or "/bin/sh"
    argv = [shell, "-c", args.shell_command] if args.shell_command is not None else [shell]
    if args.shell_command is None:
        ctx.console.info(f"Entering {venv} (exit the shell to leave it)")
    return run_process(argv, environ)
