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

__all__ = ["compile_here", "compile_with", "skip_pattern"]

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

# Run by another interpreter: compile quietly, then say which cache tag it wrote.
_FOREIGN = _SKIP + """\
import compileall, re, sys, warnings
warnings.simplefilter("ignore")
compileall.compile_dir(sys.argv[1], quiet=2, rx=Skip(re.compile(sys.argv[2])))
print(sys.implementation.cache_tag)
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


def compile_with(python: str | Path, root: Path, *, timeout: float = 600.0) -> str:
    """Compile `root` with another interpreter `python` in a subprocess; returns its cache tag.

    Cost: one interpreter start plus the compile. Raises PkmError if the
    interpreter cannot be run.
    """
    cmd = [str(python), "-I", "-c", _FOREIGN, str(root), skip_pattern(root)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PkmError(f"cannot compile bytecode with {python}", why=str(exc),
                       hint="check that the interpreter exists and runs") from exc
    tag = proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else []
    if not tag:
        raise PkmError(f"cannot compile bytecode with {python}",
                       why=(proc.stderr.strip() or f"exit status {proc.returncode}")[-2000:],
                       hint="check that the interpreter exists and runs")
    return tag[0]
