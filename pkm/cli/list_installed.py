"""List the distributions installed in a virtual environment: name and version, sorted by name.

    pkm list --env .venv
    pkm list --format json      ([{"name": ..., "version": ...}, ...], like `pip list --format json`)
"""

from __future__ import annotations

import argparse

from pkm.cli._context import Context
from pkm.cli._target import add_env_option

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_env_option(parser, writes=False)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._target import open_target

    target = open_target(args.env, ctx.settings.home, args=args)
    dists = list(target.installed().values())
    data = [{"name": d.name, "version": d.version} for d in dists]
    if not dists:
        ctx.console.result(f"No packages installed in {target.path}", data=data)
        return 0
    width = max(len(d.name) for d in dists)
    ctx.console.result("\n".join(f"{d.name:<{width}}  {d.version}" for d in dists), data=data)
    return 0
