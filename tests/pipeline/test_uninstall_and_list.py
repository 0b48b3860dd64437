"""`pkm uninstall` and `pkm list`: removal by RECORD (pip's installs too), listings in text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

EXTRA = dict(files={"tool/__init__.py": "def main():\n    print('tool')\n"},
             entry_points={"console_scripts": {"tool": "tool:main"}})


def files_of(env):
    return sorted(str(p.relative_to(env)) for p in env.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_uninstall_removes_every_file_and_the_script(pkm, shelf):
    env = pkm.venv()
    before = files_of(env)
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("tool", "1.0", **EXTRA), shelf("keep", "1.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    assert (env / "bin" / "tool").exists()
    code, out, err = pkm("uninstall", "tool", "--env", str(env))
    assert code == 0, err
    assert out.splitlines()[0].startswith("Removed 1 package in ") and out.splitlines()[1:] == [" - tool==1.0"]
    assert not (env / "bin" / "tool").exists()
    assert [f for f in files_of(env) if f not in before and "keep" not in f] == []


def test_uninstall_of_a_name_not_installed_warns(pkm, shelf):
    env = pkm.venv()
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    code, out, err = pkm("uninstall", "Demo", "nothere", "--env", str(env))
    assert code == 0 and out.splitlines()[1:] == [" - demo==1.0"]
    assert err == f"warning: nothere is not installed in {env}; skipped\n"
    code, out, err = pkm("uninstall", "demo", "--env", str(env))
    assert code == 0 and out == f"Nothing to uninstall in {env}\n"


def test_pkm_uninstalls_what_pip_installed_and_pip_what_pkm_installed(pkm, shelf, dists):
    env = pkm.venv()
    before = files_of(env)
    by_pip = dists.wheel("bypip", "1.0")
    assert pkm.pip(env, "install", "--no-deps", "--no-index", str(by_pip)).returncode == 0
    assert pkm("uninstall", "bypip", "--env", str(env))[0] == 0
    assert files_of(env) == before
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("tool", "1.0", **EXTRA)])
    assert pkm("install", "--lock", str(lock), "--env", str(env))[0] == 0
    done = pkm.pip(env, "uninstall", "-y", "tool")
    assert done.returncode == 0, done.stderr
    assert files_of(env) == before


def test_list_text_and_json(pkm, shelf):
    env = pkm.venv()
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("zed", "0.1"), shelf("Alpha_Beta", "10.2.3")])
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    code, out, _ = pkm("list", "--env", str(env))
    assert code == 0 and out == "Alpha_Beta  10.2.3\nzed         0.1\n"  # as the metadata spells it
    code, out, _ = pkm("list", "--env", str(env), "--format", "json")
    assert json.loads(out) == [{"name": "Alpha_Beta", "version": "10.2.3"}, {"name": "zed", "version": "0.1"}]


def test_list_without_an_environment_says_how_to_make_one(pkm):
    code, out, err = pkm("list")
    assert code == 1 and out == ""
    assert "no virtual environment to act on" in err and "pkm venv .venv" in err


def test_system_targets_the_first_python3_on_path_and_respects_pep_668(pkm, publish, index_server, monkeypatch, tmp_path):
    from types import SimpleNamespace

    from pkm.cli import _target

    env = pkm.venv()
    bin_dir = tmp_path / "path-bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(env / "bin" / "python")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    publish("demo", "1.0")
    code, out, err = pkm("install", "--system", "demo", "--index-url", index_server.simple_url)
    assert code == 0, err  # a venv's python on PATH: not OS-managed
    code, out, _ = pkm("list", "--system")
    assert code == 0 and "demo" in out
    assert pkm("list", "--system", "--env", str(env))[0] == 2
    stdlib = tmp_path / "stdlib"
    stdlib.mkdir()
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=use apt\n")
    fake = SimpleNamespace(paths={"stdlib": str(stdlib)}, in_venv=False, prefix="/usr")
    monkeypatch.setattr("pkm.env.probe", lambda *a, **k: fake)
    code, out, err = pkm("uninstall", "--system", "demo")
    assert code == 1 and "managed by your operating system's package manager (PEP 668)" in err
    assert "--break-system-packages" in err
    assert _target._system(None, tmp_path, True) == (Path("/usr"), fake)
