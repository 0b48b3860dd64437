"""Show the Python interpreters pkm can use: on PATH and in pyenv's versions folder."""

from __future__ import annotations

import argparse
import os

from pkm.cli._context import Context
from pkm.cli._options import add_global_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list the interpreters found (version, implementation, path)")
    find = sub.add_parser("find", help="print the interpreter a --python request selects")
    for parser_ in (listing, find):
        add_global_options(parser_)
    find.add_argument("request", nargs="?", metavar="EXE|X.Y",
                      help="a path or a version (3.12, pypy3.10, '>=3.10'); default: the Python running pkm")


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.env.discovery import find_interpreter, find_interpreters

    cache_dir = os.path.join(ctx.settings.home, "interpreters-v1")
    if args.action == "find":
        interp = find_interpreter(args.request, cache_dir=cache_dir)
        ctx.console.result(interp.executable, data=_row(interp))
        return 0
    found = find_interpreters(cache_dir=cache_dir)
    rows = [_row(i) for i in found]
    width = max([len(r["name"]) for r in rows] or [0])
    text = "\n".join(f"{r['name']:<{width}}  {r['executable']}" for r in rows) or "(no Python interpreter found)"
    ctx.console.result(text, data=rows)
    return 0


def _row(interp) -> dict:
    return {"name": f"{interp.implementation}-{interp.version_str}", "implementation": interp.implementation,
            "version": interp.version_str, "executable": interp.executable, "in_venv": interp.in_venv}
