"""The project's dependency graph as its lock records it, and the texts of `pkm tree` and `pkm why`.

The lock lists, for each package, the packages it depends on (PEP 751
`dependencies`, by name); the roots are the project's own requirements, its
extras and its dependency groups, each root labelled with its role. The graph is
for the lock's one target: requirements whose markers exclude it are not there.
Rendering is pure (lists of lines); only `project_graph` reads files.
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

from pkm.cli._context import Context
from pkm.errors import NotFoundError, PkmError

__all__ = ["Graph", "paths_to", "project_graph", "render_inverted", "render_tree"]

BRANCH, LAST, PIPE, SPACE = "├── ", "└── ", "│   ", "    "
REPEAT_NOTE = "(*) shown in full above"


class Graph(NamedTuple):
    project: str                        # "demo v0.1.0"
    versions: Dict[str, str]            # package -> version
    children: Dict[str, List[str]]      # package -> the packages it depends on, sorted
    roots: List[Tuple[str, str]]        # (package, role): role "" for [project] dependencies

    def label(self, name: str) -> str:
        return f"{name} v{self.versions[name]}"

    def as_data(self) -> Dict[str, Any]:
        return {"project": self.project,
                "roots": [{"name": name, "role": role or "dependencies"} for name, role in self.roots],
                "packages": {name: {"version": self.versions[name], "dependencies": self.children[name]}
                             for name in sorted(self.versions)}}


def _roots(project: Any, locked: Dict[str, str]) -> List[Tuple[str, str]]:
    from packaging.utils import canonicalize_name

    roles = [("", project.dependencies)]
    roles += [(f"extra: {extra}", reqs) for extra, reqs in sorted(project.optional.items())]
    roles += [(f"group: {group}", reqs) for group, reqs in sorted(project.groups.items())]
    roots: List[Tuple[str, str]] = []
    for role, requirements in roles:
        names = sorted({canonicalize_name(r.name) for r in requirements} & set(locked))
        roots += [(name, role) for name in names if canonicalize_name(name) != canonicalize_name(project.name)]
    return roots


def project_graph(project: Any, ctx: Context, args: argparse.Namespace) -> Graph:
    """The graph of the project's lock, locking first when the lock is missing, stale or made
    before locks recorded dependencies (unless --frozen). Cost: reading the lock (plus a lock)."""
    from pkm._toml import parse_toml
    from pkm.cli._project import lock_state
    from pkm.lock import read_lock
    from pkm.project import in_workspace

    project = in_workspace(project)
    state = lock_state(project)
    lock = read_lock(project.lock_path) if state == "fresh" else None
    if lock is not None and lock.packages and all(p.dependencies is None for p in lock.packages):
        state, lock = "without dependencies", None
    if lock is None:
        if args.frozen:
            raise PkmError(f"{project.lock_path} is {state}", hint="run `pkm lock` (or drop --frozen) to update it")
        from pkm.cli._project import lock_project
        from pkm.cli.lock import write_lock_text

        args.upgrade, args.upgrade_package = False, []
        text, _ = lock_project(project, ctx, args)
        write_lock_text(project.lock_path, text)
        ctx.console.info(f"Locked {project.lock_path}")
        lock = read_lock(project.lock_path)
    versions = {p.name: str(p.version) for p in lock.packages}
    children = {p.name: sorted({str(d.get("name")) for d in (p.dependencies or ())} & set(versions))
                for p in lock.packages}
    version = (parse_toml(project.text, project.path).get("project") or {}).get("version")
    title = f"{project.name} v{version}" if isinstance(version, str) else project.label
    return Graph(title, versions, children, _roots(project, versions))


def require(graph: Graph, name: str) -> str:
    """`name` normalized, when the lock has it; else NotFoundError with the nearest names."""
    import difflib

    from packaging.utils import canonicalize_name

    key = canonicalize_name(name)
    if key in graph.versions:
        return key
    close = difflib.get_close_matches(key, graph.versions, n=1)
    raise NotFoundError(f"{name} is not in the project's lock", why="no dependency of the project needs it",
                        hint=f"did you mean {close[0]}?" if close else "`pkm tree` shows what the lock holds")


def _rendered(lines: List[str], repeated: bool) -> List[str]:
    return lines + ["", REPEAT_NOTE] if repeated else lines


def render_tree(graph: Graph, depth: Optional[int] = None) -> List[str]:
    """The project, then each root and what it needs, uv-style; a package whose dependencies were
    already shown is marked (*) and not expanded again (this also ends cycles)."""
    lines = [graph.project]
    shown: Set[str] = set()
    repeated = False

    def walk(name: str, suffix: str, prefix: str, last: bool, level: int) -> None:
        nonlocal repeated
        kids = graph.children.get(name, [])
        again = name in shown and bool(kids)
        repeated = repeated or again
        lines.append(prefix + (LAST if last else BRANCH) + graph.label(name) + suffix + (" (*)" if again else ""))
        if again or (depth is not None and level >= depth):
            return
        shown.add(name)
        for i, kid in enumerate(kids):
            walk(kid, "", prefix + (SPACE if last else PIPE), i == len(kids) - 1, level + 1)

    for i, (name, role) in enumerate(graph.roots):
        if depth is None or depth >= 1:
            walk(name, f" ({role})" if role else "", "", i == len(graph.roots) - 1, 1)
    return _rendered(lines, repeated)


def _parents(graph: Graph) -> Dict[str, List[Tuple[str, str]]]:
    """package -> (dependent, role) pairs, sorted; a dependent "" is the project itself."""
    found: Dict[str, List[Tuple[str, str]]] = {name: [] for name in graph.versions}
    for parent, kids in graph.children.items():
        for kid in kids:
            found[kid].append((parent, ""))
    for name, role in graph.roots:
        found[name].append(("", role))
    return {name: sorted(pairs, key=lambda p: (p[0] == "", p)) for name, pairs in found.items()}


def render_inverted(graph: Graph, name: str, depth: Optional[int] = None) -> List[str]:
    """`name`, then what depends on it, down to the project: why each of them is installed."""
    name = require(graph, name)
    parents = _parents(graph)
    lines = [graph.label(name)]
    shown: Set[str] = set()
    repeated = False

    def walk(node: str, role: str, prefix: str, last: bool, level: int) -> None:
        nonlocal repeated
        if node == "":
            lines.append(prefix + (LAST if last else BRANCH) + graph.project + (f" ({role})" if role else ""))
            return
        ups = parents[node]
        again = node in shown and bool(ups)
        repeated = repeated or again
        lines.append(prefix + (LAST if last else BRANCH) + graph.label(node) + (" (*)" if again else ""))
        if again or (depth is not None and level >= depth):
            return
        shown.add(node)
        for i, (up, up_role) in enumerate(ups):
            walk(up, up_role, prefix + (SPACE if last else PIPE), i == len(ups) - 1, level + 1)

    ups = parents[name]
    shown.add(name)
    if depth is None or depth >= 1:
        for i, (up, role) in enumerate(ups):
            walk(up, role, "", i == len(ups) - 1, 1)
    return _rendered(lines, repeated)


def paths_to(graph: Graph, name: str) -> Iterator[List[Tuple[str, str]]]:
    """Every path from the project to `name` without a repeated package, in a stable order: lists of
    (package, role of the first step). Only packages that lead to `name` are explored."""
    name = require(graph, name)
    parents = _parents(graph)
    leads: Set[str] = set()
    stack = [name]
    while stack:  # what can reach `name`: a walk up from it
        node = stack.pop()
        if node in leads or node == "":
            continue
        leads.add(node)
        stack.extend(up for up, _ in parents[node])

    def walk(node: str, path: List[str]) -> Iterator[List[str]]:
        if node == name:
            yield path
            return
        for kid in graph.children.get(node, []):
            if kid in leads and kid not in path:
                yield from walk(kid, path + [kid])

    for root, role in graph.roots:
        if root in leads:
            for path in walk(root, [root]):
                yield [(node, role if i == 0 else "") for i, node in enumerate(path)]
