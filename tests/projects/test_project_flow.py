"""new -> add -> lock -> sync -> run -> remove, on the loopback index; groups, extras, --frozen, -e."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def shelf(publish):
    publish("lib", "1.0", files={"lib.py": "v = '1.0'\n"})
    publish("lib", "1.4", files={"lib.py": "v = '1.4'\n"}, dependencies=["helper"])
    publish("helper", "2.0", files={"helper.py": "h = 2\n"})
    publish("testtool", "3.0", files={"testtool.py": "t = 3\n"})
    publish("fastlib", "0.9", files={"fastlib.py": "f = 1\n"})


def test_new_add_lock_sync_remove(pkm, shelf, monkeypatch):
    code, out, err = pkm("new", "demo")
    assert code == 0, err
    assert out.splitlines()[0] == "Created library `demo` in demo"
    project = pkm.work / "demo"
    text = (project / "pyproject.toml").read_text().replace('dev = ["pytest>=8"]', 'dev = ["testtool"]')
    (project / "pyproject.toml").write_text(text + "# the end\n")
    monkeypatch.chdir(project)
    code, out, err = pkm("add", "lib")
    assert code == 0, err
    data = tomllib.loads((project / "pyproject.toml").read_text())
    assert data["project"]["dependencies"] == ["lib>=1.4"]
    assert (project / "pyproject.toml").read_text().endswith("# the end\n")  # the rest of the file kept
    assert out.splitlines()[1:] == [" + helper==2.0", " + lib==1.4", " + testtool==3.0"]
    probe = pkm.python(project, "import lib, helper, demo; print(lib.v, demo.hello())")
    assert probe.stdout == "1.4 Hello from demo!\n", probe.stderr  # the project itself, editable
    code, out, _ = pkm("sync")
    assert (code, out) == (0, f"Already in sync: 3 packages in {project / '.venv'} match {project / 'pylock.toml'}\n")
    code, out, _ = pkm("sync", "--no-dev")
    assert code == 0 and out.splitlines()[1:] == [" - testtool==3.0"]
    code, out, err = pkm("remove", "lib")
    assert code == 0, err
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"] == []
    assert out.splitlines()[1:] == [" - helper==2.0", " - lib==1.4", " + testtool==3.0"]


def test_lock_marks_groups_and_extras_and_sync_selects_them(pkm, shelf, monkeypatch):
    (pkm.work / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["lib==1.0"]\n'
        '[project.optional-dependencies]\nfast = ["fastlib"]\n'
        '[dependency-groups]\ndev = ["testtool"]\ndocs = [{include-group = "dev"}, "helper"]\n')
    code, out, err = pkm("lock")
    assert code == 0, err
    lock = tomllib.loads((pkm.work / "pylock.toml").read_text())
    markers = {p["name"]: p.get("marker") for p in lock["packages"]}
    assert markers == {"fastlib": '"fast" in extras', "helper": '"docs" in dependency_groups',
                       "lib": None, "testtool": '"dev" in dependency_groups or "docs" in dependency_groups'}
    assert lock["dependency-groups"] == ["dev", "docs"] and lock["default-groups"] == ["dev"]
    code, out, err = pkm("sync", "--no-dev", "--group", "docs", "--extra", "fast")
    assert code == 0, err
    assert [line.split("==")[0] for line in out.splitlines()[1:]] == [" + fastlib", " + helper", " + lib", " + testtool"]
    code, out, err = pkm("sync", "--group", "nope")
    assert code == 2 and "p has no dependency group `nope`" in err


def test_frozen_refuses_a_stale_lock_and_check_notices(pkm, shelf):
    pyproject = pkm.work / "pyproject.toml"
    pyproject.write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["lib==1.0"]\n')
    assert pkm("lock")[0] == 0
    assert pkm("lock", "--check")[0] == 0
    pyproject.write_text(pyproject.read_text().replace("lib==1.0", "lib"))
    code, out, err = pkm("sync", "--frozen")
    assert (code, out) == (1, "")
    assert "pylock.toml is stale (pyproject.toml changed since it was made)" in err
    assert not (pkm.work / ".venv").exists()
    code, _, err = pkm("lock", "--check")
    assert code == 1 and "is stale" in err


def test_add_failures_write_nothing(pkm, shelf):
    pyproject = pkm.work / "pyproject.toml"
    original = '[project]\nname = "p"\nversion = "1"\ndependencies = []\n'
    pyproject.write_text(original)
    code, out, err = pkm("add", "does-not-exist")
    assert (code, out) == (1, "") and "does-not-exist" in err
    code, out, err = pkm("add", "lib>=9")
    assert code == 1 and "no set of versions satisfies the requirements" in err
    code, out, err = pkm("add", "bad req ===")
    assert code == 2 and "invalid requirement" in err
    code, out, err = pkm("remove", "lib")
    assert code == 1 and "lib is not in [project] dependencies" in err
    assert pyproject.read_text() == original and not (pkm.work / "pylock.toml").exists()


def test_add_to_a_group_an_extra_and_a_script(pkm, shelf):
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    assert pkm("add", "testtool", "--group", "test", "--no-sync")[0] == 0
    assert pkm("add", "fastlib", "--optional", "fast", "--no-sync")[0] == 0
    data = tomllib.loads((pkm.work / "pyproject.toml").read_text())
    assert data["dependency-groups"] == {"test": ["testtool>=3.0"]}
    assert data["project"]["optional-dependencies"] == {"fast": ["fastlib>=0.9"]}
    script = pkm.work / "tool.py"
    script.write_text("#!/usr/bin/env python3\nimport lib\n")
    code, out, err = pkm("add", "lib", "--script", "tool.py")
    assert code == 0, err
    assert script.read_text() == ('#!/usr/bin/env python3\n# /// script\n# dependencies = ["lib>=1.4"]\n# ///\n'
                                  "import lib\n")
    assert pkm("remove", "lib", "--script", "tool.py")[0] == 0
    assert script.read_text() == "#!/usr/bin/env python3\n# /// script\n# dependencies = []\n# ///\nimport lib\n"


def test_new_refuses_to_overwrite_and_bad_names(pkm):
    (pkm.work / "taken").mkdir()
    (pkm.work / "taken" / "x").write_text("")
    code, _, err = pkm("new", "taken")
    assert code == 1 and "taken already exists and is not empty" in err
    code, _, err = pkm("new", "-bad-")
    assert code == 2
    code, out, _ = pkm("new", "tool", "--app", "--flat")
    assert code == 0 and "  tool/__main__.py" in out.splitlines()


def test_install_editable_with_dependencies(pkm, shelf):
    assert pkm("new", "edit")[0] == 0
    pyproject = pkm.work / "edit" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("dependencies = []", 'dependencies = ["lib==1.0"]'))
    assert pkm("venv", "env")[0] == 0
    code, out, err = pkm("install", "-e", "edit", "--env", "env")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + lib==1.0", f" + edit (editable: {pkm.work / 'edit'})"]
    import json
    import subprocess

    probe = subprocess.run([str(pkm.work / "env" / "bin" / "python"), "-c",
                            "import edit, lib, importlib.metadata as m; print(edit.hello(), lib.v, "
                            "m.distribution('edit').read_text('direct_url.json'))"],
                           capture_output=True, text=True)
    assert probe.stdout.startswith("Hello from edit! 1.0 "), probe.stderr
    assert json.loads(probe.stdout.split(" 1.0 ", 1)[1]) == {"url": (pkm.work / "edit").as_uri(),
                                                              "dir_info": {"editable": True}}


def test_a_project_without_dependencies_syncs(pkm, monkeypatch):
    assert pkm("new", "empty")[0] == 0
    project = pkm.work / "empty"
    text = (project / "pyproject.toml").read_text().replace('dev = ["pytest>=8"]', "dev = []")
    (project / "pyproject.toml").write_text(text)
    monkeypatch.chdir(project)
    code, out, err = pkm("sync")
    assert code == 0, err
    assert pkm.python(project, "import empty; print(empty.hello())").stdout == "Hello from empty!\n"


def test_named_environments_have_their_own_venv_lock_and_groups(pkm, shelf):
    python = "%d.%d" % sys.version_info[:2]
    (pkm.work / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["lib==1.0"]\n'
        '[dependency-groups]\ndev = ["testtool"]\ndocs = ["helper"]\n'
        f'[tool.pkm.envs.docs]\npython = "{python}"\ngroups = ["docs"]\n')
    code, out, err = pkm("sync", "--env-name", "docs")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + helper==2.0", " + lib==1.0"]  # the env's groups, not dev
    assert (pkm.work / ".venvs" / "docs" / "pyvenv.cfg").is_file() and (pkm.work / "pylock.docs.toml").is_file()
    assert not (pkm.work / ".venv").exists()
    code, _, err = pkm("sync", "--env-name", "nope")
    assert code == 2 and "p has no environment `nope`" in err
    (pkm.work / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n[tool.pkm.envs.bad]\npython = 3\n')
    code, _, err = pkm("sync", "--env-name", "bad")
    assert code == 2 and "[tool.pkm.envs.bad] takes python (a string)" in err


@pytest.mark.parametrize("command", [["sync", "-q"], ["exec", "true"]], ids=["sync", "exec"])
def test_a_no_op_sync_or_exec_imports_no_toml_pathlib_typing_or_hashlib(pkm, shelf, command):
    # `pkm sync` with nothing to do and `pkm exec` in a synced project are measured against
    # `uv sync` and `uv run` (README, Performance).
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["lib==1.0"]\n')
    assert pkm("sync")[0] == 0
    code = ("import sys; from pkm.cli import main\n"
            f"assert main({command!r}) == 0\n"
            "print(sorted(m for m in ('pathlib', 'typing', 'hashlib', 'tomllib', 'tomli', 'packaging', 'json',"
            " 'pkm.project._pyproject', 'pkm.lock', 'pkm.install') if m in sys.modules))")
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([sys.executable, "-c", code], cwd=pkm.work, capture_output=True, text=True, env=environ)
    assert (done.returncode, done.stdout, done.stderr) == (0, "[]\n", "")


def test_a_no_op_sync_takes_the_shortcut_until_something_changes(pkm, shelf):
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["lib==1.0"]\n')
    assert pkm("sync")[0] == 0
    code, out, _ = pkm("sync")
    assert (code, out) == (0, f"Already in sync: {pkm.work / '.venv'} matches {pkm.work / 'pylock.toml'}\n")
    assert pkm("uninstall", "lib", "--env", ".venv")[0] == 0  # the environment changed behind sync's back
    code, out, _ = pkm("sync")
    assert code == 0 and out.splitlines()[1:] == [" + lib==1.0"]
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["lib"]\n')
    code, out, _ = pkm("sync")  # the pyproject changed: re-locked (lib stays: the lock's version still fits)
    assert code == 0 and out.startswith("Already in sync: 1 package in")
