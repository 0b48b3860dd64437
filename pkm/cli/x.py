"""Run a package's console script straight from the store, with no virtual environment (like uvx).

    pkm x ruff check .
    pkm x black==24.10.0 --version
    pkm x --from httpie http GET https://example.org

TOOL is a requirement (`name`, `name==1.2`, `name[extra]>=1`); the console
script run is the package's own name unless `--from REQ` names the package and
TOOL the script. The tool's context is isolated from any enclosing project and
kept, so the second run is warm.
"""

from __future__ import annotations

import argparse

from pkm.cli._context import Context
from pkm.errors import UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli.run import add_runtime_options

    parser.add_argument("--from", dest="from_", metavar="REQ", help="the package that provides the script TOOL")
    add_runtime_options(parser)
    parser.add_argument("tool", metavar="TOOL", help="a requirement naming the package (and its script)")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="arguments for the tool")


def run(args: argparse.Namespace, ctx: Context) -> int:
    from packaging.requirements import InvalidRequirement, Requirement

    from pkm.cli.run import exec_runtime, runtime_options

    source = args.from_ or args.tool
    try:
        requirement = Requirement(source)
        script = args.tool if args.from_ else requirement.name
        if args.from_:
            Requirement(script)  # a script name must at least look like a name
    except InvalidRequirement as exc:
        raise UsageError(f"invalid requirement `{source}`", why=str(exc),
                         hint="name a package, e.g. `pkm x ruff` or `pkm x black==24.10.0`") from None
    args.with_ = [str(requirement)] + list(args.with_)
    return exec_runtime(["--isolated"] + runtime_options(args) + ["--console-script", script, *args.args])
