"""The benchmark's scenarios build the commands they claim to (no network, no processes: nothing runs)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"
sys.path.append(str(BENCHMARKS))  # appended: nothing of the suite's own gets shadowed

from bench_scenarios import REQUIREMENTS, SCENARIOS, Tools, environment  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_run", BENCHMARKS / "run.py")
run = sys.modules["bench_run"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up
_spec.loader.exec_module(run)

BY_NAME = {s.name: s for s in SCENARIOS}
PEERED = ["resolve-warm", "resolve-cold", "install-cold", "install-warm", "install-warm-bytecode"]
CACHE_VARS = {"pkm": "PKM_HOME", "uv": "UV_CACHE_DIR", "pip": "PIP_CACHE_DIR"}


@pytest.fixture
def tools(tmp_path):
    return Tools(tmp_path / "tools")


def _wiped(steps, work):
    return {str(work / p) for argv in steps if argv[:2] == ["rm", "-rf"] for p in argv[2:]}


@pytest.mark.parametrize("name", PEERED)
def test_every_peered_scenario_times_pkm_uv_and_pip_from_the_tool_venv(name, tools, tmp_path):
    commands = BY_NAME[name].commands(tools, tmp_path)
    assert list(commands) == ["pkm", "uv", "pip"]  # the interleaving order
    for tool, argv in commands.items():
        assert argv[0] == tools.bin(tool)
    assert BY_NAME[name].files["requirements.in"].split() == REQUIREMENTS


@pytest.mark.parametrize("name", ["resolve-cold", "install-cold"])
def test_cold_scenarios_wipe_the_cache_each_tool_is_pointed_at(name, tools, tmp_path):
    env, _ = environment(tmp_path, base={})
    before = BY_NAME[name].before_each(tools, tmp_path)
    for tool, var in CACHE_VARS.items():
        assert env[var] in _wiped(before[tool], tmp_path)
        assert _wiped(before[tool], tmp_path) <= {env[var], str(tmp_path / f"venv-{tool}")}  # only its own


@pytest.mark.parametrize("name", ["resolve-warm", "install-warm", "install-warm-bytecode"])
def test_warm_scenarios_keep_the_caches(name, tools, tmp_path):
    env, _ = environment(tmp_path, base={})
    for steps in BY_NAME[name].before_each(tools, tmp_path).values():
        assert not _wiped(steps, tmp_path) & {env[v] for v in CACHE_VARS.values()}


def test_bytecode_variant_makes_every_tool_leave_pyc_files(tools, tmp_path):
    plain = BY_NAME["install-warm"].commands(tools, tmp_path)
    ready = BY_NAME["install-warm-bytecode"].commands(tools, tmp_path)
    assert "--compile-bytecode" in ready["uv"] and "--compile-bytecode" not in plain["uv"]
    assert "--no-compile" in plain["pip"] and "--no-compile" not in ready["pip"]
    assert plain["pkm"] == ready["pkm"]  # pkm's store holds .pyc: it has no switch


@pytest.mark.parametrize("name", ["install-cold", "install-warm", "install-warm-bytecode"])
def test_install_inputs_come_from_the_untimed_setup_and_go_to_fresh_venvs(name, tools, tmp_path):
    scenario = BY_NAME[name]
    commands, setup = scenario.commands(tools, tmp_path), scenario.setup(tools, tmp_path)
    before = scenario.before_each(tools, tmp_path)
    assert "pylock.toml" in commands["pkm"] and "pylock.toml" in setup["pkm"][0]
    for tool in ("uv", "pip"):
        assert "requirements.txt" in commands[tool]
        assert any(argv[-2:] == ["-o", "requirements.txt"] for argv in setup[tool])
    for tool in ("pkm", "uv", "pip"):
        assert before[tool][0] == ["rm", "-rf", f"venv-{tool}"] and f"venv-{tool}" in before[tool][1]
        assert any(f"venv-{tool}" in arg for arg in commands[tool])


def test_environment_points_tools_at_pypi_with_private_caches(tmp_path):
    base = {"PIP_FIND_LINKS": "/opt/wheels", "PKM_INDEX_URL": "file:///x", "PIP_CERT": "/ca.pem", "HOME": "/root"}
    env, added = environment(tmp_path, base=base)
    assert "PIP_FIND_LINKS" not in env and "PKM_INDEX_URL" not in env
    assert env["PIP_CERT"] == "/ca.pem" and env["HOME"] == "/root"
    assert env["PIP_CONFIG_FILE"] == added["PIP_CONFIG_FILE"]  # no pip.conf: it may add indexes
    assert {env[v] for v in CACHE_VARS.values()} <= {str(tmp_path / p) for p in ("pkm-home", "uv-cache", "pip-cache")}


def test_quick_mode_skips_only_the_cold_install():
    assert [s.name for s in SCENARIOS if s.quick_runs is None] == ["install-cold"]
    assert all(s.quick_runs[0] <= s.runs[0] for s in SCENARIOS if s.quick_runs)


def test_markdown_lists_untimed_steps_with_the_timed_command():
    row = {"scenario": "install-warm", "tool": "uv", "command": "uv pip sync r.txt", "setup": ["uv pip compile"],
           "before_each": ["rm -rf venv-uv"], "median_s": 1.5, "min_s": 0.9, "max_s": 2.0, "peak_rss_mb": 90.0,
           "runs": 5}
    pkm = dict(row, tool="pkm", command="pkm sync", median_s=3.0)
    text = run.markdown([pkm, row], "test machine", ["a note"])
    assert "| install-warm | uv | 1.50 s | 900.0 ms | 2.00 s | 90 MiB | 5 | 2.00x |" in text
    assert "- a note" in text
    assert ("- install-warm/uv: `uv pip sync r.txt` (once: `uv pip compile`; each run: `rm -rf venv-uv`)"
            in text)
