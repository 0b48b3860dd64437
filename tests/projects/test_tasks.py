"""pkm task / pkm run NAME: [tool.pkm.tasks] with dependencies, env and help, run in the project's venv."""

from __future__ import annotations

import pytest

from pkm.errors import InputFileError
from pkm.project._dotenv import parse_dotenv
from pkm.project._tasks import parse_tasks, task_order

TASKS = '''
[tool.pkm.tasks]
lint = "echo lint >> log"
build = { cmd = "echo build >> log", depends = ["lint"], help = "build it" }
test = { cmd = 'echo "test $CI $MODE" >> log; echo args >> log', depends = ["lint", "build"], env = { CI = "1" }, help = "run the tests" }
fail = "exit 3"
after = { cmd = "echo after >> log", depends = ["fail"] }
where = 'python -c "import sys; print(sys.prefix)" > prefix.txt'
all = { depends = ["test", "where"] }
'''


@pytest.fixture
def tasks_project(pkm, publish):
    publish("lib", "1.0")
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["lib"]\n'
                                             '[tool.pkm.env]\nMODE = "tool"\n' + TASKS)
    return pkm


def _log(pkm):
    return (pkm.work / "log").read_text().splitlines()


def test_task_runs_dependencies_once_first_with_args_and_env(tasks_project, monkeypatch):
    monkeypatch.setenv("CI", "0")  # the task's own env replaces it
    code, out, err = tasks_project("task", "test", "-k", "a b")
    assert (code, out) == (0, ""), err
    assert _log(tasks_project) == ["lint", "build", "test 1 tool", "args -k a b"]
    assert "task lint: echo lint >> log" in err and "task test: " in err and "-k 'a b'" in err


def test_tasks_run_in_the_venv_from_the_project_directory(tasks_project, monkeypatch):
    sub = tasks_project.work / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    code, _, err = tasks_project("task", "all")
    assert code == 0, err
    assert (tasks_project.work / ".venv").samefile((tasks_project.work / "prefix.txt").read_text().strip())
    assert _log(tasks_project) == ["lint", "build", "test 1 tool", "args"]


def test_the_first_failure_stops_the_run_with_its_code(tasks_project):
    code, out, err = tasks_project("task", "after")
    assert (code, out) == (3, "")
    assert "error: task `fail` failed with exit code 3" in err and "`after` and the rest did not run" in err
    assert not (tasks_project.work / "log").exists()


def test_pkm_run_runs_a_task(tasks_project):
    code, _, err = tasks_project("run", "build")
    assert code == 0, err
    assert _log(tasks_project) == ["lint", "build"]


def test_list_and_unknown_tasks(tasks_project):
    code, out, _ = tasks_project("task", "--list")
    assert code == 0
    assert out.splitlines() == ["lint   echo lint >> log", "build  build it", "test   run the tests", "fail   exit 3",
                                "after  echo after >> log", 'where  python -c "import sys; print(sys.prefix)" > '
                                "prefix.txt", "all    runs test, where"]
    code, _, err = tasks_project("task", "tset")
    assert code == 2 and "no task `tset`" in err and "did you mean `test`?" in err
    code, _, err = tasks_project("task")
    assert code == 2 and "pkm task --list" in err


@pytest.mark.parametrize("table, message", [
    ('a = { cmd = "x", depends = ["b"] }\nb = { cmd = "y", depends = ["a"] }\n',
     "the tasks depend on each other in a cycle: a -> b -> a"),
    ('a = { cmd = "x", depends = ["nope"] }\n', "pyproject.toml:6: task `a` depends on `nope`, which is not a task"),
    ('a = { cmd = "x", depend = ["b"] }\n', "pyproject.toml:6: [tool.pkm.tasks] a has an unknown key `depend`"),
    ("a = 3\n", "[tool.pkm.tasks] a must be a command string or a table, not int"),
    ('a = { help = "nothing" }\n', "a has neither cmd nor depends"),
    ('a = { cmd = "x", env = { N = 1 } }\n', "a: env must be a table of strings"),
])
def test_bad_tasks_are_exit_2(pkm, table, message):
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\n\n[tool.pkm.tasks]\n' + table)
    code, out, err = pkm("task", "a")
    assert (code, out) == (2, "")
    assert message in err


def test_task_order_is_depth_first_each_once():
    data = {"tool": {"pkm": {"tasks": {"a": {"depends": ["b", "c"]}, "b": {"cmd": "b", "depends": ["c"]},
                                       "c": "c", "d": {"cmd": "d", "depends": ["d"]}}}}}
    tasks = parse_tasks(data, "", "pyproject.toml")
    assert task_order(tasks, "a") == ["c", "b", "a"]
    with pytest.raises(InputFileError, match="d -> d"):
        task_order(tasks, "d")


def test_dotenv_syntax():
    text = ("# comment\n\nA=1\nexport B = two words # note\nC='${A} \\n kept'\nD=\"tab\\there \\$A ${A}${UNSET}\"\n"
            "E=\"multi\nline\"\nF=a#b\nG=\nH=${PRESET}-${A}\n")
    assert parse_dotenv(text, ".env", {"PRESET": "p"}) == {
        "A": "1", "B": "two words", "C": "${A} \\n kept", "D": "tab\there $A 1", "E": "multi\nline", "F": "a#b",
        "G": "", "H": "p-1"}
    with pytest.raises(InputFileError, match=r"^\.env:2: unterminated \"double-quoted\" value"):
        parse_dotenv('A=1\nB="open\n', ".env")
