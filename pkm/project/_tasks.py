"""A project's tasks (`[tool.pkm.tasks]`): what each runs, what it needs first, in which order.

    [tool.pkm.tasks]
    lint = "ruff check ."                                   # a command (run by `sh -c`)
    test = { cmd = "pytest", depends = ["lint"], env = { CI = "1" }, help = "run the tests" }
    all = { depends = ["lint", "test"] }                    # only dependencies: a group of tasks

    tasks = parse_tasks(data, text, path)                   # {name: Task}, checked
    plan = task_order(tasks, "test")                        # ["lint", "test"]

Pure: no process is started here (see `pkm.cli.task`). A malformed entry, an
unknown key or an unknown dependency is InputFileError (exit 2) with its line;
a cycle is an error naming it (`a -> b -> a`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from pkm.errors import InputFileError

__all__ = ["Task", "parse_tasks", "task_order"]

_KEYS = ("cmd", "depends", "env", "help")
_HINT = 'write NAME = "command" or NAME = { cmd = "command", depends = ["other"], env = { K = "V" }, help = "..." }'


class Task(NamedTuple):
    """One task. `cmd` is None for a task that only runs its dependencies."""

    name: str
    cmd: Optional[str]
    depends: Tuple[str, ...] = ()
    env: Mapping[str, str] = {}
    help: str = ""


def _fail(what: str, path: str, text: str, name: Optional[str], hint: str = _HINT) -> InputFileError:
    from pkm._toml import key_line

    line = None
    if name is not None:
        line = key_line(text, name, "tool.pkm.tasks") or key_line(text, "cmd", f"tool.pkm.tasks.{name}")
    return InputFileError(what, path=path, line=line or key_line(text, "tasks", "tool.pkm"), hint=hint)


def _task(name: str, value: Any, path: str, text: str) -> Task:
    where = f"[tool.pkm.tasks] {name}"
    if isinstance(value, str):
        if not value.strip():
            raise _fail(f"{where} is an empty command", path, text, name)
        return Task(name, value)
    if not isinstance(value, dict):
        raise _fail(f"{where} must be a command string or a table, not {type(value).__name__}", path, text, name)
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise _fail(f"{where} has an unknown key `{unknown[0]}`", path, text, name,
                    hint=f"a task table takes {', '.join(_KEYS)}")
    cmd = value.get("cmd")
    if cmd is not None and (not isinstance(cmd, str) or not cmd.strip()):
        raise _fail(f"{where}: cmd must be a non-empty command string", path, text, name)
    depends = value.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise _fail(f"{where}: depends must be a list of task names", path, text, name)
    if cmd is None and not depends:
        raise _fail(f"{where} has neither cmd nor depends: it would do nothing", path, text, name)
    env = value.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise _fail(f"{where}: env must be a table of strings", path, text, name,
                    hint='write env = { KEY = "value" } (quote numbers too)')
    help_ = value.get("help", "")
    if not isinstance(help_, str):
        raise _fail(f"{where}: help must be a string", path, text, name)
    return Task(name, cmd, tuple(depends), dict(env), help_)


def parse_tasks(data: Mapping[str, Any], text: str, path: str) -> Dict[str, Task]:
    """The tasks of the parsed pyproject `data` (read from `path`, `text` its content), in file order.
    Every dependency must name a task. Cost: linear in the number of tasks."""
    tool = data.get("tool")
    pkm = tool.get("pkm") if isinstance(tool, dict) else None
    table = pkm.get("tasks", {}) if isinstance(pkm, dict) else {}
    if not isinstance(table, dict):
        raise _fail("[tool.pkm] tasks must be a table", path, text, None, hint="write [tool.pkm.tasks] then NAME = ...")
    tasks = {name: _task(name, value, path, text) for name, value in table.items()}
    for task in tasks.values():
        for dependency in task.depends:
            if dependency not in tasks:
                raise _fail(f"task `{task.name}` depends on `{dependency}`, which is not a task", path, text,
                            task.name, hint=f"the tasks: {', '.join(sorted(tasks))}")
    return tasks


def task_order(tasks: Mapping[str, Task], name: str, path: Optional[str] = None) -> List[str]:
    """`name` and everything it depends on, dependencies first, each once (depth first, in the
    order `depends` lists them). A cycle raises InputFileError naming it. `name` must be a task."""
    order: List[str] = []
    done = set()
    path: List[str] = []

    def visit(current: str) -> None:
        if current in done:
            return
        if current in path:
            cycle = path[path.index(current):] + [current]
            raise InputFileError(f"the tasks depend on each other in a cycle: {' -> '.join(cycle)}", path=path,
                                 hint="remove one of these `depends` entries in [tool.pkm.tasks]")
        path.append(current)
        for dependency in tasks[current].depends:
            visit(dependency)
        path.pop()
        done.add(current)
        order.append(current)

    visit(name)
    return order
