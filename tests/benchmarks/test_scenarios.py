"""The benchmark's scenarios build the commands they claim to (no network, no processes: nothing runs)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"
sys.path.append(str(BENCHMARKS))  # appended: nothing of the suite's own gets shadowed

from bench_scenarios import REPO, REQUIREMENTS, RUN_SCRIPT, SCENARIOS, Tools, environment, retired  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_run", BENCHMARKS / "run.py")
run = sys.modules["bench_run"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up
_spec.loader.exec_module(run)

BY_NAME = {s.name: s for s in SCENARIOS}
PEERED = ["resolve-warm", "resolve-cold", "install-cold", "install-warm", "install-warm-bytecode"]
RUNTIME = ["run-warm", "run-cold"]
CACHE_VARS = {"pkm": "PKM_HOME", "uv": "UV_CACHE_DIR", "pip": "PIP_CACHE_DIR"}


@pytest.fixture
def tools(tmp_path):
    return Tools(tmp_path / "tools")


def _wiped(steps, work):
    return {str(work / p) for p in retired(steps)}


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
        assert retired(before[tool][:1]) == [f"venv-{tool}"] and f"venv-{tool}" in before[tool][1]
        assert before[tool][-1] == ["sync"]  # every tool's run starts after the deletions are done
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
    assert "| install-warm | uv | 1.50 s | 900.0 ms | 2.00 s | 90 MiB | 5 | 2.00x | +1.50 s |" in text
    assert "- a note" in text
    assert ("- install-warm/uv: `uv pip sync r.txt` (once: `uv pip compile`; each run: `rm -rf venv-uv`)"
            in text)


@pytest.mark.parametrize("name", RUNTIME)
def test_runtime_scenarios_run_one_script_three_ways_from_one_base_interpreter(name, tools, tmp_path):
    scenario = BY_NAME[name]
    commands, setup = scenario.commands(tools, tmp_path), scenario.setup(tools, tmp_path)
    assert list(commands) == ["pkm", "uv", "python"]
    assert commands["pkm"] == ["pkm-venv/bin/python", "-m", "pkm.run", "script.py"]
    assert commands["uv"][:2] == [tools.bin("uv"), "run"] and commands["uv"][-2:] == ["--script", "script.py"]
    assert commands["uv"][commands["uv"].index("--python") + 1] == tools.python
    assert commands["python"] == ["floor-venv/bin/python", "script.py"]
    # Both prepared venvs come from the tool venv's interpreter, fresh, without pip or setuptools.
    for tool, venv in (("pkm", "pkm-venv"), ("python", "floor-venv")):
        assert setup[tool][0] == ["rm", "-rf", venv]
        assert setup[tool][1] == [tools.python, "-m", "venv", "--without-pip", venv]
        assert setup[tool][2][:3] == [tools.bin("pip"), "--python", f"{venv}/bin/python"]
    assert setup["pkm"][2][-1] == str(REPO) and (REPO / "pkm" / "run").is_dir()
    assert "uv" not in setup  # uv makes its own environment, timed
    assert scenario.files == {"script.py": RUN_SCRIPT}


def test_floor_venv_gets_exactly_the_script_dependencies(tools, tmp_path):
    block = RUN_SCRIPT.split("# ///")[1]
    declared = block.split("dependencies = [")[1].split("]")[0]
    pins = [p.strip().strip('"') for p in declared.split(",")]
    assert [p.split("==")[0] for p in pins] == ["rich", "attrs"]
    assert BY_NAME["run-warm"].setup(tools, tmp_path)["python"][2][-2:] == pins
    assert RUN_SCRIPT.startswith("# /// script\n") and "import attrs" in RUN_SCRIPT and "rich.table" in RUN_SCRIPT


def test_run_cold_wipes_pkm_home_and_uv_cache_only_and_run_warm_nothing(tools, tmp_path):
    env, _ = environment(tmp_path, base={})
    cold = BY_NAME["run-cold"].before_each(tools, tmp_path)
    assert _wiped(cold["pkm"], tmp_path) == {env["PKM_HOME"]}
    assert _wiped(cold["uv"], tmp_path) == {env["UV_CACHE_DIR"]}
    assert "python" not in cold  # the floor has no cache to wipe
    assert BY_NAME["run-warm"].before_each(tools, tmp_path) == {}


def test_environment_drops_settings_that_distort_python_start_up(tmp_path):
    base = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/x", "PKM_RUNTIME_MANIFEST": "/m.json", "LANG": "C"}
    env, _ = environment(tmp_path, base=base)
    assert "PYTHONDONTWRITEBYTECODE" not in env and "PYTHONPATH" not in env and "PKM_RUNTIME_MANIFEST" not in env
    assert env["LANG"] == "C"


def _row(scenario, tool, median):
    return {"scenario": scenario, "tool": tool, "command": tool, "setup": [], "before_each": [],
            "median_s": median, "min_s": median, "max_s": median, "peak_rss_mb": 17.0, "runs": 3}


def test_runtime_goals_are_reported_as_difference_and_ratio():
    rows = [_row("run-warm", "pkm", 0.105), _row("run-warm", "uv", 0.100), _row("run-warm", "python", 0.098),
            _row("run-cold", "pkm", 1.2), _row("run-cold", "uv", 1.0)]
    lines = run.goal_lines(rows, {s.name: s.goals for s in SCENARIOS if s.goals})
    assert lines == [
        "goal run-warm: within 10 ms of python: pkm +7.0 ms (1.07x): met",
        "goal run-warm: faster than uv: pkm +5.0 ms (1.05x): MISSED",
        "goal run-cold: within 1.5x of uv: pkm +200.0 ms (1.20x): met",
    ]
    text = run.markdown(rows, "m")
    assert "| run-warm | python | 98.0 ms | 98.0 ms | 98.0 ms | 17 MiB | 3 | 1.07x | +7.0 ms |" in text
    assert "| run-warm | pkm | 105.0 ms |" in text


def test_install_goals_read_as_the_issue_states_them():
    rows = [_row("install-warm", "pkm", 1.2), _row("install-warm", "uv", 1.0), _row("install-warm", "pip", 15.0),
            _row("install-warm-bytecode", "pkm", 1.2), _row("install-warm-bytecode", "uv", 5.0),
            _row("venv", "pkm", 0.05), _row("venv", "uv", 0.02)]
    lines = run.goal_lines(rows, {s.name: s.goals for s in SCENARIOS if s.goals})
    assert lines == [
        "goal venv: within 2x of uv: pkm +30.0 ms (2.50x): MISSED",
        "goal install-warm: within 1.5x of uv: pkm +200.0 ms (1.20x): met",
        "goal install-warm: at least 10x faster than pip: pkm -13.80 s (0.08x): met",
        "goal install-warm-bytecode: at least 5x faster than uv: pkm -3.80 s (0.24x): MISSED",
    ]


def test_goals_of_scenarios_not_run_are_left_out():
    assert run.goal_lines([_row("startup", "pkm", 0.01), _row("startup", "uv", 0.02)],
                          {"run-warm": {"python": ("ms", 10.0)}}) == []


def test_project_scenarios_give_each_tool_its_own_synced_copy(tools, tmp_path):
    for name in ("sync-noop", "project-exec", "project-run"):
        scenario = next(s for s in SCENARIOS if s.name == name)
        assert set(scenario.files) == {"proj-pkm/pyproject.toml", "proj-uv/pyproject.toml"}
        commands = scenario.commands(tools, tmp_path)
        assert set(commands) == {"pkm", "uv"}
        assert "proj-pkm" in " ".join(commands["pkm"]) and "proj-uv" in " ".join(commands["uv"])
        setup = scenario.setup(tools, tmp_path)
        assert setup["pkm"][0][1:] == ["sync", "-q", "--project", "proj-pkm"]
        assert setup["uv"][0][1:3] == ["sync", "-q"]


def test_what_a_run_leaves_is_moved_aside_not_deleted(tools, tmp_path):
    [retire, *_] = BY_NAME["install-warm"].before_each(tools, tmp_path)["uv"]
    for round_number in range(2):
        (tmp_path / "venv-uv" / "lib").mkdir(parents=True)
        (tmp_path / "venv-uv" / "lib" / "f").write_text(str(round_number))
        subprocess.run(retire, cwd=tmp_path, check=True)
        assert not (tmp_path / "venv-uv").exists()
    kept = sorted((tmp_path / ".retired").iterdir())
    assert [(p / "lib" / "f").read_text() for p in kept] == ["0", "1"]  # both rounds', by name
    subprocess.run(retire, cwd=tmp_path, check=True)  # nothing to move: not an error
