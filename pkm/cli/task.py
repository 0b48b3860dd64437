"""Run a task of `[tool.pkm.tasks]`, its dependencies first, inside the project's synced `.venv`.

    pkm task --list                  the tasks and their help
    pkm task test                    `test`'s dependencies (each once), then `test`
    pkm task test -k fast            extra arguments go to the named task's command
    pkm run test                     the same, when `test` is a task

Each command runs through `sh -c` in the project's directory, in the
environment `pkm exec` gives (VIRTUAL_ENV, .venv/bin first on PATH, the
project's `.env` and `[tool.pkm.env]`), plus the task's own `env`, which
replaces variables of the same name. The first task that fails stops the run,
and its exit code is pkm's.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, List

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import PkmError, UsageError

__all__ = ["add_arguments", "project_tasks", "run", "run_task"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli._project_env import add_venv_options

    parser.add_argument("--list", action="store_true", help="list the tasks and their help")
    add_venv_options(parser)
    add_index_options(parser)
    parser.add_argument("name", nargs="?", metavar="NAME", help="the task to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="appended to the task's command")


def project_tasks(pyproject: Any) -> dict:
    """{name: Task} of the pyproject (see `pkm.project._tasks`); {} when it declares none."""
    from pkm.project._tasks import parse_tasks

    return parse_tasks(pyproject.data, pyproject.text, str(pyproject.path))


def _listing(tasks: dict) -> str:
    if not tasks:
        return "no tasks: declare them in [tool.pkm.tasks]"
    width = max(len(name) for name in tasks)
    lines = []
    for task in tasks.values():
        about = task.help or task.cmd or "runs " + ", ".join(task.depends)
        lines.append(f"{task.name:<{width}}  {about}".rstrip())
    return "\n".join(lines)


def run_task(pyproject: Any, tasks: dict, name: str, extra: List[str], ctx: Context, *, frozen: bool = False,
             no_sync: bool = False) -> int:
    """Run task `name` after its dependencies; 0, or the exit code of the first task that fails."""
    from pkm.cli._project_env import command_environ, run_process, synced_venv
    from pkm.project import parse_project
    from pkm.project._tasks import task_order

    if name not in tasks:
        import difflib

        close = difflib.get_close_matches(name, tasks, n=1)
        raise UsageError(f"no task `{name}` in {pyproject.path}",
                         hint=f"did you mean `{close[0]}`?" if close else
                         f"the tasks: {', '.join(tasks) or 'none'} (`pkm task --list`)")
    order = task_order(tasks, name, str(pyproject.path))
    venv = synced_venv(parse_project(pyproject.text, pyproject.path), ctx, frozen=frozen, no_sync=no_sync)
    for current in order:
        task = tasks[current]
        if task.cmd is None:
            continue
        command = task.cmd
        argv = ["sh", "-c", command]
        if current == name and extra:
            # "$@" keeps each argument whole, whatever it contains
            argv = ["sh", "-c", command + ' "$@"', current, *extra]
            command += " " + " ".join(shlex.quote(a) for a in extra)
        ctx.console.info(f"task {current}: {command}")
        code = run_process(argv, command_environ(pyproject, venv, task.env), cwd=pyproject.root)
        if code != 0:
            ctx.console.error(PkmError(f"task `{current}` failed with exit code {code}",
                                       hint=None if current == name else f"`{name}` and the rest did not run"))
            return code
    return 0


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._project_env import read_pyproject

    pyproject = read_pyproject(args.project)
    tasks = project_tasks(pyproject)
    if args.list:
        if args.name:
            raise UsageError("--list takes no task name", hint="pkm task --list, or pkm task NAME [ARGS...]")
        data = [{"name": t.name, "cmd": t.cmd, "depends": list(t.depends), "help": t.help} for t in tasks.values()]
        ctx.console.result(_listing(tasks), data={"tasks": data})
        return 0
    if not args.name:
        raise UsageError("no task named", hint="pkm task NAME [ARGS...]; `pkm task --list` shows the tasks")
    extra = list(args.args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return run_task(pyproject, tasks, args.name, extra, ctx, frozen=args.frozen, no_sync=args.no_sync)
