"""Make an environment match a lock exactly: install what is missing or at another version, remove the rest.

    pkm sync --lock pylock.toml --env .venv

The lock's `environments` and `requires-python` must fit the environment's
interpreter; for each package the best wheel for its tags is installed from
the store (fetched once, verified by sha256). When the environment already
matches (by names and versions) nothing is fetched: the network is not touched.
Packages only available as sdists are refused (builds come later).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pkm.cli._context import Context
from pkm.cli._materialize import add_install_options
from pkm.cli._options import add_index_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock", type=Path, required=True, metavar="FILE",
                        help="the PEP 751 lock file to sync with (e.g. pylock.toml)")
    parser.add_argument("--env", required=True, metavar="PATH",
                        help="the virtual environment to sync (named explicitly: sync removes packages)")
    add_install_options(parser)
    add_index_options(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._materialize import lock_pins, materialize, now, plan_changes, render_changes
    from pkm.cli._target import open_target

    start = now()
    target = open_target(args.env, ctx.settings.home, args=args)
    pins = lock_pins(args.lock, target)
    changes = plan_changes(pins, target.installed(), exact=True, reinstall=args.reinstall)
    if changes.empty:
        ctx.console.result(f"Already in sync: {len(changes.keep)} package{'s' if len(changes.keep) != 1 else ''} "
                           f"in {target.path} match {args.lock}",
                           data={"environment": str(target.path), "added": [], "changed": [], "removed": [],
                                 "unchanged": len(changes.keep), "seconds": round(now() - start, 3)})
        return 0
    materialize(changes, target, store=ctx.store(), http=ctx.http(), console=ctx.console,
                link_mode=args.link_mode, exact=True)
    text, data = render_changes(changes, now() - start)
    ctx.console.result(text, data={"environment": str(target.path), **data})
    return 0
