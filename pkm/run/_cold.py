"""The runtime's cold path: a context's requirements -> resolution -> trees in the store -> manifest.

`prepare(request)` builds the manifest of a context from scratch; `add(request)`
extends one with the distribution that provides an import name (on demand).
Both run in a child process of the script (see `_prepare`), so nothing they
import is visible to the script.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Tuple

from pkm.errors import InputFileError, PkmError

__all__ = ["add", "prepare"]

# `.pth` import lines run at activation only for these files (path lines are always honoured):
# setuptools' switch for its bundled distutils is the one widely needed on modern Pythons.
PTH_IMPORTS_ALLOWED = frozenset({"distutils-precedence.pth"})
POLICIES = ("off", "known", "any")


class Spec:
    """What a context asks for: requirements, where they were declared, and its runtime settings."""

    def __init__(self) -> None:
        self.requirements: List[Any] = []
        self.paths: List[str] = []  # the project's own importable directory
        self.policy = "known"
        self.settings: Dict[str, Any] = {}
        self.lock: Optional[Path] = None
        self.extensions: Dict[str, Any] = {}
        self.declare = "declare it"


def _check_python(spec_text: Any, where: str, line: Optional[int]) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if spec_text is None:
        return
    try:
        wanted = SpecifierSet(str(spec_text))
    except InvalidSpecifier:
        raise InputFileError(f"invalid requires-python `{spec_text}`", path=where, line=line,
                             hint='write e.g. requires-python = ">=3.10"') from None
    running = "%d.%d.%d" % sys.version_info[:3]
    if not wanted.contains(running, prereleases=True):
        raise PkmError(f"{where} requires Python {wanted}; this is Python {running} ({sys.executable})",
                       hint="run it with an interpreter that fits, e.g. `python3.X -m pkm.run ...`")


def _tool_settings(tool: Any, where: str, spec: Spec) -> None:
    pkm = tool.get("pkm", {}) if isinstance(tool, dict) else {}
    for key in ("index-url", "extra-index-url", "find-links"):
        if key in pkm:
            value = pkm[key]
            spec.settings[key] = tuple(value) if isinstance(value, list) else value
    runtime = pkm.get("runtime", {})
    policy = runtime.get("on-demand", "known") if isinstance(runtime, dict) else "known"
    if policy not in POLICIES:
        raise InputFileError(f"[tool.pkm.runtime] on-demand must be one of {', '.join(POLICIES)}", path=where,
                             hint='write on-demand = "known" (the default), "any" or "off"')
    spec.policy = policy


def read_spec(context: Dict[str, Any], extra: List[str]) -> Spec:
    """The Spec of a context described by the warm path (kind, path)."""
    from pkm._toml import key_line, parse_toml, read_text
    from pkm.project._pyproject import requirement_list

    spec = Spec()
    kind, path = context["kind"], context["path"]
    if kind == "script":
        from pkm_runtime.context import script_block

        block = script_block(read_text(path), path) or ""
        data = parse_toml(block, f"{path} (its `# /// script` block)")
        line = lambda key: key_line(block, key)  # noqa: E731 - lines inside the block
        spec.requirements = requirement_list(data.get("dependencies", []), path, block, "dependencies", None)
        _check_python(data.get("requires-python"), path, line("requires-python"))
        _tool_settings(data.get("tool", {}), path, spec)
        spec.declare = f"declare it: pkm add --script {path} {{dist}}"
    elif kind == "project":
        text = read_text(path)
        data = parse_toml(text, path)
        project = data.get("project", {})
        line = lambda key: key_line(text, key, "project")  # noqa: E731
        spec.requirements = requirement_list(project.get("dependencies", []), path, text, "dependencies", "project")
        _check_python(project.get("requires-python"), path, line("requires-python"))
        _tool_settings(data.get("tool", {}), path, spec)
        root = Path(path).parent
        spec.paths = [_importable(root)]
        lock = root / "pylock.toml"
        spec.lock = lock if lock.is_file() else None
        workspace = _workspace(Path(path), text)
        if workspace is not None:  # a member (or a virtual root): the workspace's view, as `pkm sync` has it
            spec.requirements = list(workspace.dependencies)
            spec.paths = [_importable(member.root) for member in workspace.members]
            lock = workspace.root / "pylock.toml"
            spec.lock = lock if lock.is_file() else None
        spec.extensions = _extensions(Path(path))
        spec.declare = f"declare it: pkm add {{dist}} (in {path.rsplit('/', 1)[0]})"
    else:
        spec.declare = (f"declare it: pkm add --script {path} {{dist}}" if path.endswith(".py") and os.path.isfile(path)
                        else "declare it in a `# /// script` block: dependencies = [\"{dist}\"]")
    spec.requirements += requirement_list(list(extra), "--with", "", "--with", None)
    return spec


def _importable(root: Path) -> str:
    """The directory a project's own package is imported from: `src/` when it has one."""
    return str(root / "src") if (root / "src").is_dir() else str(root)


