"""Project scenarios: a no-op `pkm sync`, and running in a synced project, against `uv sync` / `uv run`.

Each tool gets its own copy of one project (no build system, so nothing of its own to
build: the numbers are the tools' own overhead), synced once by the set-up. The
commands run from the work directory and name the project with `--project`; `pkm run`
(the runtime, which finds its context from the current directory) and its uv
counterpart go through `sh -c 'cd DIR && ...'`, which both pay alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

__all__ = ["PROJECT_FILES", "exec_commands", "project_setup", "run_in_project_commands", "sync_commands"]

Argv = List[str]
_PYPROJECT = '[project]\nname = "bench-project"\nversion = "0.1.0"\ndependencies = ["rich==15.0.0", "attrs==26.1.0"]\n'
PROJECT_FILES = {"proj-pkm/pyproject.toml": _PYPROJECT, "proj-uv/pyproject.toml": _PYPROJECT}


def project_setup(t: Any, w: Path) -> Dict[str, List[Argv]]:
    """Once per tool, untimed: lock and sync its copy (the timed runs find it in sync)."""
    return {"pkm": [[t.bin("pkm"), "sync", "-q", "--project", "proj-pkm"],
                    ["sh", "-c", f"cd proj-pkm && {t.bin('pkm')} run python -c pass"]],
            "uv": [[t.bin("uv"), "sync", "-q", "--python", t.python, "--project", "proj-uv"]]}


def sync_commands(t: Any, w: Path) -> Dict[str, Argv]:
    return {"pkm": [t.bin("pkm"), "sync", "-q", "--project", "proj-pkm"],
            "uv": [t.bin("uv"), "sync", "-q", "--python", t.python, "--project", "proj-uv"]}


def exec_commands(t: Any, w: Path) -> Dict[str, Argv]:
    return {"pkm": [t.bin("pkm"), "exec", "--project", "proj-pkm", "python", "-c", "pass"],
            "uv": [t.bin("uv"), "run", "-q", "--python", t.python, "--project", "proj-uv", "python", "-c", "pass"]}


def run_in_project_commands(t: Any, w: Path) -> Dict[str, Argv]:
    return {"pkm": ["sh", "-c", f"cd proj-pkm && {t.bin('pkm')} run python -c pass"],
            "uv": ["sh", "-c", f"cd proj-uv && {t.bin('uv')} run -q --python {t.python} python -c pass"]}
