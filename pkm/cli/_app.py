"""Parse the command line, run one command, and turn failures into messages and exit codes."""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False  # the quick start path imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from typing import Any, NoReturn

from pkm import __version__
from pkm.cli import COMMANDS
from pkm.cli._context import Context
from pkm.cli._options import INDEX_OPTIONS, add_global_options, add_index_options
from pkm.errors import PkmError, UsageError
from pkm.ui import Console

__all__ = ["Parser", "run"]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are UsageError (exit 2) instead of a bare exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, why=self.format_usage().strip(), hint=f"see `{self.prog} --help`")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, sized without `shutil` (argparse makes one per argument it
    adds, and `shutil` alone costs more than the rest of a quick command's imports)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: "int | None" = None):
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it: $COLUMNS, then stdout's, then 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _top_parser() -> Parser:
    width = max(len(name) for name in COMMANDS)
    commands = "\n".join(f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items())
    parser = Parser(
        prog="pkm",
        usage="pkm [-h] [-V] [global options] COMMAND [ARGS...]",
        description="pkm: a Python package manager built around a runtime import-hook layer.",
        epilog=f"commands:\n{commands}\n\nRun `pkm COMMAND --help` for a command's options.\n"
        "Environment: PKM_HOME, PKM_INDEX_URL, PKM_OFFLINE, ... (see `pkm config`); PKM_DEBUG=1 shows tracebacks.",
        formatter_class=_Formatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"pkm {__version__}")
    add_global_options(parser, suppress=False)
    add_index_options(parser)
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def command_parser(name: str, module: Any) -> Parser:
    """The parser of one command: its own arguments plus the global options."""
    summary = COMMANDS[name][1]
    parser = Parser(prog=f"pkm {name}", description=(module.__doc__ or summary).strip(),
                    formatter_class=_Formatter)
    module.add_arguments(parser)
    add_global_options(parser, suppress=True)
    return parser


def _unknown(name: str) -> UsageError:
    import difflib

    close = difflib.get_close_matches(name, COMMANDS, n=1)
    hint = f"did you mean `pkm {close[0]}`?" if close else "run `pkm --help` to see the commands"
    return UsageError(f"unknown command `{name}`", hint=hint)


_GLOBAL_DEFAULTS = {"quiet": False, "verbose": 0, "format": "text"}


def _parse(argv: list[str]) -> tuple[argparse.Namespace, Any]:
    if argv and argv[0] in COMMANDS:
        # The usual form, nothing before the command: the top-level parser would only hand
        # the rest over, so it is not built (a quick command's start counts every parser).
        ns = argparse.Namespace(command=argv[0], args=argv[1:], **_GLOBAL_DEFAULTS)
    else:
        top = _top_parser()
        ns = top.parse_args(argv)
        if ns.command is None:
            top.print_help()
            raise SystemExit(2)
        if ns.command not in COMMANDS:
            raise _unknown(ns.command)
    name = COMMANDS[ns.command][0]
    __import__(name)
    module = sys.modules[name]
    args = command_parser(ns.command, module).parse_args(ns.args)
    for key in ("quiet", "verbose", "format"):  # global options may come before or after COMMAND
        if not hasattr(args, key):
            setattr(args, key, getattr(ns, key))
    for key in INDEX_OPTIONS:  # so may index options; repeatable ones add up, the earlier first
        before, after = getattr(ns, key, None), getattr(args, key, None)
        if before is not None:
            setattr(args, key, before + after if isinstance(before, list) and after else after or before)
    args.command = ns.command
    return args, module


def run(argv: list[str]) -> int:
    debug = os.environ.get("PKM_DEBUG", "") not in ("", "0")
    console = Console()
    try:
        args, module = _parse(argv)
        console = Console(quiet=args.quiet, verbose=args.verbose, format=args.format)
        with Context(args, console) as ctx:
            return int(module.run(args, ctx) or 0)
    except PkmError as error:
        if debug:
            raise
        console.error(error)
        return error.exit_code
    except SystemExit as exc:  # argparse's --help, --version and bare `pkm`: main() returns, never exits
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        if debug:
            raise
        console.error(PkmError("interrupted", hint="run the command again; an interrupted install is rolled back"))
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`pkm ... | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # a bug: say so plainly, show the traceback only when asked
        if debug:
            raise
        console.error(PkmError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="run again with PKM_DEBUG=1 to see the traceback, and report it",
        ))
        return 1
