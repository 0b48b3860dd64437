"""Install packages into a virtual environment, from an index or from a lock.

    pkm install rich 'httpx[http2]>=0.27'
    pkm install -r requirements.txt -c constraints.txt
    pkm install --no-deps rich==14.0.0             (only the packages named)
    pkm install -e .                               (the project here, editable, with its dependencies)
    pkm install --lock pylock.toml            (what the lock pins; extras in the env are kept)
    pkm install                                    (in a project: lock it if stale, then sync .venv)

Wheels are fetched once into the store (sha256-verified), unpacked there with
bytecode compiled, and hard-linked into the environment; the whole change
applies all or nothing. A requirement the environment already satisfies is
left alone (no network) unless --reinstall. Dependencies are resolved by the
PubGrub resolver (`pkm.resolver`), keeping installed versions that still fit;
a request that cannot be met is explained in sentences and changes nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Dict, List

from pkm.cli._context import Context
from pkm.cli._options import add_index_options, add_install_options
from pkm.cli._target import add_env_option
from pkm.errors import HashMismatchError, NotFoundError, UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="*", metavar="REQ", help="a requirement, e.g. 'rich>=13' or attrs")
    parser.add_argument("-r", "--requirement", dest="requirement_files", action="append", type=Path, default=[],
                        metavar="FILE", help="install the requirements listed in FILE (repeatable)")
    parser.add_argument("-c", "--constraint", dest="constraint_files", action="append", type=Path, default=[],
                        metavar="FILE", help="limit versions with the constraints in FILE (repeatable)")
    parser.add_argument("--lock", type=Path, metavar="FILE",
                        help="install what this PEP 751 lock pins (only the REQs named, if any)")
    parser.add_argument("-e", "--editable", action="append", default=[], type=Path, metavar="PATH",
                        help="install the project at PATH editable (PEP 660), with its dependencies (repeatable)")
    add_env_option(parser)
    parser.add_argument("--project", type=Path, metavar="PATH",
                        help="with no REQ: lock and sync this project (default: the nearest pyproject.toml upward)")
    parser.add_argument("--no-deps", action="store_true",
                        help="install only the packages named, not their dependencies")
    parser.add_argument("--only-binary", action="append", default=[], metavar="NAME|:all:",
                        help="never choose an sdist for these packages (:all: for every package)")
    parser.add_argument("--require-hashes", action="store_true",
                        help="every requirement must be pinned with == and carry --hash in its requirements file")
    parser.add_argument("--pre", action="store_true", help="allow pre-release versions")
    add_install_options(parser)
    add_index_options(parser)


def _parse_requirement(text: str):
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise UsageError(f"invalid requirement `{text}`", why=str(exc),
                         hint="write a PEP 508 requirement, e.g. `rich>=13` or `requests[socks]==2.32.3`") from None
    return req


def _read_inputs(args: argparse.Namespace) -> tuple:
    """(requirement entries, constraint entries) from the arguments and files; files may set index options."""
    from pkm.cli._requirements import Entry, RequirementsFile, parse_requirements

    collected = RequirementsFile()
    for path in args.requirement_files:
        found = parse_requirements(path)
        collected.requirements += found.requirements
        collected.constraints += found.constraints
        collected.index_url = collected.index_url or found.index_url
        collected.extra_index_urls += found.extra_index_urls
        collected.find_links += [link if "://" in link else str((path.parent / link).resolve())
                                 for link in found.find_links]
        collected.pre = collected.pre or found.pre
        collected.only_binary += found.only_binary
    for path in args.constraint_files:
        found = parse_requirements(path)
        collected.constraints += found.requirements + found.constraints
    # Options on the command line win over those in files (read before the settings are).
    if collected.index_url and not getattr(args, "index_url", None):
        args.index_url = collected.index_url
    if collected.extra_index_urls and not getattr(args, "extra_index_url", None):
        args.extra_index_url = collected.extra_index_urls
    if collected.find_links and not getattr(args, "find_links", None):
        args.find_links = collected.find_links
    args.pre = args.pre or collected.pre
    args.only_binary = list(args.only_binary) + collected.only_binary
    entries = [Entry(_parse_requirement(text), (), "<command line>", 0) for text in args.requirements]
    return entries + collected.requirements, collected.constraints


def _applies(entry: Any, markers: Dict[str, str]) -> bool:
    marker = entry.requirement.marker
    return marker is None or marker.evaluate(dict(markers, extra=""))


def _only_binary(args: argparse.Namespace, name: str) -> bool:
    from packaging.utils import canonicalize_name

    values = {v.strip() for item in args.only_binary for v in item.split(",")}
    return ":all:" in values or name in {canonicalize_name(v) for v in values if v != ":none:"}


def _check_hashes(pin: Any, allowed: tuple, where: str) -> None:
    if allowed and f"sha256:{pin.sha256}" not in allowed:
        raise HashMismatchError(
            f"the chosen artifact of {pin.name}=={pin.version} does not match the hashes in {where}",
            why=f"{pin.filename} has sha256:{pin.sha256}; allowed: {', '.join(allowed)}",
            hint="update the --hash lines (or the version pin) in the requirements file")


def _hash_rules(entries: List[Any], constraints: List[Any], args: argparse.Namespace) -> tuple:
    """({name: allowed hashes}, {name: "file:line"}) from `--hash` options; with --require-hashes
    every named requirement must be pinned with == and carry hashes (else UsageError)."""
    from packaging.utils import canonicalize_name

    hashes: Dict[str, tuple] = {}
    where: Dict[str, str] = {}
    for entry in entries + constraints:
        if entry.hashes:
            key = canonicalize_name(entry.requirement.name)
            hashes[key] = hashes.get(key, ()) + entry.hashes
            where[key] = f"{entry.path}:{entry.line}"
    if args.require_hashes:
        for entry in entries:
            key = canonicalize_name(entry.requirement.name)
            pinned = any(s.operator in ("==", "===") and "*" not in s.version for s in entry.requirement.specifier)
            if key not in hashes or not pinned:
                raise UsageError(f"--require-hashes: `{key}` is not pinned with == and a --hash",
                                 hint="pin every requirement (`name==1.2`) and add --hash=sha256:... lines")
    return hashes, where


def _resolved_pins(entries: List[Any], constraints: List[Any], target: Any, ctx: Context,
                   args: argparse.Namespace) -> List[Any]:
    """The requirements and all their dependencies, through the resolver; versions already
    installed are kept where they still fit (like pip: nothing moves without a reason)."""
    from pkm.cli._resolve import resolve_pins
    from pkm.cli.resolve import sdist_metadata

    hashes, where = _hash_rules(entries, constraints, args)
    keep = () if args.reinstall else tuple((name, dist.version) for name, dist in target.installed().items())
    pins = resolve_pins([e.requirement for e in entries], target.interpreter, ctx.index(),
                        constraints=[e.requirement for e in constraints], only_binary=_only_binary(args, ":all:"),
                        prereleases=args.pre, preferences=keep,
                        build_metadata=sdist_metadata(ctx, target.interpreter))
    for pin in pins:
        if pin.name in hashes:
            _check_hashes(pin, hashes[pin.name], where[pin.name])
        elif args.require_hashes:
            raise UsageError(f"--require-hashes: the dependency `{pin.name}` has no --hash",
                             hint=f"add `{pin.name}=={pin.version} --hash=sha256:...` to the requirements file "
                                  "(with --require-hashes every installed package needs one)")
    return pins


def _index_pins(entries: List[Any], constraints: List[Any], target: Any, ctx: Context,
                args: argparse.Namespace) -> List[Any]:
    """`--no-deps`: the newest matching artifact per requirement for the environment's interpreter."""
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from pkm.cli.download import _no_choice
    from pkm.cli.index import project_page
    from pkm.index import available_versions, newest_matching, redact_url
    from pkm.lock import Pin

    interpreter = target.interpreter
    specs: Dict[str, SpecifierSet] = {}
    for entry in entries + constraints:
        key = canonicalize_name(entry.requirement.name)
        specs[key] = specs.get(key, SpecifierSet()) & entry.requirement.specifier
    hashes, where = _hash_rules(entries, constraints, args)
    names = sorted({canonicalize_name(e.requirement.name) for e in entries})
    installed = target.installed()
    wanted = []
    for key in names:
        have = installed.get(key)
        if have is not None and not args.reinstall and key not in hashes and \
                specs[key].contains(have.version, prereleases=True):
            continue  # already satisfied: no network for it
        wanted.append(key)
    pins = []
    if not wanted:
        return [Pin(key, installed[key].version, "", "", None) for key in names]
    index = ctx.index()
    index.prefetch(wanted)
    tags = interpreter.tags()
    for key in names:
        if key not in wanted:
            pins.append(Pin(key, installed[key].version, "", "", None))
            continue
        page = project_page(index, key)
        only_binary = _only_binary(args, key)
        choice = newest_matching(page, specs[key], prereleases=True if args.pre else None, tags=tags,
                                 python_version=Version(interpreter.version_str), only_binary=only_binary)
        if choice is None:
            fake = argparse.Namespace(pre=args.pre, only_binary=only_binary, no_binary=False)
            req = next(e.requirement for e in entries if canonicalize_name(e.requirement.name) == key)
            raise _no_choice(req, page, fake, available_versions(page), redact_url(page.index_url))
        artifact = choice.artifact
        pin = Pin(name=key, version=str(choice.version), filename=artifact.filename, location=artifact.url,
                  sha256=artifact.sha256, size=artifact.size, kind="wheel" if artifact.is_wheel else "sdist",
                  index=page.index_url)
        if key in hashes and pin.sha256 is not None:
            _check_hashes(pin, hashes[key], where[key])
        pins.append(pin)
    return pins


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli._target import open_target

    start = time.monotonic()
    entries, constraints = _read_inputs(args)  # every input checked before the environment is touched
    if not entries and args.lock is None and not args.editable:
        return _install_project(args, ctx, start)
    target = open_target(args.env, ctx.settings.home, args=args)
    if args.editable:
        import shutil
        import tempfile

        scratch = Path(tempfile.mkdtemp(prefix="editable-", dir=str(ctx.tmp_dir())))
        try:
            return _install(args, ctx, start, entries, constraints, target, _build_editables(args, ctx, scratch))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return _install(args, ctx, start, entries, constraints, target, [])


