"""Build a project with pkm's backend, publish it to a real pypiserver, install it back and run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pkm.backend
from pkm.cli import main
from support.pypiserver import PASSWORD

PYPROJECT = """\
[build-system]
requires = ["pkm-tool"]
build-backend = "pkm.backend"

[project]
name = "roundtrip-demo"
version = "1.2.0"
description = "Built, published and installed back by pkm"
readme = "README.md"
requires-python = ">=3.9"
license = "MIT"

[project.scripts]
roundtrip-demo = "roundtrip_demo:main"
"""


def _hermetic(monkeypatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("PKM_") or key in ("NETRC", "VIRTUAL_ENV"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "pkm-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)


def test_build_publish_install_back(pypiserver, tmp_path, monkeypatch, capsys):
    _hermetic(monkeypatch, tmp_path)
    project = tmp_path / "project"
    (project / "roundtrip_demo").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "README.md").write_text("# roundtrip-demo\n\nA package that makes the whole trip.\n")
    (project / "roundtrip_demo" / "__init__.py").write_text(
        "def main():\n    print('hello from roundtrip-demo 1.2.0')\n")
    dist = tmp_path / "dist"
    dist.mkdir()
    built = [pkm.backend.build(project, kind, dist) for kind in ("wheel", "sdist")]
    assert sorted(built) == ["roundtrip_demo-1.2.0-py3-none-any.whl", "roundtrip_demo-1.2.0.tar.gz"]

    code = main(["publish", "--repository-url", pypiserver.url, "--username", "alice", "--password", PASSWORD,
                 *(str(dist / name) for name in built)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert all(pypiserver.has(name) for name in built)

    assert main(["venv", str(tmp_path / "venv")]) == 0
    code = main(["install", "--no-deps", "roundtrip-demo==1.2.0", "--env", str(tmp_path / "venv"),
                 "--index-url", pypiserver.simple_url])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert " + roundtrip-demo==1.2.0" in out
    script = tmp_path / "venv" / "bin" / "roundtrip-demo"
    ran = subprocess.run([str(script)], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert (ran.returncode, ran.stdout) == (0, "hello from roundtrip-demo 1.2.0\n"), ran.stderr
