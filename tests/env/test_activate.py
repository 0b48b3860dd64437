"""Activation scripts: bash really activates and deactivates; the other shells get the right paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pkm.env import create_venv, probe
from pkm.env._activate import activation_scripts


@pytest.fixture(scope="module")
def interp(tmp_path_factory):
    return probe(sys.executable, cache_dir=tmp_path_factory.mktemp("probe-cache"))


def _bash(script: str, env: dict) -> list[str]:
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                         env=env, check=True)
    return out.stdout.splitlines()


# An awkward but legal path: spaces, a quote, a dollar sign, a backtick.
AWKWARD = "it's a $HOME `dir`"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_activate_and_deactivate_restore_everything(tmp_path, interp):
    venv = Path(create_venv(tmp_path / AWKWARD / "env", interp))
    env = {"PATH": "/usr/bin:/bin", "PYTHONHOME": "/somewhere", "HOME": str(tmp_path)}
    script = f"""
        PS1='$ '  # bash drops an inherited PS1 when not interactive
        source {_q(venv / 'bin' / 'activate')}
        echo "$VIRTUAL_ENV"; echo "$VIRTUAL_ENV_PROMPT"; echo "$PATH"; echo "$PS1"; echo "${{PYTHONHOME-unset}}"
        command -v python
        python -c 'import sys; print(sys.prefix)'
        deactivate
        echo "$PATH"; echo "$PS1"; echo "${{PYTHONHOME-unset}}"; echo "${{VIRTUAL_ENV-unset}}"
        type deactivate >/dev/null 2>&1 && echo "still defined" || echo "gone"
    """
    lines = _bash(script, env)
    assert lines == [
        str(venv), "env", f"{venv}/bin:/usr/bin:/bin", "(env) $ ", "unset",
        f"{venv}/bin/python", str(venv),
        "/usr/bin:/bin", "$ ", "/somewhere", "unset", "gone",
    ]


def test_activating_a_second_venv_leaves_the_first(tmp_path, interp):
    one = Path(create_venv(tmp_path / "one", interp))
    two = Path(create_venv(tmp_path / "two", interp, prompt="second"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    script = f"""
        source {_q(one / 'bin' / 'activate')}
        source {_q(two / 'bin' / 'activate')}
        echo "$VIRTUAL_ENV"; echo "$PATH"; echo "$PS1"
        deactivate
        echo "$PATH"
    """
    assert _bash(script, env) == [str(two), f"{two}/bin:/usr/bin:/bin", "(second) ", "/usr/bin:/bin"]


def test_running_activate_instead_of_sourcing_it_says_so(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp))
    done = subprocess.run(["bash", str(venv / "bin" / "activate")], capture_output=True, text=True)
    assert done.returncode != 0 and "must be sourced" in done.stderr


def test_disable_prompt_is_honoured(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp))
    env = {"PATH": "/usr/bin:/bin", "VIRTUAL_ENV_DISABLE_PROMPT": "1"}
    assert _bash(f"PS1='$ '; source {_q(venv / 'bin' / 'activate')}; echo \"$PS1\"", env) == ["$ "]


def test_fish_csh_and_powershell_scripts_name_the_venv(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp, prompt="demo"))
    fish = (venv / "bin" / "activate.fish").read_text()
    csh = (venv / "bin" / "activate.csh").read_text()
    ps1 = (venv / "bin" / "Activate.ps1").read_text()
    assert f"set -gx VIRTUAL_ENV '{venv}'" in fish and "set -gx VIRTUAL_ENV_PROMPT 'demo'" in fish
    assert 'set -gx PATH "$VIRTUAL_ENV/bin" $PATH' in fish and "function deactivate" in fish
    assert f"setenv VIRTUAL_ENV '{venv}'" in csh and 'setenv PATH "$VIRTUAL_ENV/bin:$PATH:q"' in csh
    assert "alias deactivate" in csh
    assert f"$env:VIRTUAL_ENV = '{venv}'" in ps1 and "$env:VIRTUAL_ENV_PROMPT = 'demo'" in ps1
    assert "function global:deactivate" in ps1


def test_quotes_in_paths_are_escaped_for_each_shell(tmp_path):
    venv = tmp_path / "o'neil"
    scripts = activation_scripts(venv, "p'x")
    assert f"VIRTUAL_ENV='{tmp_path}/o'\\''neil'" in scripts["activate"]
    assert f"set -gx VIRTUAL_ENV '{tmp_path}/o\\'neil'" in scripts["activate.fish"]
    assert f"$env:VIRTUAL_ENV = '{tmp_path}/o''neil'" in scripts["Activate.ps1"]
    with pytest.raises(ValueError):
        activation_scripts(tmp_path / "line\nbreak", "p")


def _q(path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"
