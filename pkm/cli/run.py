"""Run a script, a module, Python itself or a console script with its context from the store (no install step).

    pkm run tool.py ARGS...              the same as `python -m pkm.run tool.py ARGS...`
    pkm run python -c 'import rich'      the interpreter, with the context active (also -m MODULE, SCRIPT)
    pkm run test                         a task of [tool.pkm.tasks] (see `pkm task`)
    pkm run black --check .              a console script of a distribution in the context

The context is the script's PEP 723 block, else the enclosing project's
dependencies, plus `--with` requirements; see `python -m pkm.run --help`.
The command replaces pkm's process with `python -m pkm.run`, so the script
starts clean: none of pkm's modules are loaded in it. In a project, the
variables of its `.env` and `[tool.pkm.env]` are set first (a variable
already set in the environment wins). NAME is tried as a task before a
console script.

At a virtual workspace root (`[tool.pkm.workspace]` without `[project]`) there is
no project for the runtime to read: the command runs in the workspace's `.venv`
instead (synced first, as `pkm exec` does: every member editable, the root's
default groups), like `uv run` there.
"""

from __future__ import annotations

import argparse
import os
import sys

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import UsageError

TYPE_CHECKING = False  # `pkm run` starts the runtime: it imports no typing (README, Development)
if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["add_arguments", "run", "runtime_options"]


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--with", dest="with_", action="append", default=[], metavar="REQ",
                        help="add a requirement to the context (repeatable)")
    parser.add_argument("--refresh", action="store_true", help="resolve the context again, ignoring its manifest")
    parser.add_argument("--no-on-demand", action="store_true", help="do not resolve missing imports on demand")
    parser.add_argument("--allow-unknown", action="store_true",
                        help="on demand, try an unknown import name as a distribution name")
    add_index_options(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_runtime_options(parser)
    parser.add_argument("target", nargs=argparse.REMAINDER, metavar="SCRIPT|python|NAME [ARGS...]",
                        help="a .py file, `python` and its arguments, or a console script name")


def runtime_options(args: argparse.Namespace) -> List[str]:
    """pkm.run's options for these parsed arguments; index options travel as PKM_* variables."""
    options = []
    for requirement in args.with_:
        options += ["--with", requirement]
    for flag in ("refresh", "no_on_demand", "allow_unknown"):
        if getattr(args, flag, False):
            options.append("--" + flag.replace("_", "-"))
    if getattr(args, "offline", None):
        options.append("--offline")
    if getattr(args, "index_url", None):
        os.environ["PKM_INDEX_URL"] = args.index_url
    if getattr(args, "extra_index_url", None):
        os.environ["PKM_EXTRA_INDEX_URL"] = " ".join(args.extra_index_url)
    if getattr(args, "find_links", None):
        os.environ["PKM_FIND_LINKS"] = " ".join(os.path.abspath(v) if "://" not in v else v for v in args.find_links)
    return options


def exec_runtime(argv: List[str]) -> int:
    """Replace this process with `python -m pkm.run ARGV` (a child process where exec is unavailable)."""
    command = [sys.executable, "-m", "pkm.run", *argv]
    sys.stdout.flush()
    sys.stderr.flush()
    if hasattr(os, "execv"):
        os.execv(sys.executable, command)
    import subprocess  # pragma: no cover - platforms without exec

    return subprocess.call(command)  # pragma: no cover


def run(args: argparse.Namespace, ctx: Context) -> int:
    command = list(args.target)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("nothing to run", hint="pkm run SCRIPT.py [ARGS...], pkm run python -c CODE, or pkm run NAME")
    first, rest = command[0], command[1:]
    from pkm.cli._project_env import command_environ, read_pyproject

    pyproject = read_pyproject(quiet_missing=True)
    script = first.endswith(".py") or os.path.isfile(first)
    python = first in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    if script:
        target = [first, *rest]
    elif python:
        target = rest if rest else ["-m", "code"]  # no arguments: an interactive interpreter
    else:
        tasks = _tasks(pyproject)
        if first in tasks:
            from pkm.cli.task import run_task

            return run_task(pyproject, tasks, first, rest, ctx)
        target = ["--command", first, *rest]
    root = _virtual_root(pyproject)
    if root is not None:
        argv = ["python", *command] if script else (["python", *rest] if python else command)
        return _run_in_venv(root, pyproject, argv, args, ctx)
    if pyproject is not None:  # the project's .env and [tool.pkm.env], under what is already set
        os.environ.update({k: v for k, v in command_environ(pyproject).items() if k not in os.environ})
    return exec_runtime(runtime_options(args) + target)


def _virtual_root(pyproject: Any) -> Any:
    """The Project of a virtual workspace root when `pyproject` is one, else None (no parse for
    a plain project: the text test comes first)."""
    if pyproject is None or "workspace" not in pyproject.text or "project" in pyproject.data:
        return None
    from pkm.project import parse_project

    project = parse_project(pyproject.text, pyproject.path)
    return project if project.virtual else None


def _run_in_venv(root: Any, pyproject: Any, argv: List[str], args: argparse.Namespace, ctx: Context) -> int:
    """`argv` in the workspace's synced `.venv` (its bin first on PATH), with the root's variables."""
    from pkm.cli._project_env import command_environ, run_process, synced_venv

    if args.with_:
        raise UsageError("--with does not apply at a virtual workspace root: the command runs in its .venv",
                         hint="add the requirement to a group of the root (`pkm add --group dev REQ`) or to a member")
    venv = synced_venv(root, ctx)
    return run_process(argv, command_environ(pyproject, venv))


def _tasks(pyproject: Any) -> dict:
    """The project's tasks; {} outside a project or when it declares none (never parsed then)."""
    if pyproject is None or not pyproject.data:
        return {}
    from pkm.cli.task import project_tasks

    return project_tasks(pyproject)
