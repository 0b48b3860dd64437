"""Resolve requirements and write them as a PEP 751 lock file (`pylock.toml`).

    pkm lock                                           (in a project: its dependencies, extras and groups)
    pkm lock rich 'httpx[http2]>=0.27'                 (writes ./pylock.toml)
    pkm lock -r requirements.txt -o pylock.toml
    pkm lock -r requirements.txt --check               (exit 1 when pylock.toml is stale)
    pkm lock -r requirements.txt -P rich               (move rich, keep the rest)

The lock is made for one target (this interpreter, or --python / --python-version
+ --platform) and says so in PEP 751 `environments` and a narrowed `requires-python`.
It lists, for each package, every file usable on that target (wheels whose tags fit,
the sdist) with sha256, size and upload time. Re-locking keeps the versions the
existing lock pins where they still fit (-U/--upgrade, -P/--upgrade-package move
them). The output is deterministic: the same resolution gives the same bytes.
Install it with `pkm sync --lock pylock.toml --env .venv` (or pip 26.1+).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from pkm.cli._context import Context
from pkm.cli._options import add_index_options
from pkm.errors import PkmError

__all__ = ["add_arguments", "lock_text", "package_dependencies", "run", "write_lock_text"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pkm.cli.resolve import add_resolution_arguments, add_upgrade_arguments

    add_resolution_arguments(parser)
    parser.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="the lock file to write (default: pylock.toml, the project's in a project); "
                             "its versions are kept where they fit")
    parser.add_argument("--env-name", metavar="NAME",
                        help="in a project: lock its environment NAME of [tool.pkm.envs] (pylock.NAME.toml)")
    parser.add_argument("--project", type=Path, metavar="PATH",
                        help="lock this project (default: the nearest pyproject.toml upward, when no REQ or -r is given)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when FILE is missing or differs from a fresh lock")
    add_upgrade_arguments(parser, "")
    add_index_options(parser)


def lock_text(resolution: Any, *, markers: Optional[Dict[str, str]] = None, extras: Sequence[str] = (),
              dependency_groups: Sequence[str] = (), default_groups: Sequence[str] = (),
              tool: Optional[Dict[str, Any]] = None) -> str:
    """The deterministic pylock.toml text of a `pkm.resolver.Resolution` for its one target;
    each package lists what it depends on (by name, sorted).

    `markers` (name -> marker) and the extras/groups lists are for a project's lock."""
    import dataclasses

    from pkm.lock import environment_marker, make_lock, package_from_artifacts, render_lock

    markers = markers or {}
    packages = []
    for package in resolution.packages:
        files = [artifact for artifact in package.files if artifact.hashes] or [package.artifact]
        if not files[0].hashes:
            raise PkmError(f"cannot lock {package.name}=={package.version}: the index gives no hash for "
                           f"{package.artifact.filename}",
                           hint="a lock records a hash for every file: use an index that publishes them")
        entry = package_from_artifacts(package.name, str(package.version), files,
                                       index=package.index_url or None, marker=markers.get(package.name),
                                       requires_python=package.artifact.requires_python)
        packages.append(dataclasses.replace(entry, dependencies=[{"name": name} for name in
                                                                  package_dependencies(resolution, package)]))
    target = resolution.target
    python = "%d.%d" % target.python_version.release[:2]
    lock = make_lock(packages, environments=[environment_marker(target.markers)], requires_python=f"=={python}.*",
                     extras=extras, dependency_groups=dependency_groups, default_groups=default_groups, tool=tool)
    return render_lock(lock)


def package_dependencies(resolution: Any, package: Any) -> List[str]:
    """The locked packages `package` depends on (through itself and the extras it was chosen with),
    sorted: PEP 751 `dependencies`, which `pkm tree` and `pkm why` read back."""
    locked = {p.name for p in resolution.packages}
    found = set()
    for node in [package.name] + [f"{package.name}[{extra}]" for extra in package.extras]:
        found.update(dep.split("[")[0] for dep in resolution.edges.get(node, ()))
    return sorted(name for name in found if name in locked and name != package.name)


def _versions(text: str, path: Path) -> Dict[str, str]:
    from pkm.lock import parse_lock

    return {p.name: str(p.version) for p in parse_lock(text, path).packages}


def _changes(old: Dict[str, str], new: Dict[str, str]) -> List[str]:
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(f" + {name}=={new[name]}")
        elif name not in new:
            lines.append(f" - {name}=={old[name]}")
        elif old[name] != new[name]:
            lines.append(f" ~ {name} {old[name]} -> {new[name]}")
    return lines


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm.cli.resolve import preferences, resolve_from_args

    project = None
    if not (args.requirements or args.requirement_files):
        from pkm.project import find_project, load_project

        from pkm.project import in_workspace

        project = in_workspace(load_project(find_project(Path.cwd(), args.project)))
        if args.env_name:
            project = project.with_env(args.env_name)
    output: Path = args.output or (project.lock_path if project is not None else Path("pylock.toml"))
    old_text = output.read_text(encoding="utf-8") if output.is_file() else None
    old = _versions(old_text, output) if old_text is not None else {}  # a broken lock fails here, before any work
    if project is not None:
        from pkm.cli._project import lock_project

        text, resolution = lock_project(project, ctx, args)
    else:
        resolution = resolve_from_args(args, ctx, preferences(output if old_text is not None else None, args))
        text = lock_text(resolution)
    new = {p.name: str(p.version) for p in resolution.packages}
    changes = _changes(old, new)
    data = {"lock": str(output), "target": resolution.target.label,
            "packages": [{"name": name, "version": version} for name, version in sorted(new.items())]}
    if args.check:
        if old_text == text:
            ctx.console.summary(f"{output} is up to date ({len(new)} packages)", data=dict(data, fresh=True))
            return 0
        why = "it does not exist" if old_text is None else "\n".join(
            ["a fresh lock differs:"] + (changes or [" (same versions; the project, files or the target differ)"]))
        raise PkmError(f"{output} is stale", why=why, hint=f"run the same `pkm lock` without --check to update {output}")
    if old_text == text:
        ctx.console.summary(f"{output} is up to date ({len(new)} packages)", data=dict(data, changed=False))
        return 0
    write_lock_text(output, text)
    count = len(new)
    summary = f"Locked {count} package{'s' if count != 1 else ''} for {resolution.target.label} in {output}"
    ctx.console.summary("\n".join([summary] + changes), data=dict(data, changed=True))
    return 0


def write_lock_text(output: Path, text: str) -> None:
    from pkm.store import atomic_write

    try:
        atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise PkmError(f"cannot write {output}", why=str(exc), hint="check the path and its permissions") from None
