"""Options shared by several commands: the index options, and turning them into settings."""

from __future__ import annotations

import argparse
import os

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["INDEX_OPTIONS", "add_global_options", "add_index_options", "add_install_options", "cli_settings",
           "path_arg"]


def path_arg(value: str):
    """argparse `type` for a path option: a `pathlib.Path`, imported only when the option is given."""
    from pathlib import Path

    return Path(value)


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool = True) -> None:
    """`-q`, `-v`, `--format`: accepted before the command and after it (and after a subcommand)."""
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument("-q", "--quiet", action="store_true", default=default if suppress else False,
                       help="print only answers and errors: nothing on success when a command changes things")
    group.add_argument("-v", "--verbose", action="count", default=default if suppress else 0,
                       help="say more about what is happening (repeat for more)")
    group.add_argument("--format", choices=("text", "json"), default=default if suppress else "text",
                       help="output format of results (default: text)")


INDEX_OPTIONS = ("index_url", "extra_index_url", "find_links", "offline")


def add_index_options(parser: argparse.ArgumentParser) -> None:
    """`--index-url`, `--extra-index-url`, `--find-links`, `--offline`: every command that touches an index.

    Defaults are suppressed (an option not given leaves no attribute), so the
    options may also come before the command or a subcommand: `pkm --offline
    index versions x` and `pkm index --offline versions x` mean the same.
    """
    group = parser.add_argument_group("index options")
    group.add_argument("--index-url", metavar="URL", default=argparse.SUPPRESS,
                       help="the main index (default: https://pypi.org/simple/; env PKM_INDEX_URL)")
    group.add_argument("--extra-index-url", metavar="URL", action="append", default=argparse.SUPPRESS,
                       help="another index, searched BEFORE --index-url in the order given; "
                            "the first index that has a project wins (repeatable; env PKM_EXTRA_INDEX_URL)")
    group.add_argument("--find-links", metavar="PATH|URL", action="append", default=argparse.SUPPRESS,
                       help="a directory or HTML page of links to artifacts (repeatable; env PKM_FIND_LINKS)")
    group.add_argument("--offline", action="store_const", const=True, default=argparse.SUPPRESS,
                       help="do not touch the network; use cached pages and artifacts only (env PKM_OFFLINE)")


def cli_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, keyed like the settings fields."""
    values: dict[str, Any] = {}
    if getattr(args, "index_url", None):
        values["index-url"] = args.index_url
    if getattr(args, "extra_index_url", None):
        values["extra-index-url"] = tuple(args.extra_index_url)
    if getattr(args, "find_links", None):
        values["find-links"] = tuple(v if "://" in v else os.path.realpath(v) for v in args.find_links)
    if getattr(args, "offline", None):
        values["offline"] = True
    return values


def add_install_options(parser: Any) -> None:
    """Options every command that installs shares: --reinstall and --link-mode."""
    parser.add_argument("--reinstall", action="store_true",
                        help="install again even what is already at the wanted version")
    parser.add_argument("--link-mode", choices=("hardlink", "copy", "symlink"), default="hardlink",
                        help="how files get from the store into the environment (default: hardlink, "
                             "copying where a link cannot be made)")
