"""A project's lock: resolve its dependencies, extras and groups together, mark what each needs, check freshness.

One resolution covers `[project] dependencies`, every extra and every dependency group,
so any selection installs consistent versions. Each locked package carries a PEP 751
marker naming the extras and groups that need it (none when the project itself does),
so `pkm sync --group G` or pip 26.1+ with `--group` select from the same file. The lock
records a digest of those inputs in `[tool.pkm]`: when the pyproject changes, it is stale.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from typing import Any, Dict, Iterable, List, Set, Tuple

from pkm.cli._context import Context
from pkm.errors import PkmError

__all__ = ["inputs_digest", "lock_project", "lock_state", "project_target"]


def inputs_digest(project: Any) -> str:
    """A digest of what the lock depends on: requires-python and every requirement, by role."""
    data = {"requires-python": project.requires_python,
            "dependencies": sorted(str(r) for r in project.dependencies),
            "optional": {k: sorted(str(r) for r in v) for k, v in sorted(project.optional.items())},
            "groups": {k: sorted(str(r) for r in v) for k, v in sorted(project.groups.items())}}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def project_target(project: Any, home: str) -> Any:
    """The resolver Target of the project's `.venv` when it exists, else of the interpreter running pkm;
    a requires-python the interpreter does not meet is a clear error."""
    from packaging.specifiers import SpecifierSet

    from pkm.resolver import Target

    if (project.venv / "pyvenv.cfg").is_file():
        from pkm.env import probe

        target = Target.from_interpreter(probe(project.venv / "bin" / "python", cache_dir=os.path.join(home, "interpreters-v1")))
    elif project.env_python:  # a named environment of [tool.pkm.envs], not created yet
        from pkm.env import find_interpreter

        target = Target.from_interpreter(find_interpreter(project.env_python, cache_dir=os.path.join(home, "interpreters-v1")))
    else:
        target = Target.running()
    if project.requires_python and not SpecifierSet(project.requires_python).contains(target.python_version,
                                                                                       prereleases=True):
        raise PkmError(f"{project.label} requires Python {project.requires_python}; {target.label} does not fit",
                       hint="recreate .venv with a fitting interpreter: `pkm venv --python X.Y --clear`")
    return target


def _nodes(requirements: Iterable[Any], markers: Dict[str, str]) -> List[str]:
    from packaging.utils import canonicalize_name

    env = dict(markers, extra="")
    found = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate(env):
            continue
        name = canonicalize_name(requirement.name)
        found += [name] + [f"{name}[{canonicalize_name(e)}]" for e in sorted(requirement.extras)]
    return found


def _closure(start: Iterable[str], edges: Dict[str, Tuple[str, ...]]) -> Set[str]:
    seen: Set[str] = set()
    stack = list(start)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return {node.split("[")[0] for node in seen}


def package_markers(project: Any, resolution: Any) -> Dict[str, str]:
    """name -> PEP 751 marker for packages only some extras or groups need (absent: always needed)."""
    markers = dict(resolution.target.markers)
    base = _closure(_nodes(project.dependencies, markers), resolution.edges)
    roles = [(f"'{extra}' in extras", _closure(_nodes(reqs, markers), resolution.edges))
             for extra, reqs in sorted(project.optional.items())]
    roles += [(f"'{group}' in dependency_groups", _closure(_nodes(reqs, markers), resolution.edges))
              for group, reqs in sorted(project.groups.items())]
    found = {}
    for package in resolution.packages:
        if package.name in base:
            continue
        needed = [marker for marker, closure in roles if package.name in closure]
        found[package.name] = " or ".join(needed)
    return found


def lock_project(project: Any, ctx: Context, args: argparse.Namespace) -> Tuple[str, Any]:
    """(pylock.toml text, resolution) of the project; the existing lock's versions are kept where they
    fit unless --upgrade / --upgrade-package release them."""
    from pkm.cli.lock import lock_text
    from pkm.cli.resolve import preferences, run_resolver
    from pkm.resolver import Options

    target = project_target(project, ctx.settings.home)
    requirements = list(project.dependencies)
    for reqs in list(project.optional.values()) + list(project.groups.values()):
        requirements += reqs
    existing = project.lock_path if project.lock_path.is_file() else None
    from pkm.cli.resolve import sdist_metadata

    options = Options(tmp_dir=ctx.tmp_dir(), preferences=preferences(existing, args), build_metadata=sdist_metadata(ctx))
    resolution = run_resolver(requirements, ctx.index(), target, options, ctx) if requirements else _empty(target)
    groups = sorted(project.groups)
    text = lock_text(resolution, markers=package_markers(project, resolution), extras=sorted(project.optional),
                     dependency_groups=groups, default_groups=[g for g in project.default_groups if g in groups],
                     tool={"pkm": {"inputs": inputs_digest(project)}})
    return text, resolution


def _empty(target: Any) -> Any:
    from pkm.resolver import Resolution

    return Resolution((), target)


def lock_state(project: Any) -> str:
    """"missing", "stale" (the pyproject changed since), or "fresh"."""
    from pkm.lock import read_lock

    if not project.lock_path.is_file():
        return "missing"
    lock = read_lock(project.lock_path)
    recorded = ((lock.tool or {}).get("pkm") or {}).get("inputs")
    return "fresh" if recorded == inputs_digest(project) else "stale"
