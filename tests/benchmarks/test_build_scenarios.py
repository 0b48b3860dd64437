"""The build scenarios: every tool builds the same sdists through the same wrapper; only pkm's cache differs.

Command construction is checked without running anything; the wrapper itself runs once, on a
fake command (no tool, no network).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"
sys.path.append(str(BENCHMARKS))  # appended: nothing of the suite's own gets shadowed

from bench_build import BUILD_ALL, JOBS, SDIST_DIR, SDISTS  # noqa: E402
from bench_scenarios import PKM_HOME, SCENARIOS, Tools, environment  # noqa: E402

BY_NAME = {s.name: s for s in SCENARIOS}
BUILDS = ["build", "build-cached"]


@pytest.fixture
def tools(tmp_path):
    return Tools(tmp_path / "tools")


def _wiped(steps):
    return {p for argv in steps if argv[:2] == ["rm", "-rf"] for p in argv[2:]}


@pytest.mark.parametrize("name", BUILDS)
def test_every_tool_builds_each_sdist_through_the_same_wrapper(name, tools, tmp_path):
    assert set(BY_NAME[name].commands(tools, tmp_path)) <= {"pkm", "uv", "pip"}
    commands = BY_NAME["build"].commands(tools, tmp_path)
    assert list(commands) == ["pkm", "uv", "pip"]
    for tool, argv in commands.items():
        assert argv[:4] == [tools.python, "build_all.py", str(JOBS), f"out-{tool}"]
        assert argv[4] == tools.bin(tool) and "{sdist}" in argv and "{out}" in argv
    assert commands["pkm"][5:7] == ["build", "-q"]
    assert commands["uv"][5:8] == ["build", "-q", "--wheel"]
    assert commands["uv"][commands["uv"].index("--python") + 1] == tools.python
    assert commands["pip"][5:8] == ["wheel", "-q", "--no-deps"]
    assert BY_NAME[name].files == {"build_all.py": BUILD_ALL}


def test_the_second_build_times_pkm_and_uv_with_the_first_builds_commands(tools, tmp_path):
    first, second = (BY_NAME[name].commands(tools, tmp_path) for name in BUILDS)
    assert second == {"pkm": first["pkm"], "uv": first["uv"]}  # pip has no cache: its second build is its first


@pytest.mark.parametrize("name", BUILDS)
def test_the_sdists_are_downloaded_once_untimed_for_every_tool(name, tools, tmp_path):
    setup = BY_NAME[name].setup(tools, tmp_path)
    for tool in BY_NAME[name].commands(tools, tmp_path):
        (download,) = setup[tool]
        assert download[:2] == [tools.bin("pkm"), "download"] and "--no-binary" in download
        assert download[download.index("-d") + 1] == SDIST_DIR and download[-len(SDISTS):] == SDISTS
    assert len(SDISTS) == 10 and all("==" in pin for pin in SDISTS)  # pinned: every run builds the same code


def test_build_wipes_pkms_wheel_cache_and_build_cached_keeps_it(tools, tmp_path):
    env, _ = environment(tmp_path, base={})
    pkm_builds = str(Path(env["PKM_HOME"]).relative_to(tmp_path) / "builds-v1")
    assert pkm_builds == f"{PKM_HOME}/builds-v1"
    cold = BY_NAME["build"].before_each(tools, tmp_path)
    warm = BY_NAME["build-cached"].before_each(tools, tmp_path)
    assert _wiped(cold["pkm"]) == {"out-pkm", pkm_builds}  # not its build environments nor index pages
    assert _wiped(warm["pkm"]) == {"out-pkm"}
    for tool in ("uv", "pip"):  # they keep no wheel built from a local sdist: only the output goes
        assert _wiped(cold[tool]) == {f"out-{tool}"}
    assert _wiped(warm["uv"]) == {"out-uv"}


def test_the_wrapper_runs_the_command_once_per_sdist_and_reports_failures(tmp_path):
    (tmp_path / "build_all.py").write_text(BUILD_ALL)
    (tmp_path / SDIST_DIR).mkdir()
    for name in ("alpha-1.0.tar.gz", "beta-2.0.tar.gz", "notes.txt"):
        (tmp_path / SDIST_DIR / name).write_text(name)
    copy = ("import os, shutil, sys; os.makedirs(sys.argv[2]); shutil.copy(sys.argv[1], sys.argv[2]); "
            "sys.exit('beta' in sys.argv[1] and os.environ.get('FAIL_BETA') == '1')")
    argv = [sys.executable, "build_all.py", "2", "out", sys.executable, "-c", copy, "{sdist}", "{out}"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "out").rglob("*") if p.is_file()) == [
        "out/alpha-1.0.tar.gz/alpha-1.0.tar.gz", "out/beta-2.0.tar.gz/beta-2.0.tar.gz"]
    failed = subprocess.run(argv[:3] + ["again"] + argv[4:], cwd=tmp_path, capture_output=True, text=True,
                            env={"FAIL_BETA": "1", "PATH": "/usr/bin:/bin"})
    assert failed.returncode == 1
    assert "sdists/beta-2.0.tar.gz" in failed.stderr and "failed (1)" in failed.stderr
    assert "alpha" not in failed.stderr


def test_the_wrapper_fails_when_there_is_nothing_to_build(tmp_path):
    (tmp_path / "build_all.py").write_text(BUILD_ALL)
    (tmp_path / SDIST_DIR).mkdir()
    done = subprocess.run([sys.executable, "build_all.py", "1", "out", "true"], cwd=tmp_path)
    assert done.returncode == 1
