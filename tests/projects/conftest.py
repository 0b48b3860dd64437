"""Project commands in-process against the loopback index, each test in its own work directory."""

from __future__ import annotations

import os
import subprocess

import pytest

from pkm.cli import main


class Pkm:
    def __init__(self, capsys, work, index_url):
        self.capsys, self.work, self.index_url = capsys, work, index_url

    def __call__(self, *args: str):
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def python(self, project, code: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", code], capture_output=True,
                              text=True, env=env, timeout=60)


@pytest.fixture
def pkm(tmp_path, monkeypatch, capsys, index_server):
    for name in [k for k in os.environ if k.startswith("PKM_")] + ["VIRTUAL_ENV"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PKM_INDEX_URL", index_server.simple_url)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return Pkm(capsys, work, index_server.simple_url)
