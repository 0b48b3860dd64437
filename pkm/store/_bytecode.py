"""Compile a tree's modules to bytecode, for this interpreter or another one."""

from __future__ import annotations

import compileall
import os
import re
import subprocess
import sys
import threading
import warnings
from pathlib import Path

from pkm.errors import PkmError

__all__ = ["Compiler", "compile_here", "compile_with", "skip_pattern"]

# warnings.catch_warnings swaps process-wide state; the installer unpacks on a
# thread pool, so compiles take turns. Compiling holds the GIL anyway.
_COMPILE_LOCK = threading.Lock()

# compileall skips a source when `rx.search(path)` is true: skip the paths that are not
# importable, and every source whose bytecode file exists already. A wheel may ship its
# own `__pycache__/*.pyc` (listed in its RECORD); overwriting it would make the tree
# disagree with RECORD. Shared by both compile paths (stdlib only: it runs in another
# interpreter too).
_SKIP = """\
import importlib.util, os
class Skip:
    def __init__(self, rx):
        self.rx = rx
    def search(self, path):
        return bool(self.rx.search(path)) or os.path.exists(importlib.util.cache_from_source(path))
"""

# Run by another interpreter: for each line `<root>\0<skip pattern>` on stdin, compile the
# tree quietly, then say which cache tag it wrote (one line per tree).
_FOREIGN = _SKIP + """\
import compileall, re, sys, warnings
warnings.simplefilter("ignore")
for line in sys.stdin:
    root, pattern = line.rstrip("\\n").split("\\0")
    compileall.compile_dir(root, quiet=2, rx=Skip(re.compile(pattern)))
    print(sys.implementation.cache_tag, flush=True)
"""

_namespace: dict = {}
exec(_SKIP, _namespace)  # the same class, for compiles in this interpreter
_Skip = _namespace["Skip"]


def skip_pattern(root: Path) -> str:
    """A regex of the paths not to compile: `.data/{scripts,headers,data}` are not importable."""
    sep = re.escape(os.sep)
    return re.escape(str(root)) + sep + r"[^" + sep + r"]+\.data" + sep + r"(?:scripts|headers|data)(?:" + sep + "|$)"


def compile_here(root: Path, *, ddir: Path | None = None) -> str:
    """Compile every importable `.py` under `root` with the running interpreter; returns its cache tag.

    Quiet: files that do not compile (e.g. Python 2 test data) are skipped, as
    pip does. `.pyc` names carry the cache tag, so other versions can add theirs.
    A bytecode file that exists already (shipped by the wheel) is never overwritten.
    `ddir` is the directory the code objects name as their home (where `root`
    will be renamed to); importing from elsewhere fixes the names up.
    """
    with _COMPILE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compileall.compile_dir(str(root), ddir=str(ddir) if ddir else None, quiet=2,
                               rx=_Skip(re.compile(skip_pattern(root))), workers=1)
    return sys.implementation.cache_tag


class Compiler:
    """An interpreter (`python`, an executable) that compiles trees on request, one after another.

    It starts on the first `compile` and serves every later one: a tree costs its compile, not
    an interpreter start (~20 ms). One `Compiler` per thread; `close` (or `with`) ends it.
    Raises PkmError if the interpreter cannot be run or dies.
    """

    def __init__(self, python: str | Path, *, timeout: float = 600.0):
        self.python = str(python)
        self.timeout = timeout
        self._proc: subprocess.Popen | None = None
        self._errors = None

    def __enter__(self) -> "Compiler":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def compile(self, root: Path) -> str:
        """Compile every importable `.py` under `root` (as `compile_here` does); returns the cache tag."""
        import tempfile

        try:
            if self._proc is None:
                self._errors = tempfile.TemporaryFile()
                self._proc = subprocess.Popen([self.python, "-I", "-c", _FOREIGN], stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=self._errors)
            self._proc.stdin.write(f"{root}\0{skip_pattern(Path(root))}\n".encode("utf-8", "surrogateescape"))
            self._proc.stdin.flush()
            tag = self._proc.stdout.readline().decode("ascii", "replace").strip()
        except OSError as exc:
            self.close()
            raise PkmError(f"cannot compile bytecode with {self.python}", why=str(exc),
                           hint="check that the interpreter exists and runs") from exc
        if not tag:
            why = self._failure()
            raise PkmError(f"cannot compile bytecode with {self.python}", why=why,
                           hint="check that the interpreter exists and runs")
        return tag

    def _failure(self) -> str:
        """What the interpreter said before it stopped answering; it is ended."""
        try:
            status = self._proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            status = None
        self._errors.seek(0)
        text = self._errors.read().decode("utf-8", "replace").strip()
        self.close()
        return (text or f"exit status {status}")[-2000:]

    def close(self) -> int | None:
        """End the interpreter (it finishes the tree in hand); its exit status, None if none ran."""
        proc, self._proc = self._proc, None
        errors, self._errors = self._errors, None
        if errors is not None:
            errors.close()
        if proc is None:
            return None
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            return proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
        finally:
            proc.stdout.close()


def compile_with(python: str | Path, root: Path, *, timeout: float = 600.0) -> str:
    """Compile `root` with another interpreter `python` in a subprocess; returns its cache tag.

    Cost: one interpreter start plus the compile (a `Compiler` serves many trees with one start).
    Raises PkmError if the interpreter cannot be run.
    """
    with Compiler(python, timeout=timeout) as compiler:
        return compiler.compile(root)
