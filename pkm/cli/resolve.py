"""Resolve requirements to exact versions, without installing anything.

    pkm resolve rich 'httpx[http2]>=0.27'
    pkm resolve -r requirements.txt -c constraints.txt --python-version 3.9 --platform windows
    pkm --format json resolve flask

Prints `name==version` lines sorted by name (JSON: {"packages": [{"name", "version"}]}).
The target is the interpreter running pkm unless --python (a real interpreter, probed) or
--python-version/--platform (synthesized markers and wheel tags) say otherwise. When no set
of versions works, the explanation says why in sentences (exit 1). `--export-problem FILE`
records what the resolver consulted; `pkm resolve --problem FILE` replays it offline.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, List, Tuple

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_resolution_arguments(parser)
    parser.add_argument("--prefer", type=Path, metavar="LOCK",
                        help="keep the versions pinned in this pylock.toml where they still fit (changes as little as possible)")
    add_upgrade_arguments(parser, "with --prefer: ")
    debug = parser.add_argument_group("debugging")
    debug.add_argument("--export-problem", type=Path, metavar="FILE",
                       help="write everything the resolver consulted (pages, metadata, target, options) to FILE as JSON")
    debug.add_argument("--problem", type=Path, metavar="FILE",
                       help="replay a problem file offline instead of reading requirements and indexes")
    add_index_options(parser)


def add_upgrade_arguments(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument("-U", "--upgrade", action="store_true", help=f"{prefix}ignore the lock's versions")
    parser.add_argument("-P", "--upgrade-package", action="append", default=[], metavar="NAME",
                        help=f"{prefix}let NAME move to its newest fitting version (repeatable)")


def add_resolution_arguments(parser: argparse.ArgumentParser) -> None:
    """What to resolve and for which target: shared by `pkm resolve` and `pkm lock`."""
    from pkm.resolver import PLATFORMS, PRERELEASE_POLICIES

    parser.add_argument("requirements", nargs="*", metavar="REQ", help="a requirement, e.g. 'rich>=13' or 'httpx[http2]'")
    parser.add_argument("-r", "--requirement", dest="requirement_files", action="append", type=Path, default=[],
                        metavar="FILE", help="resolve the requirements listed in FILE (repeatable)")
    parser.add_argument("-c", "--constraint", dest="constraint_files", action="append", type=Path, default=[],
                        metavar="FILE", help="limit versions with the constraints in FILE (repeatable)")
    parser.add_argument("--override", dest="override_files", action="append", type=Path, default=[],
                        metavar="FILE", help="replace every requirement on a package by the one in FILE (repeatable)")
    target = parser.add_argument_group("target environment (default: the interpreter running pkm)")
    target.add_argument("--python", metavar="EXE|X.Y", help="resolve for this interpreter (a path, or a version found on PATH/pyenv)")
    target.add_argument("--python-version", metavar="X.Y", help="resolve for CPython X.Y (markers and tags synthesized)")
    target.add_argument("--platform", choices=sorted(PLATFORMS), help="resolve for this platform (with --python-version)")
    parser.add_argument("--prerelease", choices=PRERELEASE_POLICIES, default=None,
                        help="pre-releases: only when a requirement names one or nothing else fits (if-necessary, "
                             "the default), always (allow), or never (disallow)")
    parser.add_argument("--pre", action="store_true", help="the same as --prerelease allow")
    parser.add_argument("--no-binary", action="append", default=[], metavar="NAME|:all:",
                        help="never use wheels for these packages (their sdists must have static metadata)")
    parser.add_argument("--only-binary", action="append", default=[], metavar="NAME|:all:",
                        help="never use sdists for these packages")
    parser.add_argument("--no-build", dest="no_build", action="append_const", const=":all:", default=[],
                        help="never choose a version that would need building")
    parser.add_argument("--no-build-package", dest="no_build", action="append", metavar="NAME",
                        help="never choose a version of NAME that would need building (repeatable)")


def _requirement(text: str) -> Any:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise UsageError(f"invalid requirement `{text}`", why=str(exc),
                         hint="write a PEP 508 requirement, e.g. `rich>=13` or `requests[socks]==2.32.3`") from None


def _inputs(args: argparse.Namespace) -> Tuple[List[Any], List[Any], List[Any]]:
    """(requirements, constraints, overrides); requirements files may also set index options and --pre."""
    from pkm.cli._requirements import parse_requirements

    requirements = [_requirement(text) for text in args.requirements]
    constraints: List[Any] = []
    overrides: List[Any] = []
    for path in args.requirement_files:
        found = parse_requirements(path)
        requirements += [entry.requirement for entry in found.requirements]
        constraints += [entry.requirement for entry in found.constraints]
        if found.index_url and not getattr(args, "index_url", None):
            args.index_url = found.index_url
        if found.extra_index_urls and not getattr(args, "extra_index_url", None):
            args.extra_index_url = found.extra_index_urls
        if found.find_links and not getattr(args, "find_links", None):
            args.find_links = [link if "://" in link else str((path.parent / link).resolve()) for link in found.find_links]
        args.pre = args.pre or found.pre
        args.only_binary = list(args.only_binary) + found.only_binary
    for path in args.constraint_files:
        found = parse_requirements(path)
        constraints += [entry.requirement for entry in found.requirements + found.constraints]
    for path in args.override_files:
        overrides += [entry.requirement for entry in parse_requirements(path).requirements]
    return requirements, constraints, overrides


def run(args: argparse.Namespace, ctx: Context) -> int:
    import gc

    # The command ends once the answer is printed: a cyclic collection over the pages read
    # (which the resolver pauses the collector for) would only delay the exit, by ~50 ms.
    # Restored after, for callers of `pkm.cli.main` in a longer-lived process.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args, ctx)
    finally:
        if enabled:
            gc.enable()


def _run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._resolve import read_problem

    if (args.upgrade or args.upgrade_package) and args.prefer is None:
        raise UsageError("--upgrade and --upgrade-package go with --prefer LOCK",
                         hint="without a lock every package already gets its newest fitting version")
    if args.problem is not None:
        if args.requirements or args.requirement_files or args.constraint_files or args.override_files:
            raise UsageError("--problem replays a recorded request; it takes no requirements",
                             hint="drop the REQs and -r/-c/--override files, or drop --problem")
        requirements, index, target, options = read_problem(args.problem)
        resolution = run_resolver(requirements, index, target, options, ctx, args.export_problem)
    else:
        resolution = resolve_from_args(args, ctx, preferences(args.prefer, args), args.export_problem)
    lines = [f"{package.name}=={package.version}" for package in resolution.packages]
    data = {"packages": [{"name": p.name, "version": str(p.version)} for p in resolution.packages]}
    ctx.console.result("\n".join(lines), data=data)
    return 0


def resolve_from_args(args: argparse.Namespace, ctx: Context, prefer: tuple = (), export: Any = None) -> Any:
    """The `pkm.resolver.Resolution` that the resolution arguments ask for (warnings shown)."""
    from pkm.resolver import Options

    requirements, constraints, overrides = _inputs(args)
    if not requirements:
        raise UsageError("nothing to resolve", hint=f"name requirements (`pkm {args.command} rich`), or pass -r FILE")
    if args.pre and args.prerelease not in (None, "allow"):
        raise UsageError(f"--pre contradicts --prerelease {args.prerelease}", hint="pass one of them")
    index = ctx.index()
    early = None
    if not (args.python or args.python_version or args.platform):  # the target needs no probing: cannot fail
        early = fetch_early(index, requirements)
    try:
        target = target_from_args(args, ctx)
        options = Options(
            prereleases="allow" if args.pre else (args.prerelease or "if-necessary"),
            no_binary=frozenset(args.no_binary), only_binary=frozenset(args.only_binary),
            no_build=frozenset(args.no_build), constraints=tuple(constraints), overrides=tuple(overrides),
            tmp_dir=ctx.tmp_dir(), preferences=prefer, build_metadata=sdist_metadata(ctx),
        )
        return run_resolver(requirements, index, target, options, ctx, export)
    finally:
        if early is not None:
            early.join()


def fetch_early(index: Any, requirements: List[Any]) -> Any:
    """Start fetching the pages of the named requirements on a background thread; returns the
    thread (join it before the index goes away).

    The resolver's first step needs these pages, and loading the resolver (the solver, wheel
    tags, core metadata: ~40 ms of imports) would otherwise come before the first request.
    Requirements with a URL or a marker are left to the resolver (no page, or perhaps none
    needed). Failures are kept by the index for the resolver's own call to report."""
    import threading

    names = [r.name for r in requirements if not r.url and r.marker is None]
    thread = threading.Thread(target=index.prefetch, args=(names,), name="pkm-early-pages", daemon=True)
    thread.start()
    return thread


