"""Run a command inside the project's synced `.venv`, with the project's variables set.

    pkm exec python -c 'import rich'       the venv's python
    pkm exec pytest -x                     a console script installed in .venv/bin
    pkm exec --no-sync env                 anything on PATH; .venv as it is

The venv is synced first when it is missing or the lock is stale (or changed
since the last sync): what `pkm sync` does, its output on stderr. The command
runs in the current directory with VIRTUAL_ENV set, `.venv/bin` first on PATH,
and the variables of the project's `.env` and `[tool.pkm.env]` (a variable
already set in the environment wins). The exit code is the command's.
"""

from __future__ import annotations

import argparse
import os

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli._project_env import add_venv_options

    add_venv_options(parser)
    add_index_options(parser)
    parser.add_argument("argv", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]",
                        help="the command to run and its arguments")


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._project_env import command_environ, read_pyproject, run_process, synced_venv

    command = list(args.argv)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("nothing to run", hint="pkm exec CMD [ARGS...], e.g. `pkm exec python -V`")
    from pkm.cli._sync_stamp import record_sync, unchanged_since_sync
    from pkm.cli.sync import defaults

    pyproject = read_pyproject(args.project)
    plain = defaults()
    own = os.path.abspath(os.path.join(pyproject.root, ".venv"))
    if unchanged_since_sync(pyproject.path, plain):  # synced, nothing changed: no parse, no lock read
        venv = own
    else:
        from pkm.project import parse_project

        venv = synced_venv(parse_project(pyproject.text, pyproject.path), ctx, frozen=args.frozen,
                           no_sync=args.no_sync)
        if not args.no_sync and os.fspath(venv) == own:
            record_sync(pyproject.path, plain)
    return run_process(command, command_environ(pyproject, venv))
