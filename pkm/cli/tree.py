"""Show the project's dependency graph from its lock, as a tree (or inverted: what needs a package).

    pkm tree                         the project, its dependencies, extras and groups, and theirs
    pkm tree --depth 1               only what the project asks for directly
    pkm tree --invert helper         helper, what depends on it, and so on up to the project

The graph comes from pylock.toml (each package's PEP 751 `dependencies`),
locked first when the lock is missing or stale (unless --frozen). A package
whose dependencies were already shown is marked (*) and not expanded again.
The graph is the lock's: for its one target (markers already applied).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import UsageError

__all__ = ["add_arguments", "add_graph_options", "run"]


def add_graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, metavar="PATH", help="the project (default: the nearest upward)")
    parser.add_argument("--frozen", action="store_true",
                        help="read the lock as it is: a missing or stale lock is an error, never re-locked")
    add_index_options(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--invert", metavar="NAME", help="show what depends on NAME, down to the project")
    parser.add_argument("--depth", type=int, metavar="N", help="show N levels at most (1: direct dependencies)")
    add_graph_options(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._graph import project_graph, render_inverted, render_tree
    from pkm.project import find_project, load_project

    if args.depth is not None and args.depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {args.depth}")
    graph = project_graph(load_project(find_project(Path.cwd(), args.project)), ctx, args)
    if args.invert:
        lines = render_inverted(graph, args.invert, args.depth)
    else:
        lines = render_tree(graph, args.depth)
    ctx.console.result("\n".join(lines), data=graph.as_data())
    return 0
