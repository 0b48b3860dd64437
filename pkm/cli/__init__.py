"""The `pkm` command line: a registry of commands, each imported only when run.

A command is a module with `add_arguments(parser)` and `run(args, ctx) -> int`.
The registry holds only names and one-line summaries, so `pkm --version` and
`pkm --help` import no command module at all.
"""

from __future__ import annotations

import sys

__all__ = ["COMMANDS", "main"]

# name -> (module, summary). Keep in the order `pkm --help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "new": ("pkm.cli.new", "Create a new project (pyproject.toml, package, test)"),
    "add": ("pkm.cli.add", "Add requirements to the project (or a script), re-lock and sync"),
    "remove": ("pkm.cli.remove", "Remove requirements from the project (or a script), re-lock and sync"),
    "run": ("pkm.cli.run", "Run a script or command with its dependencies, no install step"),
    "exec": ("pkm.cli.exec", "Run a command inside the project's synced .venv"),
    "shell": ("pkm.cli.shell", "Start a shell with the project's .venv active and its variables set"),
    "task": ("pkm.cli.task", "Run a task of [tool.pkm.tasks], its dependencies first"),
    "x": ("pkm.cli.x", "Run a package's console script from the store (like uvx)"),
    "index": ("pkm.cli.index", "Query a package index (available versions)"),
    "resolve": ("pkm.cli.resolve", "Resolve requirements to exact versions (no install)"),
    "lock": ("pkm.cli.lock", "Resolve requirements into a PEP 751 lock file (pylock.toml)"),
    "tree": ("pkm.cli.tree", "Show the project's dependency tree from its lock"),
    "why": ("pkm.cli.why", "Show the chains of dependencies that bring a package into the project"),
    "download": ("pkm.cli.download", "Download the best artifact of packages, hash-verified"),
    "install": ("pkm.cli.install", "Install packages into a virtual environment (from an index or a lock)"),
    "uninstall": ("pkm.cli.uninstall", "Remove packages from a virtual environment"),
    "list": ("pkm.cli.list_installed", "List the packages installed in a virtual environment"),
    "sync": ("pkm.cli.sync", "Make a virtual environment match a lock exactly"),
    "venv": ("pkm.cli.venv", "Create a virtual environment (fast, no pip inside)"),
    "python": ("pkm.cli.python", "Find the Python interpreters pkm can use (list, find)"),
    "build": ("pkm.cli.build", "Build sdists and wheels (PEP 517), in isolated environments"),
    "publish": ("pkm.cli.publish", "Upload distributions to a package index"),
    "store": ("pkm.cli.store", "Inspect and maintain the store (path, info, verify, gc)"),
    "config": ("pkm.cli.config", "Show the effective settings and where each comes from"),
}


def main(argv: list[str] | None = None) -> int:
    """Run pkm with `argv` (default: sys.argv[1:]); returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["--version"], ["-V"]):  # the fast path: no argparse, no settings
        from pkm import __version__

        sys.stdout.write(f"pkm {__version__}\n")
        return 0
    from pkm.cli._app import run

    return run(args)
