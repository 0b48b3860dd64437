"""Make an environment match a lock exactly: install what is missing or at another version, remove the rest.

    pkm sync                                   in a project: its .venv matches pylock.toml (locked first if stale)
    pkm sync --group docs --no-dev             other dependency groups; --extra NAME / --all-extras
    pkm sync --frozen                          fail instead of re-locking a stale or missing lock
    pkm sync --lock pylock.toml --env .venv    any lock, any environment (both named explicitly)

The lock's `environments` and `requires-python` must fit the environment's
interpreter; for each package the best wheel for its tags is installed from
the store (fetched once, verified by sha256). When the environment already
matches (by names and versions) nothing is fetched: the network is not touched.
In a project, the `.venv` is created when missing, and an activated
`$VIRTUAL_ENV` elsewhere is ignored (with a warning) unless --active.
"""

from __future__ import annotations

import argparse
import os
import time

from pkm.cli._context import Context
from pkm.cli._options import add_index_options, add_install_options, path_arg
from pkm.errors import PkmError, UsageError

TYPE_CHECKING = False  # a sync with nothing to do imports no typing or pathlib (README, Development)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, List, Optional

__all__ = ["add_arguments", "defaults", "run", "sync_project"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock", type=path_arg, metavar="FILE",
                        help="the PEP 751 lock file to sync with (default: the project's pylock.toml)")
    parser.add_argument("--env", metavar="PATH",
                        help="the virtual environment to sync (with --lock it must be named: sync removes packages)")
    project = parser.add_argument_group("project options")
    project.add_argument("--project", type=path_arg, metavar="PATH", help="the project (default: the nearest upward)")
    project.add_argument("--group", action="append", default=[], metavar="NAME",
                         help="also install this dependency group (repeatable)")
    project.add_argument("--no-dev", action="store_true", help="leave out the `dev` group")
    project.add_argument("--no-default-groups", action="store_true",
                         help="leave out the default groups ([tool.pkm] default-groups, else dev)")
    project.add_argument("--extra", action="append", default=[], metavar="NAME", help="install this extra (repeatable)")
    project.add_argument("--all-extras", action="store_true", help="install every extra")
    project.add_argument("--frozen", action="store_true",
                         help="use the lock as it is: a missing or stale lock is an error, never re-locked")
    project.add_argument("--active", action="store_true", help="sync the activated $VIRTUAL_ENV instead of .venv")
    project.add_argument("--env-name", metavar="NAME",
                         help="sync the environment NAME of [tool.pkm.envs] (.venvs/NAME, pylock.NAME.toml)")
    project.add_argument("--package", metavar="NAME",
                         help="in a workspace: only this member, the members it requires, and their dependencies")
    add_install_options(parser)
    add_index_options(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    start = time.monotonic()
    if args.lock is None:
        return _sync_project(args, ctx, start)
    from pkm.cli._materialize import lock_pins
    from pkm.cli._target import open_target

    if args.env is None:
        raise UsageError("--lock needs --env PATH (sync removes what the lock does not name)",
                         hint="name the environment, e.g. `pkm sync --lock pylock.toml --env .venv`")
    target = open_target(args.env, ctx.settings.home, args=args)
    return _apply(lock_pins(args.lock, target), target, args, ctx, start, str(args.lock), keep=())


def _apply(pins: List[Any], target: Any, args: argparse.Namespace, ctx: Context, start: float, what: str,
           keep: tuple) -> int:
    from pkm.cli._materialize import materialize, plan_changes, render_changes

    installed = {k: v for k, v in target.installed().items() if k not in keep}
    changes = plan_changes(pins, installed, exact=True, reinstall=args.reinstall)
    if changes.empty:
        count = len(changes.keep)
        ctx.console.summary(f"Already in sync: {count} package{'s' if count != 1 else ''} in {target.path} match {what}",
                           data={"environment": str(target.path), "added": [], "changed": [], "removed": [],
                                 "unchanged": count, "seconds": round(time.monotonic() - start, 3)})
        return 0
    from pkm.cli.build import SdistBuilder

    materialize(changes, target, store=ctx.store(), http=ctx.http, console=ctx.console,
                link_mode=args.link_mode, exact=True, build=SdistBuilder(ctx, target.interpreter).tree_of_sdist)
    text, data = render_changes(changes, time.monotonic() - start)
    ctx.console.summary(text, data={"environment": str(target.path), **data})
    return 0


def _groups(project: Any, args: argparse.Namespace) -> List[str]:
    from packaging.utils import canonicalize_name

    chosen = [] if args.no_default_groups else [g for g in project.default_groups if g in project.groups]
    if args.no_dev:
        chosen = [g for g in chosen if g != "dev"]
    for group in args.group:
        name = canonicalize_name(group)
        if name not in {canonicalize_name(g) for g in project.groups}:
            raise UsageError(f"{project.label} has no dependency group `{group}`",
                             hint=f"its groups: {', '.join(sorted(project.groups)) or 'none'} ([dependency-groups])")
        chosen.append(group)
    return sorted(set(chosen))


def _extras(project: Any, args: argparse.Namespace) -> List[str]:
    from packaging.utils import canonicalize_name

    if args.all_extras:
        return sorted(project.optional)
    extras = [canonicalize_name(e) for e in args.extra]
    unknown = sorted(set(extras) - set(project.optional))
    if unknown:
        raise UsageError(f"{project.label} has no extra `{unknown[0]}`",
                         hint=f"its extras: {', '.join(sorted(project.optional)) or 'none'}")
    return extras


def _project_venv(project: Any, args: argparse.Namespace, ctx: Context) -> Path:
    from pathlib import Path

    if args.env is not None:
        return Path(args.env)
    active = os.environ.get("VIRTUAL_ENV")
    if active and os.path.abspath(active) != str(project.venv.resolve()):
        if args.active:
            return Path(active)
        ctx.console.warn(f"ignoring the active virtual environment {active}: syncing {project.venv} "
                         "(pass --active to sync the active one)")
    if not (project.venv / "pyvenv.cfg").is_file():
        import sys

        from pkm.env import create_venv, find_interpreter, probe

        cache = os.path.join(ctx.settings.home, "interpreters-v1")
        interpreter = (find_interpreter(project.env_python, cache_dir=cache) if project.env_python
                       else probe(sys.executable, cache_dir=cache))
        create_venv(project.venv, interpreter)
        ctx.console.info(f"Created {project.venv} ({interpreter.display_name} {interpreter.version_str})")
    return project.venv


def defaults(**overrides: Any) -> argparse.Namespace:
    """The arguments of a bare `pkm sync` (for `pkm add` / `pkm remove`, which sync afterwards)."""
    values = dict(lock=None, env=None, project=None, group=[], no_dev=False, no_default_groups=False, extra=[],
                  all_extras=False, frozen=False, active=False, reinstall=False, link_mode="hardlink", package=None,
                  env_name=None)
    values.update(overrides)
    return argparse.Namespace(**values)


def _sync_project(args: argparse.Namespace, ctx: Context, start: float) -> int:
    from pkm.cli._sync_stamp import record_sync, unchanged_since_sync
    from pkm.project import nearest_pyproject

    path = nearest_pyproject(os.getcwd(), None if args.project is None else str(args.project))
    if unchanged_since_sync(path, args):
        # Nothing changed since the last sync: the same pyproject, lock, options and installed
        # distributions. Say so without parsing anything (no TOML, no lock, no probe).
        root = os.path.dirname(path)
        venv, lock = os.path.join(root, ".venv"), os.path.join(root, "pylock.toml")
        ctx.console.summary(f"Already in sync: {venv} matches {lock}",
                           data={"environment": venv, "added": [], "changed": [], "removed": [], "seconds": 0.0})
        return 0
    from pathlib import Path

    from pkm.project import load_project

    code = sync_project(load_project(Path(path)), args, ctx, start)
    if code == 0:
        record_sync(path, args)
    return code




def sync_project(project: Any, args: argparse.Namespace, ctx: Context, start: float) -> int:
    """Lock the project (its workspace's, for a member) if its lock is missing or stale (unless
    --frozen), then make its venv match."""
    from pkm.cli._project import lock_project, lock_state
    from pkm.cli._target import open_target
    from pkm.cli.lock import write_lock_text
    from pkm.project import in_workspace

    project = in_workspace(project)
    if getattr(args, "env_name", None):
        project = project.with_env(args.env_name)
    members = _selected_members(project, getattr(args, "package", None))

    groups, extras = _groups(project, args), _extras(project, args)
    state = lock_state(project)
    if state != "fresh":
        if args.frozen:
            raise PkmError(f"{project.lock_path} is {state}" + (" (pyproject.toml changed since it was made)"
                                                               if state == "stale" else ""),
                           hint="run `pkm lock` (or `pkm sync` without --frozen) to update it")
        venv = _project_venv(project, args, ctx)
        args.upgrade, args.upgrade_package = False, []
        text, _ = lock_project(project, ctx, args)
        write_lock_text(project.lock_path, text)
        ctx.console.info(f"Locked {project.lock_path}")
    else:
        venv = _project_venv(project, args, ctx)
    target = open_target(str(venv), ctx.settings.home)
    from pkm.lock import pins_from_lock, read_lock

    interpreter = target.interpreter
    lock = read_lock(project.lock_path)
    pins = pins_from_lock(lock, marker_env=interpreter.markers(), tags=interpreter.tags(),
                          lock_dir=project.root, where=str(project.lock_path), extras=extras,
                          dependency_groups=groups)
    if getattr(args, "package", None):
        wanted = _needed_by(members, project, lock, groups, extras, interpreter.markers())
        pins = [pin for pin in pins if pin.name in wanted]
    own = tuple(_name(m) for m in (project.members or (project,)))
    code = _apply(pins, target, args, ctx, start, str(project.lock_path), keep=own)
    for member in members:
        _install_project(member, target, ctx)
    from pkm.cli._hook import write_extension_hook

    if write_extension_hook(project, target):
        ctx.console.detail(f"the project's extensions are active in {target.path}")
    return code


def _name(project: Any) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(project.name)


def _selected_members(project: Any, package: Optional[str]) -> List[Any]:
    """The projects to install editable: every workspace member (or the project), or with
    `--package NAME` that member and the members it requires, transitively."""
    from packaging.utils import canonicalize_name

    everyone = {_name(m): m for m in (project.members or (project,))}
    if not package:
        return list(everyone.values())
    if canonicalize_name(package) not in everyone:
        raise UsageError(f"--package {package}: not a member of the workspace",
                         hint=f"its members: {', '.join(sorted(everyone))}")
    chosen, stack = {}, [canonicalize_name(package)]
    while stack:
        name = stack.pop()
        if name in chosen:
            continue
        chosen[name] = everyone[name]
        stack += [canonicalize_name(r.name) for r in everyone[name].dependencies if canonicalize_name(r.name) in everyone]
    return list(chosen.values())


def _needed_by(members: List[Any], project: Any, lock: Any, groups: List[str], extras: List[str],
               markers: Any) -> set:
    """The locked packages the selected members need (their requirements, chosen groups and extras,
    and everything those depend on, by the lock's `dependencies`)."""
    from packaging.utils import canonicalize_name

    env = dict(markers, extra="")
    start = []
    for member in members:
        requirements = list(member.dependencies)
        for group in groups:
            requirements += member.groups.get(group, [])
        for extra in extras:
            requirements += member.optional.get(extra, [])
        start += [canonicalize_name(r.name) for r in requirements if r.marker is None or r.marker.evaluate(env)]
    edges = {p.name: [canonicalize_name(d.get("name", "")) for d in (p.dependencies or ())] for p in lock.packages}
    seen: set = set()
    while start:
        name = start.pop()
        if name not in seen:
            seen.add(name)
            start += edges.get(name, [])
    return seen


def _install_project(project: Any, target: Any, ctx: Context) -> None:
    """A project (or workspace member), editable (its source importable from the venv; see
    `pkm.build`), when it is a package: it declares `[build-system]`. Without one it is only a set
    of dependencies (as with uv)."""
    if not project.buildable:
        return
    from pkm.cli._editable import install_editable

    install_editable(project.root, target, ctx)
