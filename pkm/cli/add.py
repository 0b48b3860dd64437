"""Add requirements to the project (or a script) and bring the lock and the environment along.

    pkm add rich 'httpx>=0.27'           [project] dependencies; re-lock; sync .venv
    pkm add pytest --group dev           a PEP 735 dependency group
    pkm add uvloop --optional fast       an extra ([project.optional-dependencies])
    pkm add requests --script tool.py    the script's `# /// script` block (no lock, no venv)

A bare name gets a lower bound from the version chosen (`rich` -> `rich>=15.0`); a
requirement already there for that package is replaced. The file's comments and
layout are kept. Nothing is written when the requirement cannot be resolved.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, List

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import PkmError, UsageError

__all__ = ["add_arguments", "check_place", "run", "parse_requirements_args", "where"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="+", metavar="REQ", help="a requirement, e.g. rich or 'httpx>=0.27'")
    target(parser)
    parser.add_argument("--no-sync", action="store_true", help="update pyproject.toml and the lock, not the venv")
    add_index_options(parser)


def target(parser: argparse.ArgumentParser) -> None:
    where_ = parser.add_mutually_exclusive_group()
    where_.add_argument("--group", metavar="NAME", help="a dependency group ([dependency-groups] NAME)")
    where_.add_argument("--optional", metavar="EXTRA", help="an extra ([project.optional-dependencies] EXTRA)")
    where_.add_argument("--script", type=Path, metavar="FILE", help="the `# /// script` block of FILE")
    parser.add_argument("--project", type=Path, metavar="PATH", help="the project (default: the nearest upward)")


def where(args: argparse.Namespace) -> tuple:
    """(table, key) of the array the arguments name."""
    if args.group:
        return "dependency-groups", args.group
    if args.optional:
        from packaging.utils import canonicalize_name

        return "project.optional-dependencies", canonicalize_name(args.optional)
    return "project", "dependencies"


def check_place(project: Any, table: str, verb: str) -> None:
    """A virtual workspace root has only [dependency-groups]: to `verb` ("add to", "remove from")
    another list there is a UsageError that says where the requirement can go instead."""
    if not project.virtual or table == "dependency-groups":
        return
    import os

    from pkm.project import workspace_members

    members = sorted(os.path.relpath(m.root, project.root) for m in (workspace_members(project.path) or {}).values())
    example = members[0] if members else "packages/NAME"
    place = "[project] dependencies" if table == "project" else f"[{table}]"
    raise UsageError(f"cannot {verb} {place}: {project.path} is a virtual workspace root (no [project] table)",
                     why=f"its members: {', '.join(members) or 'none yet'}",
                     hint=f"use a dependency group of the root (`pkm {verb.split()[0]} --group dev ...`), or a member's "
                          f"dependencies: run it in the member (`cd {example}`) or pass `--project {example}`")


def parse_requirements_args(values: List[str]) -> List[Any]:
    from packaging.requirements import InvalidRequirement, Requirement

    found = []
    for value in values:
        try:
            found.append(Requirement(value))
        except InvalidRequirement as exc:
            raise UsageError(f"invalid requirement `{value}`", why=str(exc),
                             hint="write a PEP 508 requirement, e.g. `rich>=13`") from None
    return found


def _lower_bound(requirement: Any, version: Any) -> str:
    if requirement.specifier or requirement.url:
        return str(requirement)
    release = version.release
    bound = ".".join(str(part) for part in (release + (0,))[:2])
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{requirement.name}{extras}>={bound}{marker}"


def _edit(text: str, table: str, key: str, requirements: List[Any], written: List[str]) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from pkm.project._edit import add_item, remove_items

    def same(item: str, name: str) -> bool:
        try:
            return canonicalize_name(Requirement(item).name) == name
        except InvalidRequirement:
            return False

    for requirement, line in zip(requirements, written):
        name = canonicalize_name(requirement.name)
        text, _ = remove_items(text, table, key, lambda item, name=name: same(item, name))
        text = add_item(text, table, key, line)
    return text


def run(args: argparse.Namespace, ctx: Context) -> int:
    requirements = parse_requirements_args(args.requirements)
    if args.script is not None:
        return _add_to_script(args, ctx, requirements)
    from pkm.cli._project import lock_project
    from pkm.cli.lock import write_lock_text
    from pkm.cli.sync import defaults, sync_project
    from pkm.project import find_project, load_project, parse_project

    start = time.monotonic()
    project = load_project(find_project(Path.cwd(), args.project))
    table, key = where(args)
    check_place(project, table, "add to")
    args.upgrade, args.upgrade_package = False, []
    # First with the requirements as given (bare names unbounded) to learn the versions chosen...
    trial = parse_project(_edit(project.text, table, key, requirements, [str(r) for r in requirements]), project.path)
    from pkm.project import in_workspace

    _, resolution = lock_project(in_workspace(trial), ctx, args)
    chosen = {p.name: p.version for p in resolution.packages}
    from packaging.utils import canonicalize_name

    written = [_lower_bound(r, chosen[canonicalize_name(r.name)]) if canonicalize_name(r.name) in chosen else str(r)
               for r in requirements]
    # ...then the file as it will be written, and its lock (the same versions: the pages are cached).
    text = _edit(project.text, table, key, requirements, written)
    final = parse_project(text, project.path)
    whole = in_workspace(final)
    lock, _ = lock_project(whole, ctx, args)
    _write(project.path, text)
    write_lock_text(whole.lock_path, lock)
    place = f"[{table}] {key}" if table != "project" else "[project] dependencies"
    ctx.console.info("\n".join([f"Added to {place} in {project.path}:"] + [f"  {line}" for line in written]))
    if args.no_sync:
        ctx.console.summary(f"Updated {project.path} and {whole.lock_path}",
                           data={"added": written, "synced": False})
        return 0
    return sync_project(final, defaults(group=[args.group] if args.group else [],
                                        extra=[args.optional] if args.optional else []), ctx, start)


def _write(path: Path, text: str) -> None:
    from pkm.store import atomic_write

    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise PkmError(f"cannot write {path}", why=str(exc), hint="check the file's permissions") from None


def _add_to_script(args: argparse.Namespace, ctx: Context, requirements: List[Any]) -> int:
    from packaging.utils import canonicalize_name

    from pkm._toml import parse_toml, read_text
    from pkm.cli.resolve import run_resolver
    from pkm.errors import InputFileError
    from pkm.project._script import edit_script_block, script_block_text
    from pkm.resolver import Options, Target
    from pkm_runtime.context import MetadataError

    if args.group or args.optional:
        raise UsageError("--script edits a script's dependencies: --group and --optional do not apply")
    path = args.script
    source = read_text(path)
    try:
        block = parse_toml(script_block_text(source, str(path)), f"{path} (its `# /// script` block)")
    except MetadataError as exc:
        raise InputFileError(exc.what, path=str(path), line=exc.line, hint=exc.hint) from None
    current = parse_requirements_args(list(block.get("dependencies", [])))
    from pkm.cli.resolve import sdist_metadata

    options = Options(tmp_dir=ctx.tmp_dir(), build_metadata=sdist_metadata(ctx))
    resolution = run_resolver(current + requirements, ctx.index(), Target.running(), options, ctx)
    chosen = {p.name: p.version for p in resolution.packages}
    written = [_lower_bound(r, chosen[canonicalize_name(r.name)]) for r in requirements]
    new = edit_script_block(source, lambda toml: _edit(toml, "", "dependencies", requirements, written), str(path))
    _write(path, new)
    ctx.console.summary("\n".join([f"Added to the `# /// script` block of {path}:"] + [f"  {w}" for w in written]),
                       data={"script": str(path), "added": written})
    return 0
