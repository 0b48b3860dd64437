"""Say why a package is in the project: every chain of dependencies from the project to it.

    pkm why helper
    demo v0.1.0 -> lib v1.4 -> helper v2.0
    demo v0.1.0 (group: dev) -> testtool v3.0 -> helper v2.0

Read from pylock.toml like `pkm tree` (locked first when stale, unless --frozen).
A chain never repeats a package; past 50 chains the rest are counted, not shown.
A package the lock does not hold is an error (exit 1) that names the nearest one.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from pkm.cli._context import Context

__all__ = ["add_arguments", "run"]

LIMIT = 50  # chains shown; past it the count is bounded too, since chains multiply in wide graphs
COUNT_LIMIT = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli.tree import add_graph_options

    parser.add_argument("name", metavar="NAME", help="a package of the lock")
    add_graph_options(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._graph import paths_to, project_graph
    from pkm.project import find_project, load_project

    graph = project_graph(load_project(find_project(Path.cwd(), args.project)), ctx, args)
    chains = list(itertools.islice(paths_to(graph, args.name), COUNT_LIMIT + 1))
    if not chains:
        from pkm.errors import PkmError

        raise PkmError(f"nothing of {graph.project} leads to {args.name}",
                       hint="the lock may be out of date: run `pkm lock`")
    lines = []
    for chain in chains[:LIMIT]:
        role = chain[0][1]
        start = graph.project + (f" ({role})" if role else "")
        lines.append(" -> ".join([start] + [graph.label(name) for name, _ in chain]))
    if len(chains) > LIMIT:
        more = len(chains) - LIMIT
        lines.append(f"... and {more}{'+' if len(chains) > COUNT_LIMIT else ''} more")
    data = {"package": chains[0][-1][0],
            "paths": [[{"name": n, "version": graph.versions[n]} for n, _ in chain] for chain in chains[:LIMIT]],
            "roles": [chain[0][1] or "dependencies" for chain in chains[:LIMIT]]}
    ctx.console.result("\n".join(lines), data=data)
    return 0
