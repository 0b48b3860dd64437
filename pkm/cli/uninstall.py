"""Remove packages from a virtual environment, by their RECORD, all or nothing.

    pkm uninstall rich pygments --env .venv

Every file a package's RECORD lists inside the environment is removed (its
console scripts included), whoever installed it (pkm or pip). A name that is
not installed is a warning, not an error, as with pip. Dependencies are not
removed: name them too.
"""

from __future__ import annotations

import argparse
import time

from pkm.cli._context import Context
from pkm.cli._target import add_env_option

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME", help="a distribution name, e.g. rich")
    add_env_option(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from packaging.utils import canonicalize_name

    from pkm.cli._materialize import Changes, render_changes
    from pkm.cli._target import open_target
    from pkm.install import Remove, apply

    start = time.monotonic()
    target = open_target(args.env, ctx.settings.home, args=args)
    installed = target.installed()
    changes = Changes()
    for name in dict.fromkeys(canonicalize_name(n) for n in args.names):
        if name in installed:
            changes.remove.append(installed[name])
        else:
            ctx.console.warn(f"{name} is not installed in {target.path}; skipped")
    if changes.empty:
        ctx.console.summary(f"Nothing to uninstall in {target.path}",
                           data={"environment": str(target.path), "added": [], "changed": [], "removed": [],
                                 "unchanged": 0, "seconds": round(time.monotonic() - start, 3)})
        return 0
    apply([Remove(dist.name) for dist in changes.remove], target.environment)
    text, data = render_changes(changes, time.monotonic() - start)
    ctx.console.summary(text, data={"environment": str(target.path), **data})
    return 0