def sdist_metadata(ctx: Context, interpreter: Any = None) -> Any:
    """The resolver's `build_metadata`: an sdist's metadata from the wheel built of it (cached)."""
    from pkm.cli.build import SdistBuilder

    return SdistBuilder(ctx, interpreter).metadata


def target_from_args(args: argparse.Namespace, ctx: Context) -> Any:
    from pkm.cli._resolve import target_from_options

    return target_from_options(args.python, args.python_version, args.platform, ctx.settings.home)


def run_resolver(requirements: List[Any], index: Any, target: Any, options: Any, ctx: Context,
                 export: Any = None) -> Any:
    from pkm.cli._resolve import RecordingIndex, explained
    from pkm.resolver import NoResolution, resolve

    recorder = RecordingIndex(index) if export is not None else None
    ctx.console.detail(f"resolving for {target.label}")
    try:
        resolution = resolve(requirements, recorder or index, target, options)
    except NoResolution as error:
        raise explained(error) from None
    finally:
        if recorder is not None:
            _write_json(export, recorder.problem(requirements, target, options))
    for warning in resolution.warnings:
        ctx.console.warn(warning)
    return resolution


def preferences(lock_path: Any, args: argparse.Namespace) -> tuple:
    """(name, version) pairs pinned by the lock at `lock_path`, minus what --upgrade / --upgrade-package release."""
    from packaging.utils import canonicalize_name

    if lock_path is None or args.upgrade:
        return ()
    from pkm.lock import read_lock

    released = {canonicalize_name(name) for name in args.upgrade_package}
    lock = read_lock(lock_path)
    return tuple(sorted((canonicalize_name(p.name), p.version) for p in lock.packages
                        if p.version is not None and canonicalize_name(p.name) not in released))


def _write_json(path: Path, data: Any) -> None:
    import json

    from pkm.errors import PkmError
    from pkm.store import atomic_write

    try:
        atomic_write(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        raise PkmError(f"cannot write the problem file {path}", why=str(exc), hint="check the path and its permissions") from None
