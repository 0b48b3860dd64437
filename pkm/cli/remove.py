"""Remove requirements from the project (or a script), then re-lock and sync.

    pkm remove rich                     from [project] dependencies
    pkm remove pytest --group dev       from a dependency group
    pkm remove requests --script tool.py

Every requirement on the named package in that list goes (markers and extras
included); naming a package the list does not have is an error, and nothing is written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import List

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import PkmError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli.add import target

    parser.add_argument("names", nargs="+", metavar="NAME", help="a package to remove")
    target(parser)
    parser.add_argument("--no-sync", action="store_true", help="update pyproject.toml and the lock, not the venv")
    add_index_options(parser)


def _remove(text: str, table: str, key: str, names: List[str], where: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from pkm.project._edit import remove_items

    for name in names:
        wanted = canonicalize_name(name)

        def matches(item: str) -> bool:
            try:
                return canonicalize_name(Requirement(item).name) == wanted
            except InvalidRequirement:
                return False

        text, removed = remove_items(text, table, key, matches)
        if not removed:
            raise PkmError(f"{name} is not in {where}", hint="check the name, or name the list with --group/--optional")
    return text


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli.add import _write, check_place, where

    if args.script is not None:
        from pkm._toml import read_text
        from pkm.project._script import edit_script_block

        source = read_text(args.script)
        new = edit_script_block(source, lambda toml: _remove(toml, "", "dependencies", args.names,
                                                             f"the `# /// script` block of {args.script}"),
                                str(args.script))
        _write(args.script, new)
        ctx.console.summary(f"Removed {', '.join(args.names)} from {args.script}", data={"removed": args.names})
        return 0
    from pkm.cli._project import lock_project
    from pkm.cli.lock import write_lock_text
    from pkm.cli.sync import defaults, sync_project
    from pkm.project import find_project, load_project, parse_project

    start = time.monotonic()
    project = load_project(find_project(Path.cwd(), args.project))
    table, key = where(args)
    check_place(project, table, "remove from")
    place = f"[{table}] {key}" if table != "project" else "[project] dependencies"
    text = _remove(project.text, table, key, args.names, f"{place} of {project.path}")
    final = parse_project(text, project.path)
    args.upgrade, args.upgrade_package = False, []
    from pkm.project import in_workspace

    whole = in_workspace(final)
    lock, _ = lock_project(whole, ctx, args)
    _write(project.path, text)
    write_lock_text(whole.lock_path, lock)
    ctx.console.info(f"Removed {', '.join(args.names)} from {place} in {project.path}")
    if args.no_sync:
        ctx.console.summary(f"Updated {project.path} and {whole.lock_path}", data={"removed": args.names})
        return 0
    return sync_project(final, defaults(), ctx, start)
