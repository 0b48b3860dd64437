"""The build scenarios' commands: wheels of 10 pure sdists from PyPI, by pkm, uv and pip, through one wrapper.

No tool builds several sdists in one command the same way (`pkm build` and `uv build` take one;
`pip wheel` takes several but builds them one after another), so every tool runs through the same
tiny wrapper, `build_all.py`, which runs one command per sdist in a pool of `JOBS` threads. The
sdists are downloaded once, untimed, by `pkm download --no-binary` (hash-verified) into `sdists/`.
bench_scenarios.py turns these into Scenario entries ("build", "build-cached").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

__all__ = ["BUILD_ALL", "BUILD_FILES", "JOBS", "SDISTS", "SDIST_DIR", "build_commands", "build_setup",
           "fresh_outputs", "fresh_outputs_and_pkm_builds", "second_build_commands"]

Argv = List[str]

# Small pure projects on three backends, pinned so that every run builds the same code:
# setuptools (six: no pyproject.toml, PEP 517's fallback; pluggy and distro; certifi),
# flit_core (idna, tomli, packaging, typing-extensions), hatchling (annotated-types, iniconfig).
SDISTS = ["six==1.17.0", "pluggy==1.5.0", "distro==1.9.0", "certifi==2024.8.30", "idna==3.10", "tomli==2.2.1",
          "packaging==24.2", "typing-extensions==4.12.2", "annotated-types==0.7.0", "iniconfig==2.0.0"]
SDIST_DIR = "sdists"
JOBS = 4  # the wrapper's pool, the same for every tool

# Runs COMMAND once per sdist in SDIST_DIR, JOBS at a time, with {sdist} and {out} replaced
# (out: OUT/<sdist file name>, a folder of its own); exits 1 if any run fails, with its output.
BUILD_ALL = '''"""python build_all.py JOBS OUT COMMAND...: COMMAND once per sdist in sdists/, JOBS at a time."""
import os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

jobs, out, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
sdists = sorted(os.path.join("sdists", name) for name in os.listdir("sdists") if name.endswith(".tar.gz"))


def build(sdist):
    target = os.path.join(out, os.path.basename(sdist))
    argv = [arg.replace("{sdist}", sdist).replace("{out}", target) for arg in command]
    return argv, subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


with ThreadPoolExecutor(jobs) as pool:
    failed = [(argv, done) for argv, done in pool.map(build, sdists) if done.returncode != 0]
for argv, done in failed:
    sys.stderr.write("%s failed (%d):\\n%s\\n" % (" ".join(argv), done.returncode, done.stdout.decode(errors="replace")))
sys.exit(1 if failed or not sdists else 0)
'''
BUILD_FILES = {"build_all.py": BUILD_ALL}

# pkm's wheel cache (sdist hash -> wheel), relative to the work directory (PKM_HOME is "pkm-home").
_PKM_BUILDS = "pkm-home/builds-v1"


def _out(tool: str) -> str:
    return f"out-{tool}"


def build_commands(t: Any, w: Path) -> Dict[str, Argv]:
    """The timed commands: each tool builds the wheel of every sdist (build isolation, no dependencies)."""
    wrapper = [t.python, "build_all.py", str(JOBS)]
    return {
        "pkm": wrapper + [_out("pkm"), t.bin("pkm"), "build", "-q", "{sdist}", "-o", "{out}"],
        "uv": wrapper + [_out("uv"), t.bin("uv"), "build", "-q", "--wheel", "--python", t.python, "{sdist}",
                         "-o", "{out}"],
        "pip": wrapper + [_out("pip"), t.bin("pip"), "wheel", "-q", "--no-deps", "{sdist}", "-w", "{out}"],
    }


def second_build_commands(t: Any, w: Path) -> Dict[str, Argv]:
    """The second build: pkm (its wheel cache) and uv. pip is left out: it keeps no wheel built from a
    local sdist either, so its second build is its first (the `build` row) and would only add minutes."""
    commands = build_commands(t, w)
    return {"pkm": commands["pkm"], "uv": commands["uv"]}


def build_setup(t: Any, w: Path) -> Dict[str, List[Argv]]:
    """Once per tool, untimed: the sdists (the second and third download find them in place)."""
    download = [t.bin("pkm"), "download", "-q", "--no-binary", "-d", SDIST_DIR, *SDISTS]
    return {tool: [download] for tool in build_commands(t, w)}


def fresh_outputs(t: Any, w: Path) -> Dict[str, List[Argv]]:
    """Before every run: empty output folders (caches kept)."""
    return {tool: [["rm", "-rf", _out(tool)]] for tool in build_commands(t, w)}


def fresh_outputs_and_pkm_builds(t: Any, w: Path) -> Dict[str, List[Argv]]:
    """Before every run: empty output folders, and pkm's cache of built wheels wiped, so that pkm builds
    as uv and pip do (neither keeps the wheels it builds from a local sdist for the next `build`/`wheel`).
    Build environments, downloaded build requirements and index pages stay, for every tool."""
    steps = fresh_outputs(t, w)
    steps["pkm"] = [["rm", "-rf", _out("pkm"), _PKM_BUILDS]]
    return steps
