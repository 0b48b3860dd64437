"""The PEP 517 frontend: source tree or sdist in, wheel / sdist / editable out, in isolated build environments.

    frontend = Frontend(store, interpreter, provisioner)
    sdist = frontend.build(Path("proj"), "sdist", out)
    wheel = frontend.wheel_from_sdist(sdist, sha256_of(sdist))      # cached in builds-v1/

Each build: read `[build-system]`; refuse a build-dependency cycle; build in-process when the
running pkm serves the backend (`_inprocess`); otherwise get a build environment for `requires`,
ask the backend for more (`get_requires_for_build_*`) and get one that has those too, then call
the build hook. The output goes to a log file under `build-logs-v1/`, deleted after a success.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from pkm.errors import HashMismatchError, PkmError

from ._cache import cache_entry, cached_wheel, publish
from ._env import BuildEnvs, Provisioner
from ._hooks import BuildFailed, HookCaller, Unsupported
from ._inprocess import build_in_process, serves_in_process
from ._sdist import extract_sdist, sdist_stem
from ._system import BuildSystem, read_build_system

__all__ = ["Frontend", "BuildCycleError", "KINDS", "build_wheel_from_sdist"]

KINDS = ("wheel", "sdist", "editable")
LOG_BUCKET = "build-logs-v1"
_OUT_ARG = {"wheel": "wheel_directory", "sdist": "sdist_directory", "editable": "wheel_directory"}


class BuildCycleError(PkmError):
    """Building a project needs, through its build requirements, that same project built."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class Frontend:
    """Builds for one store and one build interpreter. Thread-safe: several builds may run at once
    (the same sdist is built once; the others wait for its cache entry).

    `provisioner` fills build environments (see `pkm.build.Provisioner`); `in_process=False` never
    builds pkm's own backend in-process; `on_event` hears one line per step (for the console).
    """

    def __init__(self, store: Any, interpreter: Any, provisioner: Provisioner, *, in_process: bool = True,
                 on_event: Any = None):
        self.store = store
        self.interpreter = interpreter
        self.envs = BuildEnvs(store, provisioner)
        self.in_process = in_process
        self.on_event = on_event or (lambda message: None)

    # -- source trees ---------------------------------------------------------------------------

    def build(self, tree: Path, kind: str, out_dir: Path, config_settings: Optional[Mapping[str, Any]] = None,
              *, chain: Tuple[str, ...] = (), label: Optional[str] = None) -> Path:
        """Build the project at `tree` into `out_dir`; returns the path of the new file.

        `kind` is "wheel", "sdist" or "editable" (PEP 660). Nothing is written to `out_dir`
        unless the build succeeds. Raises BuildFailed (with the log's last lines and its path),
        BuildCycleError, InputFileError for a bad `[build-system]`, or what provisioning raises.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown build kind {kind!r}; expected one of {KINDS}")
        tree = Path(tree).resolve()
        system = read_build_system(tree)
        label = label or system.name or tree.name
        chain = self._enter(label, chain)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        # Staged outside the tree: a backend that walks its folder must not see its own output.
        staging = Path(tempfile.mkdtemp(prefix="build-out-", dir=str(self.store.tmp)))
        try:
            name = self._build_into(tree, system, kind, staging, dict(config_settings or {}), chain, label)
            built = staging / name
            if not name or "/" in name or not built.is_file():
                raise BuildFailed(f"building {label} failed: the backend said it wrote {name!r}, "
                                  f"but there is no such file", hint="report this to the backend's authors")
            final = out_dir / name
            shutil.move(str(built), str(final))  # a rename when out_dir shares the store's filesystem
            return final
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _enter(self, label: str, chain: Tuple[str, ...]) -> Tuple[str, ...]:
        name = _canonical(label)
        if name in chain:
            cycle = list(chain[chain.index(name) + 1:]) + [name]
            raise BuildCycleError(f"{name} is already being built for: {' -> '.join(cycle)}",
                                  why="build-dependency cycle: " + " -> ".join(list(chain) + [name]),
                                  hint="make a wheel of one of them available (e.g. with --find-links), "
                                       "or remove the cycle from their [build-system] requires")
        return chain + (name,)

    def _build_into(self, tree: Path, system: BuildSystem, kind: str, out: Path, config: Dict[str, Any],
                    chain: Tuple[str, ...], label: str) -> str:
        if self.in_process and serves_in_process(system, tree):
            self.on_event(f"Building {kind} of {label} with the running pkm (in-process)")
            try:
                return build_in_process(tree, kind, out)
            except (ValueError, OSError) as exc:
                raise BuildFailed(f"building {label} failed", why=str(exc),
                                  hint="fix the project's pyproject.toml as the message says") from None
        log = self._log_path(label, kind)
        self.on_event(f"Building {kind} of {label} with {system.backend}")
        caller = self._caller(tree, system, system.requires, chain, log, label)
        kwargs: Dict[str, Any] = {"config_settings": config}
        try:
            extra = caller.call(f"get_requires_for_build_{kind}", kwargs)
        except Unsupported:
            extra = []
        if extra:
            from packaging.requirements import InvalidRequirement, Requirement

            try:
                more = [Requirement(text) for text in extra]
            except (InvalidRequirement, TypeError) as exc:
                raise BuildFailed(f"building {label} failed: the backend asked for an invalid requirement",
                                  why=str(exc), hint="report this to the backend's authors", log=log) from None
            caller = self._caller(tree, system, tuple(system.requires) + tuple(more), chain, log, label)
        kwargs[_OUT_ARG[kind]] = str(out)
        if kind != "sdist":
            kwargs["metadata_directory"] = None
        try:
            name = caller.call(f"build_{kind}", kwargs)
        except Unsupported:
            raise BuildFailed(f"cannot build {label}: its backend {system.backend} cannot build an {kind}"
                              if kind == "editable" else f"cannot build {label}: {system.backend} has no build_{kind}",
                              hint="install it without -e" if kind == "editable" else None, log=log) from None
        if not isinstance(name, str):
            raise BuildFailed(f"building {label} failed: build_{kind} returned {name!r}, not a file name", log=log)
        try:
            log.unlink()  # kept only when something went wrong
        except OSError:
            pass
        return name

    def _caller(self, tree: Path, system: BuildSystem, requires: Any, chain: Tuple[str, ...], log: Path,
                label: str) -> HookCaller:
        env = self.envs.get(requires, self.interpreter, chain)
        return HookCaller(tree, system.backend, list(system.backend_path), env.python, env=env.environ(), log=log,
                          label=label)

    def _log_path(self, label: str, kind: str) -> Path:
        """A new, empty log file: `<label>-<kind>-<time>-<random>.log` (unique even for parallel builds)."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label)
        handle, path = tempfile.mkstemp(prefix=f"{safe}-{kind}-{time.strftime('%Y%m%dT%H%M%S')}-", suffix=".log",
                                        dir=str(self.store.bucket(LOG_BUCKET)))
        os.close(handle)
        return Path(path)

    # -- sdists ---------------------------------------------------------------------------------

    def extracted(self, sdist: Path) -> Tuple[Path, Path]:
        """(scratch folder, source tree) of `sdist` extracted safely; the caller removes the scratch folder."""
        scratch = Path(tempfile.mkdtemp(prefix="sdist-", dir=str(self.store.tmp)))
        try:
            return scratch, extract_sdist(Path(sdist), scratch / "src")
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise

    def build_from_sdist(self, sdist: Path, kind: str, out_dir: Path,
                         config_settings: Optional[Mapping[str, Any]] = None, *, chain: Tuple[str, ...] = ()) -> Path:
        """Extract `sdist` safely and build its project into `out_dir` (no cache: see `wheel_from_sdist`)."""
        scratch, tree = self.extracted(sdist)
        try:
            return self.build(tree, kind, out_dir, config_settings, chain=chain, label=_sdist_name(Path(sdist).name))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def wheel_from_sdist(self, sdist: Path, sha256: str, config_settings: Optional[Mapping[str, Any]] = None,
                         *, chain: Tuple[str, ...] = ()) -> Path:
        """The wheel built from the sdist at `sdist` (whose sha256 is `sha256`), from the cache when built before.

        Cached under `builds-v1/<sha256>/<key>/`, key = this interpreter's most specific tag and
        `config_settings`. The sdist is hashed first (HashMismatchError). Concurrent callers for
        the same entry build once. Cost on a hit: one small read (and the hash of the sdist).
        """
        sha256 = sha256.lower()
        sdist = Path(sdist)
        tag = str(self.interpreter.tags()[0])
        entry = cache_entry(self.store, sha256, tag, config_settings)
        found = cached_wheel(entry)
        if found is not None:
            self.on_event(f"Using the cached wheel of {sdist.name}")
            return found
        self._enter(_sdist_name(sdist.name), chain)  # before the lock: the outer build of a cycle holds it
        got = _hash(sdist)
        if got != sha256:
            raise HashMismatchError(f"sha256 of {sdist} does not match", why=f"expected {sha256}\n     got {got}",
                                    hint="the sdist is corrupt or was tampered with; fetch it again")
        with self.store.lock(f"build-{sha256[:16]}-{entry.name}", what=f"the build of {sdist.name}"):
            found = cached_wheel(entry)
            if found is not None:
                return found
            staging = Path(tempfile.mkdtemp(prefix="built-", dir=str(self.store.tmp)))
            try:
                wheel = self.build_from_sdist(sdist, "wheel", staging, config_settings, chain=chain)
                inputs = {"sdist": sdist.name, "sdist_sha256": sha256, "tag": tag,
                          "config_settings": dict(config_settings or {})}
                return publish(entry, staging, wheel.name, inputs)
            finally:
                shutil.rmtree(staging, ignore_errors=True)


def _sdist_name(filename: str) -> str:
    """The project name of an sdist file name (`alpha-1.0.tar.gz` -> `alpha`), best effort."""
    from packaging.utils import InvalidSdistFilename, parse_sdist_filename

    try:
        return str(parse_sdist_filename(filename)[0])
    except InvalidSdistFilename:
        return sdist_stem(filename).rpartition("-")[0] or sdist_stem(filename)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_wheel_from_sdist(sdist_path: Path, sha256: str, *, store: Any, interpreter: Any,
                           provisioner: Provisioner, config_settings: Optional[Mapping[str, Any]] = None,
                           chain: Tuple[str, ...] = ()) -> Path:
    """The wheel of an sdist for `interpreter`, built in an isolated environment or taken from the
    store's build cache; see `Frontend.wheel_from_sdist`. For the installer and the resolver."""
    return Frontend(store, interpreter, provisioner).wheel_from_sdist(sdist_path, sha256, config_settings,
                                                                       chain=chain)