def _workspace(pyproject: Path, text: str) -> Any:
    """The workspace view (`pkm.project.in_workspace`) of the project at `pyproject` when it is a
    member of a workspace or a virtual root; None for a project on its own. Cost: nothing unless a
    pyproject.toml above (or this one) declares a workspace."""
    from pkm.project import in_workspace, parse_project

    if "workspace" not in text and not any("workspace" in _text_or_empty(d / "pyproject.toml")
                                           for d in pyproject.resolve().parent.parents):
        return None
    view = in_workspace(parse_project(text, pyproject))
    return view if view.members else None


def _text_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return ""


def _extensions(pyproject: Path) -> Dict[str, Any]:
    from pkm.project.extensions import read_extensions

    return read_extensions(pyproject)


class Session:
    """The services of one cold run: settings, index, store, console."""

    def __init__(self, spec: Spec, offline: bool) -> None:
        import argparse

        from pkm.cli._context import Context
        from pkm.ui import Console

        env_keys = {"index-url": "PKM_INDEX_URL", "extra-index-url": "PKM_EXTRA_INDEX_URL",
                    "find-links": "PKM_FIND_LINKS"}
        args = argparse.Namespace(offline=offline or None)
        for key, value in spec.settings.items():  # the script's [tool.pkm]; PKM_* variables win
            if env_keys[key] not in os.environ:
                setattr(args, key.replace("-", "_"), list(value) if isinstance(value, tuple) else value)
        self.console = Console()
        self.ctx = Context(args, self.console)


def _resolve(spec: Spec, session: Session, requirements: List[Any], preferences: Tuple = ()) -> Any:
    from pkm.cli._resolve import explained
    from pkm.resolver import NoResolution, Options, Target, resolve

    from pkm.cli.resolve import sdist_metadata

    options = Options(tmp_dir=session.ctx.tmp_dir(), preferences=preferences, build_metadata=sdist_metadata(session.ctx))
    try:
        return resolve(requirements, session.ctx.index(), Target.running(), options)
    except NoResolution as error:
        raise explained(error) from None


def _lock_preferences(lock: Optional[Path]) -> Tuple:
    if lock is None:
        return ()
    from pkm.lock import read_lock

    return tuple((p.name, p.version) for p in read_lock(lock).packages if p.version is not None)


def _materialize(resolution: Any, session: Session, requested: set) -> List[Dict[str, Any]]:
    """Manifest entries for every resolved package, its tree now in the store."""
    from pkm.cli._materialize import _prepare_trees
    from pkm.cli._resolve import to_pins

    pins = to_pins(resolution)
    if not pins:
        return []
    store = session.ctx.store()
    interpreter = SimpleNamespace(cache_tag=sys.implementation.cache_tag, executable=sys.executable)
    from pkm.cli.build import SdistBuilder

    # No bytecode now: the script should not wait for it. `compile_later` adds it once the
    # script runs (Python compiles what it imports in memory meanwhile; trees are read-only).
    digests = _prepare_trees(pins, store, session.ctx.http(), session.console, interpreter,
                             SdistBuilder(session.ctx).tree_of_sdist, bytecode=False)
    entries = []
    for pin in pins:
        tree = store.tree_path(digests[pin.name])
        entries.append(describe_tree(tree, pin.name, pin.version, pin.name in requested))
    return entries


