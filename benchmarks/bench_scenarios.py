"""What the benchmark measures: per scenario, the exact commands of pkm and its peers.

A scenario is data: for each tool, the timed command, the untimed commands run
once before the warm-up (`setup`), and the untimed commands run before every
run of that tool (`before_each`, e.g. a fresh venv, or wiping the tool's cache
for a cold run). Commands run with the work directory as cwd, so they name
their files relatively; the tools' caches live in it too (see `environment`),
private to the benchmark. Building the commands touches nothing: run.py runs
them and writes them, verbatim, next to the numbers.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from bench_project import PROJECT_FILES, exec_commands, project_setup, run_in_project_commands, sync_commands
from bench_build import BUILD_FILES, JOBS, SDISTS, build_commands, build_setup, fresh_outputs, \
    fresh_outputs_and_pkm_builds, second_build_commands

__all__ = ["REQUIREMENTS", "RUN_SCRIPT", "SCENARIOS", "Scenario", "Tools", "environment"]

Argv = List[str]
PerTool = Dict[str, List[Argv]]

# The resolver issue's "large real set": web frameworks, data, tooling, cloud SDK.
# Every package it resolves to has a wheel for CPython 3.9-3.13 on x86_64 Linux.
REQUIREMENTS = "flask django fastapi uvicorn sqlalchemy pydantic pandas numpy pytest black httpx jinja2 boto3".split()

# Cache locations, relative to a scenario's work directory.
PKM_HOME, UV_CACHE, PIP_CACHE = "pkm-home", "uv-cache", "pip-cache"

# Settings of the machine or user that would make the tools see other indexes
# than PyPI (this machine's pip.conf adds find-links and file:// indexes).
_SCRUBBED = ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_NO_CACHE_DIR",
             "UV_INDEX", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_NO_CACHE",
             "UV_OFFLINE", "PKM_INDEX_URL", "PKM_EXTRA_INDEX_URL", "PKM_FIND_LINKS", "PKM_OFFLINE",
             # Settings that change how any Python starts: without bytecode writes, modules
             # that have no .pyc yet (pkm's store trees, uv's script env) are compiled on
             # every run; an inherited path or runtime context would leak into every tool.
             "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHOME", "PKM_RUNTIME_MANIFEST")


def environment(work: Path, base: Optional[Dict[str, str]] = None) -> Tuple[Dict[str, str], Dict[str, str]]:
    """(full environment, the settings the benchmark adds) for commands run in `work`.

    Each tool gets a private cache under `work`, reads no config file, and
    talks to PyPI only; PYTHONDONTWRITEBYTECODE and PYTHONPATH are dropped.
    Certificate settings (PIP_CERT, SSL_CERT_FILE) pass.
    """
    added = {"PKM_HOME": str(work / PKM_HOME), "UV_CACHE_DIR": str(work / UV_CACHE),
             "PIP_CACHE_DIR": str(work / PIP_CACHE), "UV_NO_CONFIG": "1", "PIP_CONFIG_FILE": os.devnull,
             "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _SCRUBBED}
    env.update(added)
    return env, added


@dataclass
class Tools:
    """The tool venv: pkm, uv and pip as console scripts of one interpreter."""

    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    @property
    def python(self) -> str:
        return self.bin("python")

    def has_command(self, *commands: str) -> bool:
        """Whether this pkm has every one of these subcommands (one `pkm CMD --help` each)."""
        return all(subprocess.run([self.bin("pkm"), c, "--help"], capture_output=True).returncode == 0
                   for c in commands)


def _none(tools: Tools, work: Path) -> PerTool:
    return {}


@dataclass
class Scenario:
    """Commands per tool for one measurement.

    `runs` and `quick_runs` are (timed runs, warm-up rounds); `quick_runs=None`
    means `--quick` skips the scenario. `files` are written into the work
    directory before `setup`.
    """

    name: str
    description: str
    commands: Callable[[Tools, Path], Dict[str, Argv]]
    setup: Callable[[Tools, Path], PerTool] = _none
    before_each: Callable[[Tools, Path], PerTool] = _none
    available: Callable[[Tools], bool] = lambda tools: True
    files: Dict[str, str] = field(default_factory=dict)
    runs: Tuple[int, int] = (20, 2)
    quick_runs: Optional[Tuple[int, int]] = (5, 1)
    # Per other tool, the target for pkm: ("ms", 10.0) is "at most 10 ms slower",
    # ("x", 1.5) is "at most 1.5 times as long" (run.py reports met or missed).
    goals: Dict[str, Tuple[str, float]] = field(default_factory=dict)


def _rm(*paths: str) -> Argv:
    return ["rm", "-rf", *paths]


# What a run leaves (its venv, a cache a cold run starts without) is moved aside into
# `.retired/`, not deleted: deleting thousands of files keeps ext4 busy (journal, discards)
# for seconds, and the next run's mkdirs were 5x slower for it, whichever tool made them.
# run.py deletes the work directory, `.retired/` with it, after the scenario.
RETIRE = 'for p in "$@"; do if [ -e "$p" ]; then mkdir -p .retired && mv "$p" ".retired/$p.$(date +%s%N)"; fi; done'


def _retire(*paths: str) -> Argv:
    return ["sh", "-c", RETIRE, "retire", *paths]


def retired(steps: List[Argv]) -> List[str]:
    """The paths `steps` move aside (what a run starts without)."""
    return [p for argv in steps if argv[:3] == ["sh", "-c", RETIRE] for p in argv[4:]]


# The last untimed step before a run: the previous runs' writes reach the disk before the
# clock starts, not inside the next tool's run.
_SETTLE: Argv = ["sync"]


_REQ_FILES = {"requirements.in": "\n".join(REQUIREMENTS) + "\n"}
_SET = f"`{' '.join(REQUIREMENTS)}` (from requirements.in)"


def _resolve_commands(t: Tools, w: Path) -> Dict[str, Argv]:
    return {
        "pkm": [t.bin("pkm"), "resolve", "-q", "-r", "requirements.in"],
        "uv": [t.bin("uv"), "pip", "compile", "-q", "--python", t.python, "requirements.in"],
        "pip": [t.bin("pip"), "install", "-q", "--dry-run", "--ignore-installed", "--report", "-",
                "-r", "requirements.in"],
    }


def _wipe_caches(t: Tools, w: Path) -> PerTool:
    return {"pkm": [_retire(PKM_HOME)], "uv": [_retire(UV_CACHE)], "pip": [_retire(PIP_CACHE)]}


def _install_setup(t: Tools, w: Path) -> PerTool:
    # The resolution is made once, untimed: pkm's as a pylock.toml, uv's as the
    # requirements.txt that uv and pip both install (pip cannot write one; its
    # compile runs twice so that each tool's row says where its input came from).
    compile_ = [t.bin("uv"), "pip", "compile", "-q", "--python", t.python, "requirements.in", "-o", "requirements.txt"]
    return {
        "pkm": [[t.bin("pkm"), "lock", "-q", "-r", "requirements.in", "-o", "pylock.toml"]],
        "uv": [compile_],
        "pip": [compile_],
    }


def _fresh_venvs(t: Tools, w: Path) -> PerTool:
    return {
        "pkm": [_retire("venv-pkm"), [t.bin("pkm"), "venv", "-q", "venv-pkm"], _SETTLE],
        "uv": [_retire("venv-uv"), [t.bin("uv"), "venv", "-q", "--python", t.python, "venv-uv"], _SETTLE],
        "pip": [_retire("venv-pip"), [t.python, "-m", "venv", "--without-pip", "venv-pip"], _SETTLE],
    }


def _fresh_venvs_cold(t: Tools, w: Path) -> PerTool:
    # The cache goes after the venv is made: making it (untimed) may fill the cache again.
    caches = _wipe_caches(t, w)
    return {tool: steps + caches[tool] + [_SETTLE] for tool, steps in _fresh_venvs(t, w).items()}


def _install_commands(bytecode: bool) -> Callable[[Tools, Path], Dict[str, Argv]]:
    def commands(t: Tools, w: Path) -> Dict[str, Argv]:
        uv = [t.bin("uv"), "pip", "sync", "-q", "--python", "venv-uv/bin/python", "requirements.txt"]
        pip = [t.bin("pip"), "--python", "venv-pip/bin/python", "install", "-q", "--no-deps", "-r", "requirements.txt"]
        return {
            "pkm": [t.bin("pkm"), "sync", "-q", "--lock", "pylock.toml", "--env", "venv-pkm"],
            "uv": uv + ["--compile-bytecode"] if bytecode else uv,
            "pip": pip if bytecode else pip + ["--no-compile"],
        }
    return commands


# The runtime scenarios' script: PEP 723 metadata, rich and attrs pinned so that all
# three runners import the same versions; it prints to the harness's pipe (no TTY).
_RICH, _ATTRS = "rich==15.0.0", "attrs==26.1.0"
RUN_SCRIPT = f'''# /// script
# requires-python = ">=3.9"
# dependencies = ["{_RICH}", "{_ATTRS}"]
# ///
import attrs
from rich.console import Console
from rich.table import Table


@attrs.frozen
class Runner:
    name: str
    command: str


table = Table("runner", "command", title="one script, three runners")
for runner in (Runner("pkm", "python -m pkm.run"), Runner("uv", "uv run --script"), Runner("python", "python")):
    table.add_row(runner.name, runner.command)
Console(width=60).print(table)
'''
_RUN_FILES = {"script.py": RUN_SCRIPT}
REPO = Path(__file__).resolve().parent.parent
PKM_VENV, FLOOR_VENV = "pkm-venv", "floor-venv"


def _run_commands(t: Tools, w: Path) -> Dict[str, Argv]:
    # One base interpreter for all three: both venvs are made from the tool venv's
    # Python, and uv builds its script environment from the same one.
    return {
        "pkm": [f"{PKM_VENV}/bin/python", "-m", "pkm.run", "script.py"],
        "uv": [t.bin("uv"), "run", "-q", "--python", t.python, "--script", "script.py"],
        "python": [f"{FLOOR_VENV}/bin/python", "script.py"],
    }


def _run_setup(t: Tools, w: Path) -> PerTool:
    # pkm gets a venv of its own (pkm and packaging only): the tool venv's
    # distutils-precedence.pth and matplotlib would slow its interpreter's start.
    # The floor is installed by pip (default bytecode compile), whose cache no
    # runtime scenario times.
    venv = [t.python, "-m", "venv", "--without-pip"]
    return {
        "pkm": [_rm(PKM_VENV), venv + [PKM_VENV],
                [t.bin("pip"), "--python", f"{PKM_VENV}/bin/python", "install", "-q", str(REPO)]],
        "python": [_rm(FLOOR_VENV), venv + [FLOOR_VENV],
                   [t.bin("pip"), "--python", f"{FLOOR_VENV}/bin/python", "install", "-q", _RICH, _ATTRS]],
    }


def _wipe_run_caches(t: Tools, w: Path) -> PerTool:
    caches = _wipe_caches(t, w)
    return {"pkm": caches["pkm"], "uv": caches["uv"]}


def _has(*commands: str) -> Callable[[Tools], bool]:
    return lambda tools: tools.has_command(*commands)


SCENARIOS = [
    Scenario(
        "run-warm",
        "run a PEP 723 script importing rich and attrs: `python -m pkm.run` (manifest written by the warm-up) "
        "vs `uv run --script` (script env cached by the warm-up) vs plain python in a prepared venv (the floor)",
        _run_commands,
        setup=_run_setup,
        available=_has("run"),
        files=_RUN_FILES,
        runs=(30, 3),
        quick_runs=(10, 2),
        goals={"python": ("ms", 10.0), "uv": ("x", 1.0)},
    ),
    Scenario(
        "run-cold",
        "the same script with empty caches: PKM_HOME and UV_CACHE_DIR wiped before every run "
        "(resolve, fetch, unpack, run; pkm compiles bytecode into its store, uv leaves it to the first import)",
        _run_commands,
        setup=_run_setup,
        before_each=_wipe_run_caches,
        available=_has("run"),
        files=_RUN_FILES,
        runs=(10, 1),
        quick_runs=(3, 0),
        goals={"uv": ("x", 1.5)},
    ),
    Scenario(
        "startup",
        "print the version: the cost of starting the tool",
        lambda t, w: {
            "pkm": [t.bin("pkm"), "--version"],
            "uv": [t.bin("uv"), "--version"],
            "pip": [t.bin("pip"), "--version"],
            "python": [t.python, "-c", "pass"],
        },
    ),
    Scenario(
        "venv",
        "create a virtual environment (no seed packages)",
        lambda t, w: {
            "pkm": [t.bin("pkm"), "venv", "-q", "venv-pkm"],
            "uv": [t.bin("uv"), "venv", "-q", "--python", t.python, "venv-uv"],
            "python": [t.python, "-m", "venv", "--without-pip", "venv-python"],
        },
        before_each=lambda t, w: {tool: [_retire(f"venv-{tool}"), _SETTLE] for tool in ("pkm", "uv", "python")},
        available=_has("venv"),
        goals={"uv": ("x", 2.0)},
    ),
    Scenario(
        "resolve-warm",
        f"resolve {_SET} against PyPI for the tool venv's Python; caches filled by the warm-up",
        _resolve_commands,
        available=_has("resolve"),
        files=_REQ_FILES,
        runs=(10, 1),
        quick_runs=(3, 1),
        goals={"uv": ("x", 2.0)},
    ),
    Scenario(
        "resolve-cold",
        f"resolve {_SET} against PyPI for the tool venv's Python; each tool's cache wiped before every run",
        _resolve_commands,
        before_each=_wipe_caches,
        available=_has("resolve"),
        files=_REQ_FILES,
        runs=(10, 1),
        quick_runs=(3, 0),
        goals={"uv": ("x", 1.5)},
    ),
    Scenario(
        "install-cold",
        "install the locked set into a fresh venv, each tool's cache wiped before every run "
        "(pkm compiles bytecode; uv does not; pip --no-compile)",
        _install_commands(bytecode=False),
        setup=_install_setup,
        before_each=_fresh_venvs_cold,
        available=_has("lock", "sync", "venv"),
        files=_REQ_FILES,
        runs=(5, 1),
        quick_runs=None,
    ),
    Scenario(
        "install-warm",
        "install the locked set into a fresh venv, caches filled by the warm-up "
        "(pkm links .pyc from its store; uv without bytecode; pip --no-compile)",
        _install_commands(bytecode=False),
        setup=_install_setup,
        before_each=_fresh_venvs,
        available=_has("lock", "sync", "venv"),
        files=_REQ_FILES,
        runs=(7, 1),  # pip's rounds take ~5 s: seven keep the whole row near a minute and a half
        quick_runs=(2, 1),
        goals={"uv": ("x", 1.5), "pip": ("x", 0.1)},
    ),
    Scenario(
        "install-warm-bytecode",
        "install the locked set into a fresh venv, ready to import: every tool leaves .pyc files "
        "(uv --compile-bytecode, pip's default compile); caches filled by the warm-up",
        _install_commands(bytecode=True),
        setup=_install_setup,
        before_each=_fresh_venvs,
        available=_has("lock", "sync", "venv"),
        files=_REQ_FILES,
        runs=(5, 1),
        quick_runs=(1, 1),  # its slowest round is ~45 s: --quick stays under 5 minutes
        goals={"uv": ("x", 0.2)},
    ),
]

# Builds (bench_build.py): the same 10 pure sdists, each tool through the same wrapper (JOBS at a time).
_BUILD_SET = f"the wheels of {len(SDISTS)} pure sdists from PyPI (setuptools, flit_core, hatchling), {JOBS} at a time"
SCENARIOS += [
    Scenario(
        "build",
        f"build {_BUILD_SET}: `pkm build SDIST` (its wheel cache wiped before every run) vs `uv build --wheel SDIST` "
        "vs `pip wheel --no-deps SDIST`; build requirements and build environments cached by the warm-up",
        build_commands,
        setup=build_setup,
        before_each=fresh_outputs_and_pkm_builds,
        available=_has("build", "download"),
        files=BUILD_FILES,
        runs=(5, 1),
        quick_runs=(1, 1),  # a round is ~25 s on 2 cores (pip ~15 s of it)
    ),
    Scenario(
        "build-cached",
        f"build {_BUILD_SET} a second time: pkm takes each wheel from its build cache (sdist hash -> wheel); "
        "uv keeps no such cache and builds again (so does pip: its `build` row)",
        second_build_commands,
        setup=build_setup,
        before_each=fresh_outputs,
        available=_has("build", "download"),
        files=BUILD_FILES,
        runs=(5, 1),
        quick_runs=(1, 1),
    ),
]

# Projects (bench_project.py): one small project per tool, synced by the set-up.
SCENARIOS += [
    Scenario(
        "sync-noop",
        "`pkm sync` / `uv sync` of a project (rich, attrs) already in sync: read the lock, compare, do nothing",
        sync_commands, setup=project_setup, available=_has("sync", "exec"), files=PROJECT_FILES,
        runs=(20, 2), quick_runs=(5, 1),
    ),
    Scenario(
        "project-exec",
        "`pkm exec python -c pass` vs `uv run python -c pass` in that synced project (the venv's python)",
        exec_commands, setup=project_setup, available=_has("sync", "exec"), files=PROJECT_FILES,
        runs=(20, 2), quick_runs=(5, 1),
    ),
    Scenario(
        "project-run",
        "`pkm run python -c pass` (the runtime: the project's context from the store, no venv) vs "
        "`uv run python -c pass` (its synced venv), each from inside the project",
        run_in_project_commands, setup=project_setup, available=_has("sync", "exec"), files=PROJECT_FILES,
        runs=(20, 2), quick_runs=(5, 1),
    ),
]
