"""pkm exec (a command in the synced .venv), the project's variables (.env, [tool.pkm.env]) and `pkm install` alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = ("import json, os, sys, lib; json.dump({'lib': lib.v, 'prefix': sys.prefix, 'venv': os.environ['VIRTUAL_ENV'], "
         "'path0': os.environ['PATH'].split(os.pathsep)[0], 'vars': {k: os.environ.get(k) for k in "
         "('FROM_TOOL', 'FROM_DOTENV', 'BOTH', 'PRESET', 'QUOTED')}}, open('probe.json', 'w'))")


@pytest.fixture
def project(pkm, publish):
    publish("lib", "1.4", files={"lib.py": "v = '1.4'\ndef main():\n    print('libtool ran')\n"},
            entry_points={"console_scripts": {"libtool": "lib:main"}})
    publish("extra", "1.0")
    (pkm.work / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["lib"]\n'
        '[tool.pkm.env]\nFROM_TOOL = "tool"\nBOTH = "tool"\nPRESET = "tool"\n')
    (pkm.work / ".env").write_text('# local settings\nFROM_DOTENV=dotenv\nexport BOTH = dotenv  # wins over tool\n'
                                   'PRESET=dotenv\nQUOTED="a \\"b\\" ${FROM_DOTENV}"\n')
    return pkm


def _probe(work):
    return json.loads((work / "probe.json").read_text())


def test_exec_syncs_first_then_runs_in_the_venv_with_the_variables(project, monkeypatch):
    monkeypatch.setenv("PRESET", "environment")
    code, out, err = project("exec", "python", "-c", PROBE)
    assert (code, out) == (0, ""), err  # sync's report goes to stderr: stdout is the command's
    assert "Locked" in err and " + lib==1.4" in err
    venv = str(project.work / ".venv")
    probe = _probe(project.work)
    assert probe["lib"] == "1.4" and probe["venv"] == venv and probe["path0"] == os.path.join(venv, "bin")
    assert os.path.realpath(probe["prefix"]) == os.path.realpath(venv)
    assert probe["vars"] == {"FROM_TOOL": "tool", "FROM_DOTENV": "dotenv", "BOTH": "dotenv", "PRESET": "environment",
                             "QUOTED": 'a "b" dotenv'}
    code, out, err = project("exec", "python", "-c", "raise SystemExit(7)")
    assert (code, out, err) == (7, "", "")  # in sync: nothing to say, nothing synced


def test_exec_resyncs_when_the_project_changes_and_runs_console_scripts(project):
    assert project("exec", "true")[0] == 0
    pyproject = project.work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["lib"]', '["lib", "extra"]'))
    code, _, err = project("exec", "--", "python", "-c", "import extra")
    assert code == 0 and " + extra==1.0" in err
    code, _, err = project("exec", "sh", "-c", "libtool > tool.txt")
    assert code == 0, err
    assert (project.work / "tool.txt").read_text() == "libtool ran\n"


def test_exec_failures(project):
    code, _, err = project("exec")
    assert code == 2 and "nothing to run" in err
    code, _, err = project("exec", "--no-sync", "python", "-V")
    assert code == 1 and ".venv does not exist" in err
    code, _, err = project("exec", "--frozen", "true")
    assert code == 1 and "pylock.toml is missing" in err
    code, _, err = project("exec", "no-such-command-zzz")
    assert code == 127 and "command not found: no-such-command-zzz" in err
    script = project.work / ".venv" / "bin" / "not-executable"
    script.write_text("#!/bin/sh\necho ran\n")
    code, out, err = project("exec", "not-executable")  # found on the venv's PATH, but no execute bit
    assert code == 126 and "cannot run not-executable: Permission denied" in err and out == ""


@pytest.mark.parametrize("dotenv, line, message", [
    ("A=1\nnot an assignment\n", 2, "not a KEY=VALUE line"),
    ("A=1\n\n1BAD=2\n", 3, "not a valid variable name"),
    ("A='open\n", 1, "unterminated 'single-quoted' value"),
    ('A="x" trailing\n', 1, "unexpected text after the quoted value"),
])
def test_a_malformed_dotenv_is_exit_2_with_its_line(project, dotenv, line, message):
    (project.work / ".env").write_text(dotenv)
    code, out, err = project("exec", "true")
    assert (code, out) == (2, "")
    assert f"{project.work / '.env'}:{line}: {message}" in err


def test_tool_env_must_hold_strings(project):
    pyproject = project.work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('FROM_TOOL = "tool"', "FROM_TOOL = 3"))
    code, _, err = project("exec", "true")
    assert code == 2 and "pyproject.toml:6: [tool.pkm.env] FROM_TOOL must be a string, not int" in err


def test_pkm_run_loads_the_variables_too(project, monkeypatch):
    monkeypatch.setenv("PRESET", "environment")
    code = "import os; print(os.environ['BOTH'], os.environ['FROM_TOOL'], os.environ['PRESET'])"
    done = subprocess.run([sys.executable, "-m", "pkm", "run", "python", "-c", code], cwd=project.work,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout == "dotenv tool environment\n", done.stderr


def test_install_alone_locks_and_syncs_the_project(project, tmp_path, monkeypatch):
    code, out, err = project("install")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + lib==1.4"] and (project.work / "pylock.toml").is_file()
    code, out, _ = project("install")
    assert code == 0 and out.startswith("Already in sync: 1 package")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = project("install")
    assert (code, out) == (2, "") and "nothing to install" in err


def test_shell_runs_the_users_shell_inside_the_venv(pkm, publish, monkeypatch):
    publish("lib", "1.0", files={"lib.py": ""})
    (pkm.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["lib"]\n'
                                            '[tool.pkm.env]\nGREETING = "hi"\n')
    monkeypatch.setenv("SHELL", "/bin/sh")
    out = pkm.work / "out.txt"
    code, _, err = pkm("shell", "-c", f'echo "$VIRTUAL_ENV $GREETING $PKM_SHELL" > {out}; exit 4')
    assert code == 4, err
    assert out.read_text() == f"{pkm.work / '.venv'} hi {pkm.work}\n"