def compile_later(manifest: Dict[str, Any]) -> None:
    """Add this interpreter's bytecode to the manifest's trees that lack it (best effort: run after
    the answer went back, while the script already runs; the next run imports at full speed)."""
    from pkm.store import Compiler, Store

    tag = sys.implementation.cache_tag
    with Compiler(sys.executable) as compiler:  # one interpreter, tree after tree: a core stays the script's
        for dist in manifest.get("distributions", ()):
            tree = Path(dist["tree"])
            try:
                store = Store(tree.parent.parent)
                info = store.tree_info(tree.name)
                if info is not None and tag not in info.interpreters:
                    store.compile_tree(tree.name, sys.executable, compiler=compiler)
            except Exception:  # noqa: BLE001 - nobody waits for this; the tree stays usable without bytecode
                continue
    view = manifest.get("view")
    if view:
        from pkm.store._view import add_bytecode

        try:
            add_bytecode(Store(Path(view).parent.parent), Path(view))
        except Exception:  # noqa: BLE001 - as above: the view works without it
            pass


def describe_tree(tree: Path, name: str, version: str, requested: bool) -> Dict[str, Any]:
    """The manifest entry of one tree: its import roots, top-level names, dist-info and `.pth` lines."""
    roots = [tree] + [d for d in sorted(tree.glob("*.data")) for d in (d / "purelib", d / "platlib") if d.is_dir()]
    top: set = set()
    dist_info = ""
    paths: List[str] = []
    imports: List[str] = []
    for root in roots:
        for entry in root.iterdir():
            label = entry.name
            if label.endswith(".dist-info") and entry.is_dir():
                dist_info = dist_info or label
            elif entry.is_dir():
                if label.isidentifier() and label != "__pycache__" and not label.endswith(".data"):
                    top.add(label)
            elif label.endswith(".py"):
                top.add(label[:-3])
            elif label.endswith((".so", ".pyd")) and label.split(".")[0].isidentifier():
                top.add(label.split(".")[0])
            elif label.endswith(".pth"):
                _pth_lines(entry, root, paths, imports)
    return {"name": name, "version": version, "tree": str(tree), "roots": [str(r) for r in roots],
            "top_level": sorted(n for n in top if n.isidentifier()), "dist_info": dist_info,
            "requested": requested, "paths": paths, "pth_imports": imports}


def _pth_lines(pth: Path, root: Path, paths: List[str], imports: List[str]) -> None:
    try:
        lines = pth.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line in lines:
        line = line.rstrip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("import ", "import\t")):
            if pth.name in PTH_IMPORTS_ALLOWED:
                imports.append(line)
            continue
        target = (root / line).resolve()
        if target.is_dir() and str(target).startswith(str(root)):
            paths.append(str(target))


def _manifest(context: Dict[str, Any], spec: Spec, entries: List[Dict[str, Any]]) -> Dict[str, Any]:
    from pkm_runtime.context import interpreter_id

    return {
        "interpreter": interpreter_id(),
        "context": {"kind": context["kind"], "path": context["path"]},
        "distributions": entries,
        "paths": spec.paths + [p for e in entries for p in e.get("paths", ())],
        "pth_imports": [line for e in entries for line in e.get("pth_imports", ())],
        "on_demand": spec.policy,
        "declare": spec.declare,
        "extensions": spec.extensions,
    }


