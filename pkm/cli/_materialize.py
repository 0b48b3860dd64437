"""The install pipeline: pins -> fetched blobs -> store trees -> one all-or-nothing plan on an environment.

    changes = plan_changes(pins, target.installed(), exact=True)
    report = materialize(changes, target, store=store, http=ctx.http, console=ctx.console)

Where the pins come from (a lock, the resolver, an index lookup) is not this
module's concern. `http` is the HTTP client, or a function that makes it
(`ctx.http`): called only when a wheel must be downloaded, so that a warm
install never builds a client (nor imports `http.client` and `ssl`).

The steps: refuse sdists (no builds yet) before any work; fetch the missing
artifacts into the store in parallel, each verified against its sha256 and size; unpack each wheel once into its tree (with `.pyc` for the
environment's interpreter); apply every change to the environment under the
installer's journal (nothing changes if any step fails); register the
environment as a store root so that gc keeps its trees.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from pkm.errors import PkmError

__all__ = ["Changes", "plan_changes", "materialize", "render_changes", "lock_pins"]

_FETCH_WORKERS = 8


@dataclass
class Changes:
    """What a run does to an environment: pins to add, (installed, pin) to change, installed dists to remove."""

    add: List[Any] = field(default_factory=list)
    change: List[Tuple[Any, Any]] = field(default_factory=list)
    remove: List[Any] = field(default_factory=list)
    keep: List[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.add or self.change or self.remove)

    def pins(self) -> List[Any]:
        return list(self.add) + [pin for _, pin in self.change]


def plan_changes(pins: Sequence[Any], installed: Mapping[str, Any], *, exact: bool, reinstall: bool = False) -> Changes:
    """Compare pins with what is installed (normalized name -> InstalledDist), by name and version only.

    `exact` removes what no pin names (sync); `reinstall` changes pins already at their version too.
    Pure: no I/O, so a no-op run is decided before the network is touched.
    """
    from packaging.version import InvalidVersion, Version

    def same(a: str, b: str) -> bool:
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            return a == b

    changes = Changes()
    named = set()
    for pin in sorted(pins, key=lambda p: p.name):
        named.add(pin.name)
        current = installed.get(pin.name)
        if current is None:
            changes.add.append(pin)
        elif reinstall or not same(current.version, pin.version):
            changes.change.append((current, pin))
        else:
            changes.keep.append(pin)
    if exact:
        changes.remove = [dist for key, dist in sorted(installed.items()) if key not in named]
    return changes


def _refuse_sdists(pins: Sequence[Any]) -> None:
    sdists = [pin for pin in pins if not pin.is_wheel]
    if sdists:
        names = ", ".join(f"{pin.name}=={pin.version}" for pin in sdists)
        raise PkmError(
            f"cannot install {names}: only a source distribution is available for this environment",
            why="this command does not build from source: " + ", ".join(pin.filename for pin in sdists),
            hint="pick a version that has a wheel for this interpreter (`pkm install --only-binary :all:` "
                 "chooses one; a lock needs a wheel for it), or use an interpreter those wheels exist for",
        )


class _Fetcher:
    """Puts each pin's wheel in the store as a blob; one shared byte count feeds the progress bar."""

    def __init__(self, store: Any, http: Any, bar: Any, total: Optional[int]):
        self.store, self.http, self.bar, self.total = store, http, bar, total
        self._lock = threading.Lock()
        self._done: Dict[str, int] = {}

    def _progress(self, key: str):
        def update(done: int, _total: Optional[int] = None) -> None:
            with self._lock:
                self._done[key] = done
                self.bar.update(sum(self._done.values()), self.total)
        return update

    def fetch(self, pin: Any) -> str:
        """The sha256 of the pin's wheel, now in the store."""
        from pkm.store import check_sha256

        local = pin.local_path()
        if local is not None:
            if not local.is_file():
                raise PkmError(f"cannot install {pin.name}=={pin.version}: {local} does not exist",
                               hint="check the path in the lock, or regenerate it")
            digest = pin.sha256 or _hash_file(local)
            self.store.add_blob(local, check_sha256(digest))
            return digest
        if not pin.location.startswith(("http://", "https://")):
            raise PkmError(f"cannot download {pin.filename}: the URL scheme of {pin.location!r} is not allowed",
                           hint="artifacts come over http(s), or from a local path")
        import uuid

        dest = self.store.tmp / f"fetch-{uuid.uuid4().hex}.whl"
        try:
            self.http.download(pin.location, dest, tmp_dir=self.store.tmp, sha256=pin.sha256, size=pin.size,
                               progress=self._progress(pin.filename))
            digest = pin.sha256 or _hash_file(dest)
            self.store.add_blob(dest, check_sha256(digest), move=True)
        finally:
            if dest.exists():
                dest.unlink()
        return digest


