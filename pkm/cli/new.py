"""Create a new project: pyproject.toml (built by pkm's backend), a package, a test, README, .gitignore.

    pkm new demo                 a library, src/ layout, in ./demo
    pkm new tool --app --flat    an application (console script `tool`), package at the top
    pkm new demo --path libs/demo

It never overwrites: a directory that exists and is not empty is refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pkm.cli._context import Context
from pkm.errors import PkmError, UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the project's distribution name")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--lib", dest="app", action="store_false", default=False, help="a library (the default)")
    kind.add_argument("--app", dest="app", action="store_true", help="an application with a console script")
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument("--src", dest="src", action="store_true", default=True, help="src/ layout (the default)")
    layout.add_argument("--flat", dest="src", action="store_false", help="the package at the project's top")
    parser.add_argument("--path", type=Path, metavar="DIR", help="where to create it (default: ./NAME)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    import re

    from pkm.project._new import new_project_files, write_files

    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", args.name):
        raise UsageError(f"`{args.name}` is not a valid project name",
                         hint="use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit")
    root = args.path or Path(args.name)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise PkmError(f"{root} already exists and is not empty", hint="pick another name or --path; pkm new never overwrites")
    files = new_project_files(args.name, app=args.app, src=args.src)
    try:
        write_files(root, files)
    except OSError as exc:
        raise PkmError(f"cannot create the project in {root}", why=str(exc), hint="check the path and its permissions") from None
    kind = "application" if args.app else "library"
    listing = "\n".join(f"  {path}" for path in sorted(files))
    ctx.console.summary(f"Created {kind} `{args.name}` in {root}\n{listing}",
                       data={"name": args.name, "path": str(root), "kind": kind, "files": sorted(files)})
    return 0
