"""`pkm venv` and `pkm python`: output, options, failures and exit codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import pkm.cli
from pkm.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `pkm` in-process in an empty working directory with its own PKM_HOME."""
    monkeypatch.setitem(pkm.cli.COMMANDS, "venv", ("pkm.cli.venv", "Create a virtual environment"))
    monkeypatch.setitem(pkm.cli.COMMANDS, "python", ("pkm.cli.python", "Find Python interpreters"))
    for name in [k for k in os.environ if k.startswith("PKM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("SHELL", "/bin/bash")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_pkm_venv_creates_dot_venv_and_says_how_to_activate(cli, capsys, tmp_path):
    assert main(["venv"]) == 0
    out, err = capsys.readouterr()
    assert out == "Created virtual environment at .venv\nActivate with: source .venv/bin/activate\n"
    assert err.startswith(f"Using CPython {'.'.join(map(str, sys.version_info[:3]))} at /")
    assert (cli / ".venv" / "pyvenv.cfg").is_file()
    assert list((tmp_path / "home" / "interpreters-v1").glob("*.marshal"))  # the probe is cached for next time


def test_options_reach_the_venv(cli, capsys):
    assert main(["venv", "env dir", "--prompt", "demo", "--system-site-packages", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(cli / "env dir") and data["version"] == "%d.%d.%d" % sys.version_info[:3]
    assert data["activate"] == "source 'env dir/bin/activate'"
    cfg = (cli / "env dir" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = true\n" in cfg and "prompt = 'demo'\n" in cfg


def test_fish_users_get_the_fish_script(cli, capsys, monkeypatch):
    monkeypatch.setenv("SHELL", "/usr/bin/fish")
    assert main(["venv"]) == 0
    assert capsys.readouterr().out.endswith("Activate with: source .venv/bin/activate.fish\n")


def test_an_explicit_interpreter_path(cli, capsys):
    base = Path(sys.base_prefix) / "bin" / ("python%d.%d" % sys.version_info[:2])
    assert main(["venv", "--python", str(base), "v"]) == 0
    assert os.path.realpath(cli / "v" / "bin" / "python") == os.path.realpath(base)


def test_clear_and_refusal(cli, capsys):
    (cli / "src").mkdir()
    (cli / "src" / "main.py").write_text("")
    assert main(["venv", "src", "--clear"]) == 1
    _, err = capsys.readouterr()
    assert "\nerror: refusing to create a virtual environment in " in err
    assert "hint: choose another path" in err
    assert (cli / "src" / "main.py").exists()
    assert main(["venv", "-q"]) == 0
    site = next((cli / ".venv" / "lib").glob("*/site-packages"))
    (site / "old.py").write_text("")
    assert main(["venv", "-q", "--clear"]) == 0
    assert not (site / "old.py").exists()


def test_an_unknown_python_fails_with_a_hint(cli, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(cli))
    monkeypatch.setenv("PYENV_ROOT", str(cli / "no-pyenv"))
    assert main(["venv", "--python", "3.99"]) == 1
    _, err = capsys.readouterr()
    assert err.startswith("error: no Python interpreter matching `3.99`\n")
    assert "hint: install it" in err
    assert main(["venv", "--python", "snake"]) == 2
    assert not (cli / ".venv").exists()


def test_python_list_and_find(cli, capsys, monkeypatch):
    bin_dir = cli / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(cli / "no-pyenv"))
    assert main(["python", "list"]) == 0
    version = "%d.%d.%d" % sys.version_info[:3]
    assert capsys.readouterr().out == f"cpython-{version}  {bin_dir / 'python3'}\n"
    assert main(["python", "find", "%d.%d" % sys.version_info[:2], "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["executable"] == str(bin_dir / "python3")


def test_venv_help(cli, capsys):
    assert main(["venv", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: pkm venv") and "--system-site-packages" in out and "--clear" in out


def test_seed_installs_pip_from_the_index_through_the_store(cli, capsys, publish, index_server):
    import subprocess

    publish("pip", "99.0", entry_points={"console_scripts": {"pip": "pip:main"}},
            files={"pip/__init__.py": "def main():\n    print('pip from the store')\n"})
    assert main(["venv", "seeded", "--seed", "--index-url", index_server.simple_url]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[:2] == ["Created virtual environment at seeded", "Seeded pip==99.0"]
    done = subprocess.run([str(cli / "seeded" / "bin" / "pip")], capture_output=True, text=True)
    assert done.stdout == "pip from the store\n"
    assert main(["venv", "bare", "--seed", "--index-url", index_server.simple_url, "--offline"]) == 0  # cached now