def _hash_file(path: Path) -> str:
    from pkm.store import hash_file

    return hash_file(path)[0]


def _run_all(func, items: Sequence[Any], workers: int) -> List[Any]:
    """func over items on a pool; every item finishes before the first error is raised (nothing half-done)."""
    if len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = [pool.submit(func, item) for item in items]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def _prepare_trees(pins: Sequence[Any], store: Any, http: Any, console: Any, interpreter: Any,
                   build: Optional[Callable[[Path, str, str], str]] = None, *,
                   bytecode: bool = True) -> Dict[str, str]:
    """pin name -> wheel sha256, with the wheel's tree in the store (fetched and unpacked as needed).

    `bytecode=False` leaves trees it unpacks without `.pyc` for now (the runtime compiles
    them after its script has started: `Store.compile_tree` adds them later).

    `http` is a client, or a function without arguments that returns one (called only when a pin must
    be downloaded). An sdist pin is fetched, then `build(sdist path, sha256, file name)` makes its wheel's tree and says
    its digest (`pkm.cli.build.SdistBuilder.tree_of_sdist`); without `build`, sdists are refused."""
    if build is None:
        _refuse_sdists(pins)
    have = {pin.name: pin.sha256 for pin in pins if pin.sha256 and store.tree(pin.sha256) is not None}
    missing = [pin for pin in pins if pin.name not in have]
    blobs = [pin for pin in missing if not (pin.sha256 and store.blob(pin.sha256) is not None)]
    digests = dict(have)
    tag = interpreter.cache_tag if bytecode else None
    with _Compiling(store, interpreter.executable, tag) as compiling:
        # Trees already here that lack bytecode compile while the rest downloads, largest first.
        for digest in sorted(set(have.values()), key=lambda digest: _source_bytes(store, digest), reverse=True):
            compiling.add(digest)
        if blobs:
            if callable(http) and any(pin.local_path() is None for pin in blobs):
                http = http()  # a factory (see the module docstring): something must be downloaded
            sizes = [pin.size for pin in blobs]
            total = sum(sizes) if all(s is not None for s in sizes) else None
            label = blobs[0].filename if len(blobs) == 1 else f"{len(blobs)} wheels"
            with console.progress(f"Fetching {label}", total, unit="bytes") as bar:
                fetcher = _Fetcher(store, http, bar, total)
                for pin, digest in zip(blobs, _run_all(fetcher.fetch, blobs, _FETCH_WORKERS)):
                    digests[pin.name] = digest
        for pin in missing:
            digests.setdefault(pin.name, pin.sha256)

        def unpack(pin: Any) -> None:
            digest = digests[pin.name]
            blob = store.blob(digest)
            if blob is None:
                raise PkmError(f"the {'wheel' if pin.is_wheel else 'sdist'} of {pin.name} vanished from the store "
                               "while installing", hint="run the command again")
            if pin.is_wheel:
                # Bytecode comes from the target interpreter itself, compiling while the next wheels unpack.
                store.add_tree(blob, digest, filename=pin.filename, compile=False)
            else:
                digests[pin.name] = build(blob, digest, pin.filename)  # type: ignore[misc]  (refused above without it)
            compiling.add(digests[pin.name])

        # Unpacking is CPU work (inflating, hashing) under one GIL: a thread per core, the largest
        # wheels first (more threads only fought over the GIL: twice the system time).
        wheels = sorted((pin for pin in missing if pin.is_wheel), key=lambda pin: pin.size or 0, reverse=True)
        _run_all(unpack, wheels, os.cpu_count() or 1)
        for pin in missing:  # builds one at a time: each may run a backend that uses every core
            if not pin.is_wheel:
                unpack(pin)
    return digests


class _Compiling:
    """Adds the target interpreter's bytecode to trees as they are handed over (`add`), on a
    thread per core, each with its own compiling interpreter (`pkm.store.Compiler`: one start
    serves many trees). A no-op without a cache tag. Leaving the `with` block waits for every
    tree; the first compile error is raised then, unless another error is on its way out."""

    def __init__(self, store: Any, python: str, tag: Optional[str]):
        self.store, self.python, self.tag = store, python, tag
        self._pool: Any = None
        self._futures: List[Any] = []
        self._compilers: List[Any] = []
        self._local = threading.local()
        self._lock = threading.Lock()

    def __enter__(self) -> "_Compiling":
        return self

    def add(self, digest: str) -> None:
        if self.tag is None:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        self._futures.append(self._pool.submit(self._compile, digest))

    def _compile(self, digest: str) -> None:
        if not _lacks_bytecode(self.store, digest, self.tag):
            return
        compiler = getattr(self._local, "compiler", None)
        if compiler is None:
            from pkm.store import Compiler

            compiler = self._local.compiler = Compiler(self.python)
            with self._lock:
                self._compilers.append(compiler)
        self.store.compile_tree(digest, self.python, compiler=compiler)

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self._pool is None:
            return
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)  # on an error, only what runs
        for compiler in self._compilers:
            compiler.close()
        if kind is None:  # (with an error on its way out, futures were cancelled: nothing to add)
            failed = next((f.exception() for f in self._futures if f.exception() is not None), None)
            if failed is not None:
                raise failed


