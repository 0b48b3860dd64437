"""Calling one PEP 517 hook in a subprocess of a build environment, through `hooks/pep517.py`.

    caller = HookCaller(tree, system, python, env=variables, log=Path("build.log"))
    name = caller.call("build_wheel", {"wheel_directory": out, "config_settings": {...}})

Input and output are JSON files in a private control folder; the backend's own stdout and stderr
are appended to the log file, never shown. A hook that fails is a BuildFailed error holding the
last lines of that log and its path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from pkm.errors import PkmError

__all__ = ["BuildFailed", "HookCaller", "Unsupported", "tail", "RUNNER_FORMAT"]

RUNNER_FORMAT = 1  # the "runner" version of hooks/pep517.py this module reads
_TAIL_LINES = 20
_TAIL_WIDTH = 400  # characters of a shown line


class BuildFailed(PkmError):
    """A backend hook failed; `log` is the path of the full build output."""

    def __init__(self, what: str, *, why: Optional[str] = None, hint: Optional[str] = None,
                 log: Optional[Path] = None):
        super().__init__(what, why=why, hint=hint)
        self.log = log


class Unsupported(Exception):
    """The backend does not provide an optional hook (the caller falls back as PEP 517 says)."""


def tail(path: Optional[Path], lines: int = _TAIL_LINES) -> str:
    """The last `lines` lines of the text file at `path` ("" when absent), each cut to 400
    characters. Cost: reads at most 64 KiB."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(_cut(line) for line in data.rstrip("\n").splitlines()[-lines:])


def _cut(line: str, width: int = _TAIL_WIDTH) -> str:
    """`line`, or its start and end around what is cut when longer than `width` (a progress
    bar or a dumped blob is one line; the terminal gets its ends, the log keeps it whole)."""
    if len(line) <= width:
        return line
    keep = width // 2
    return f"{line[:keep]} ... ({len(line) - 2 * keep} characters cut) ... {line[-keep:]}"


class HookCaller:
    """Runs hooks of one backend for one source tree with one interpreter.

    `python` is the build environment's interpreter; `env` the complete environment of the
    subprocess; every hook's output is appended to `log`. Thread-safe: each call has its
    own control folder. Cost per call: one interpreter start plus the hook's own work.
    """

    def __init__(self, tree: Path, backend: str, backend_path: List[str], python: str, *,
                 env: Mapping[str, str], log: Path, label: str):
        self.tree = Path(tree)
        self.backend = backend
        self.backend_path = list(backend_path)
        self.python = python
        self.env = dict(env)
        self.log = Path(log)
        self.label = label

    def call(self, hook: str, kwargs: Dict[str, Any]) -> Any:
        """The hook's return value. Raises Unsupported for a missing optional hook (and for
        build_sdist's UnsupportedOperation), BuildFailed for every other failure."""
        import pkm_runtime

        control = tempfile.mkdtemp(prefix="pkm-hook-")
        try:
            with open(os.path.join(control, "input.json"), "w", encoding="utf-8") as f:
                json.dump({"kwargs": kwargs, "backend": self.backend, "backend_path": self.backend_path}, f)
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log, "ab") as log:
                log.write(f"==> {hook} ({self.backend})\n".encode("utf-8"))
                log.flush()
                try:
                    code = subprocess.call([self.python, pkm_runtime.hook_script("pep517"), hook, control],
                                           cwd=str(self.tree), env=self.env, stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT)
                except OSError as exc:
                    raise BuildFailed(f"cannot start the build interpreter {self.python}", why=str(exc),
                                      hint="check that the interpreter exists and runs") from None
            return self._answer(hook, code, os.path.join(control, "output.json"))
        finally:
            shutil.rmtree(control, ignore_errors=True)

    def _answer(self, hook: str, code: int, output: str) -> Any:
        try:
            with open(output, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            raise self._failed(f"the build backend process exited with status {code} before {hook} answered")
        if data.get("runner") != RUNNER_FORMAT:
            raise PkmError(f"unknown hook runner format {data.get('runner')!r} (expected {RUNNER_FORMAT})",
                           hint="pkm and its hooks/ folder come from different versions; reinstall pkm-tool")
        if "return_val" in data:
            return data["return_val"]
        if data.get("unsupported"):
            raise Unsupported(hook)
        # The tail shown is the backend's own output (a compiler's error, say); the exception line is in
        # the message, and the traceback goes to the log only.
        last = tail(self.log)
        self._append(data.get("traceback", ""))
        if "hook_missing" in data:
            raise self._failed(f"the build backend {self.backend} has no {hook} hook",
                               hint="the backend is not a PEP 517 backend; check [build-system] build-backend",
                               last=last)
        if "backend_unavailable" in data:
            raise self._failed(f"the build backend {self.backend} cannot be imported",
                               why=data["backend_unavailable"],
                               hint="check [build-system] build-backend and that `requires` provides it",
                               last=last)
        if "backend_invalid" in data:
            raise self._failed(f"the build backend {self.backend} is not where backend-path says",
                               why=data["backend_invalid"], hint="fix [build-system] backend-path", last=last)
        raise self._failed(f"{hook} failed: {data.get('exception', 'unknown error')}", last=last)

    def _append(self, text: str) -> None:
        if text:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(text if text.endswith("\n") else text + "\n")

    def _failed(self, what: str, *, why: Optional[str] = None, hint: Optional[str] = None,
                last: Optional[str] = None) -> BuildFailed:
        last = tail(self.log) if last is None else last
        parts = [why, f"last lines of the build output:\n{last}" if last else None, f"full build log: {self.log}"]
        return BuildFailed(f"building {self.label} failed: {what}", why="\n".join(p for p in parts if p),
                           hint=hint or "read the build log above; fix the project, or report it to its authors",
                           log=self.log)