def _install_project(args: argparse.Namespace, ctx: Context, start: float) -> int:
    """`pkm install` alone in a project: lock it if stale, then sync its venv (what `pkm sync` does)."""
    from pkm.cli.sync import defaults, sync_project
    from pkm.project import find_project, load_project

    try:
        if args.system:
            raise NotFoundError("--system is not a project's environment")
        path = find_project(Path.cwd(), args.project)
    except NotFoundError:
        if args.project is not None:
            raise
        raise UsageError("nothing to install", hint="name packages (`pkm install rich`), pass -r FILE, --lock FILE "
                                                    "or -e PATH, or run it in a project") from None
    return sync_project(load_project(path), defaults(env=args.env, reinstall=args.reinstall,
                                                     link_mode=args.link_mode), ctx, start)


def _install(args: argparse.Namespace, ctx: Context, start: float, entries: List[Any], constraints: List[Any],
             target: Any, editables: List[tuple]) -> int:
    from packaging.utils import canonicalize_name

    from pkm.cli._materialize import lock_pins, materialize, plan_changes, render_changes

    own = {name for name, _, _ in editables}
    if not args.no_deps:
        from pkm.cli._requirements import Entry

        entries += [Entry(r, (), f"<-e {root}>", 0) for _, root, wheel in editables
                    for r in _wheel_requirements(wheel) if canonicalize_name(r.name) not in own]
    markers = target.interpreter.markers()
    if args.lock is not None:
        pins = lock_pins(args.lock, target)
        if entries:
            asked = {canonicalize_name(e.requirement.name) for e in entries}
            missing = sorted(asked - {p.name for p in pins})
            if missing:
                raise NotFoundError(f"{', '.join(missing)} not in the lock {args.lock} (for this environment)",
                                    hint="run without names to install the whole lock")
            pins = [p for p in pins if p.name in asked]
    else:
        entries = [e for e in entries if _applies(e, markers)]
        constraints = [e for e in constraints if _applies(e, markers)]
        if args.no_deps and any(e.requirement.url for e in entries):
            raise UsageError("--no-deps takes requirements from an index, not `name @ URL`",
                             hint="drop --no-deps (the URL's archive is installed with its dependencies)")
        pins = (_index_pins if args.no_deps else _resolved_pins)(entries, constraints, target, ctx, args)
    changes = plan_changes(pins, target.installed(), exact=False, reinstall=args.reinstall)
    extra = [f" + {name} (editable: {root})" for name, root, _ in editables]
    if changes.empty and not editables:
        count = len(changes.keep)
        ctx.console.summary(f"Nothing to do: {count} package{'s' if count != 1 else ''} already installed in {target.path}",
                           data={"environment": str(target.path), "added": [], "changed": [], "removed": [],
                                 "unchanged": count, "seconds": round(time.monotonic() - start, 3)})
        return 0
    requested = None if args.lock is not None else {canonicalize_name(e.requirement.name) for e in entries}
    if not changes.empty:
        from pkm.cli.build import SdistBuilder

        materialize(changes, target, store=ctx.store(), http=ctx.http, console=ctx.console,
                    link_mode=args.link_mode, requested=requested,
                    build=SdistBuilder(ctx, target.interpreter).tree_of_sdist)
    from pkm.cli._editable import install_editable_wheel

    for _, root, wheel in editables:
        install_editable_wheel(wheel, root, target, ctx)
    text, data = render_changes(changes, time.monotonic() - start)
    data["editable"] = [{"name": name, "path": str(root)} for name, root, _ in editables]
    ctx.console.summary("\n".join([text] + extra) if not changes.empty else "\n".join(
        [f"Installed {len(editables)} editable project{'s' if len(editables) != 1 else ''}"] + extra),
        data={"environment": str(target.path), **data})
    return 0


def _build_editables(args: argparse.Namespace, ctx: Context, out_dir: Path) -> List[tuple]:
    """(name, root, editable wheel) per `-e PATH`, built before anything is installed."""
    from packaging.utils import canonicalize_name

    from pkm.cli._editable import build_editable

    built = []
    for path in args.editable:
        root = path.resolve()
        if not (root / "pyproject.toml").is_file() and not (root / "setup.py").is_file():
            raise UsageError(f"-e {path}: no pyproject.toml or setup.py there",
                             hint="point -e at a project directory")
        wheel = build_editable(root, ctx, out_dir)
        built.append((canonicalize_name(wheel.name.split("-")[0]), root, wheel))
    return built


def _wheel_requirements(wheel: Path) -> List[Any]:
    from pkm.cli._editable import wheel_requirements

    return wheel_requirements(wheel)