def _lacks_bytecode(store: Any, digest: str, tag: str) -> bool:
    info = store.tree_info(digest)
    return info is not None and tag not in info.interpreters


def _source_bytes(store: Any, digest: str) -> int:
    """The size of a tree's Python sources (what compiling it costs), from its file list."""
    from pkm.store import read_file_list

    rows = read_file_list(store.tree_path(digest)) or ()
    return sum(size for path, size, _, _ in rows if path.endswith(".py"))


def _register_root(store: Any, target: Any, digests: Mapping[str, str], exact: bool) -> None:
    """The environment keeps its trees alive in gc; `install` adds to the previous record, `sync` replaces it."""
    keep: Set[str] = set(digests.values())
    if not exact:
        prefix = os.path.abspath(target.path)
        for root in store.roots():
            if os.path.abspath(root.path) == prefix:
                keep |= set(root.trees)
    store.add_root(target.path, "environment", trees=sorted(keep), blobs=sorted(keep))


def materialize(
    changes: Changes,
    target: Any,
    *,
    store: Any,
    http: Any,
    console: Any,
    link_mode: str = "hardlink",
    exact: bool = False,
    requested: Optional[Set[str]] = None,
    build: Optional[Callable[[Path, str, str], str]] = None,
) -> Any:
    """Make `target` match `changes`; returns `pkm.install.Applied`. All or nothing: a failed fetch,
    hash check or install leaves the environment as it was. `requested` names the pins the user
    asked for (REQUESTED is written for them); None means all. `http`: a client or a function
    that makes one (only called when something must be downloaded).
    """
    from pkm.install import Install, Remove, TreeSource, Upgrade, apply

    pins = changes.pins()
    digests = _prepare_trees(pins, store, http, console, target.interpreter, build)
    plan: List[Any] = [Remove(dist.name) for dist in changes.remove]
    for pin in pins:
        source = TreeSource(store.tree_path(digests[pin.name]))
        wanted = requested is None or pin.name in requested
        step = Install if pin in changes.add else Upgrade
        plan.append(step(source, requested=wanted))
    applied = apply(plan, target.environment, link_mode=link_mode)
    keep = {pin.name: pin.sha256 for pin in changes.keep if pin.sha256}
    _register_root(store, target, {**keep, **digests}, exact)
    return applied


def render_changes(changes: Changes, seconds: float, *, verb: str = "Installed") -> Tuple[str, dict]:
    """The text (uv-like ` + a==1`, ` - b==2`, ` ~ c 1 -> 2` lines after a summary) and the JSON data."""
    lines = []
    for dist in changes.remove:
        lines.append((dist.name.lower(), f" - {dist.name}=={dist.version}"))
    for pin in changes.add:
        lines.append((pin.name, f" + {pin.name}=={pin.version}"))
    for dist, pin in changes.change:
        arrow = f"{dist.version} -> {pin.version}" if dist.version != pin.version else f"{pin.version} (reinstalled)"
        lines.append((pin.name, f" ~ {pin.name} {arrow}"))
    counts = []
    if changes.add:
        counts.append(f"{verb.lower()} {len(changes.add)}")
    if changes.change:
        counts.append(f"changed {len(changes.change)}")
    if changes.remove:
        counts.append(f"removed {len(changes.remove)}")
    summary = ", ".join(counts)
    summary = summary[0].upper() + summary[1:]
    total = len(changes.add) + len(changes.change) + len(changes.remove)
    text = f"{summary} package{'s' if total != 1 else ''} in {_duration(seconds)}\n"
    text += "\n".join(line for _, line in sorted(lines))
    data = {
        "added": [{"name": p.name, "version": p.version} for p in changes.add],
        "changed": [{"name": p.name, "from": d.version, "to": p.version} for d, p in changes.change],
        "removed": [{"name": d.name, "version": d.version} for d in changes.remove],
        "unchanged": len(changes.keep),
        "seconds": round(seconds, 3),
    }
    return text, data


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


def lock_pins(path: Path, target: Any, *, where: Optional[str] = None) -> List[Any]:
    """The pins of the lock file at `path` for `target`'s interpreter (read, validated, selected)."""
    from pkm.lock import pins_from_lock, read_lock

    lock = read_lock(path)
    interpreter = target.interpreter
    return pins_from_lock(lock, marker_env=interpreter.markers(), tags=interpreter.tags(),
                          lock_dir=Path(os.path.abspath(path)).parent, where=where or str(path))