def _save(request: Dict[str, Any], data: Dict[str, Any], session: Session) -> None:
    if not request.get("persist"):
        return
    from pkm_runtime import manifest

    manifest.write(request["manifest"], data)
    digests = sorted(Path(e["tree"]).name for e in data["distributions"])
    if digests:
        views = [os.path.basename(data["view"])] if data.get("view") else []  # a view's directory is its key
        session.ctx.store().add_root(Path(request["manifest"]), "runtime", trees=digests, blobs=digests, views=views)


def prepare(request: Dict[str, Any]) -> Dict[str, Any]:
    """Resolve the context and materialize it; returns the manifest (written when persistent)."""
    spec = read_spec(request["context"], request.get("with", []))
    session = Session(spec, request.get("offline", False))
    with session.ctx:
        entries: List[Dict[str, Any]] = []
        if spec.requirements:
            resolution = _resolve(spec, session, spec.requirements, _lock_preferences(spec.lock))
            requested = {_canonical(r.name) for r in spec.requirements}
            entries = _materialize(resolution, session, requested)
        data = _manifest(request["context"], spec, entries)
        _attach_view(data, session)
        _save(request, data, session)
    return data


def _attach_view(data: Dict[str, Any], session: Session) -> None:
    """A view for the context when one of its trees needs its siblings (`pkm.run._view`)."""
    if data["distributions"]:
        from pkm.run._view import attach_view

        attach_view(data, session.ctx.store())


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def add(request: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Dict[str, Any]], str]:
    """Extend the manifest `request["current"]` with a distribution providing import `request["name"]`.

    Returns (manifest, new entries, message for stderr). Raises PkmError saying why not:
    an unknown or ambiguous name, a conflict with what is active, no network.
    """
    from packaging.requirements import Requirement

    name = request["name"]
    current = request["current"]
    spec = read_spec(request["context"], request.get("with", []))
    candidates = _candidates(name, request.get("policy", "known"), spec)
    session = Session(spec, request.get("offline", False))
    active = [Requirement(f"{d['name']}=={d['version']}") for d in current.get("distributions", ())]
    failure: Optional[PkmError] = None
    with session.ctx:
        for dist in candidates:
            try:
                resolution = _resolve(spec, session, active + [Requirement(dist)])
            except PkmError as error:
                failure = failure or error
                continue
            known = {_canonical(d["name"]) for d in current.get("distributions", ())}
            fresh = [p for p in resolution.packages if p.name not in known]
            provider = next((p for p in fresh if p.name == _canonical(dist)), None)
            entries = _materialize(_only(resolution, fresh), session, set())
            mine = next((e for e in entries if provider is not None and e["name"] == provider.name), None)
            if mine is None or name not in mine["top_level"]:
                failure = failure or PkmError(f"{dist} does not provide the module `{name}`",
                                              hint="declare the distribution that does")
                continue
            for entry in entries:
                entry["on_demand"] = True
            data = dict(_manifest(request["context"], spec, []), **current)
            data["distributions"] = list(current.get("distributions", ())) + entries
            data["paths"] = list(current.get("paths", ())) + [p for e in entries for p in e.get("paths", ())]
            _attach_view(data, session)
            _save(request, data, session)
            declare = current.get("declare", spec.declare).replace("{dist}", mine["name"])
            message = f"pkm: '{name}' resolved on demand to {mine['name']} {mine['version']}; {declare}\n"
            return data, entries, message
    assert failure is not None
    raise failure


def _only(resolution: Any, packages: List[Any]) -> Any:
    return SimpleNamespace(packages=packages)


def _candidates(name: str, policy: str, spec: Spec) -> List[str]:
    from pkm.run import import_names

    if import_names.is_ambiguous(name):
        raise PkmError(f"`{name}` is a namespace that many distributions share; pkm will not guess which one",
                       hint=spec.declare.replace("{dist}", "<the distribution you mean>"))
    found = import_names.candidates(name)
    if not found and policy == "any":
        found = [name]
    if not found:
        raise PkmError(f"no known distribution provides the module `{name}`",
                       hint=spec.declare.replace("{dist}", "<distribution>")
                       + "; or allow a guess by name with --allow-unknown")
    return found[:3]
