"""Fixtures for the install pipeline's commands: pkm run in-process, real venvs, locks of published wheels."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List

import pytest

from pkm.cli import main
from pkm.env import create_venv, probe
from pkm.lock import environment_marker, package_from_artifacts, single_environment_requires_python, write_lock

DEV_PYTHON = "/root/pkm-dev/bin/python" if os.path.exists("/root/pkm-dev/bin/python") else sys.executable

class Pkm:
    """Runs `pkm` in-process; `(code, out, err)` per call."""

    def __init__(self, capsys, home: Path, work: Path):
        self.capsys, self.home, self.work = capsys, home, work

    def __call__(self, *args: str):
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def venv(self, name: str = "venv") -> Path:
        """A fresh venv of the dev interpreter (no pip), made the fast way."""
        interp = probe(DEV_PYTHON, cache_dir=self.home / "interpreters-v1")
        return Path(create_venv(self.work / name, interp))

    def python(self, env: Path, code: str) -> subprocess.CompletedProcess:
        environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return subprocess.run([str(env / "bin" / "python"), "-c", code], capture_output=True, text=True,
                              env=environ, timeout=60)

    def pip(self, env: Path, *args: str) -> subprocess.CompletedProcess:
        cmd = [DEV_PYTHON, "-m", "pip", "--python", str(env / "bin" / "python"), "--disable-pip-version-check",
               "--no-input", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def lock(self, path: Path, wheels: List[Dict], python: str = "%d.%d" % sys.version_info[:2]) -> Path:
        """Write a one-environment lock of published files: dicts with name, version, path, url (+ marker)."""
        packages = []
        for entry in wheels:
            files = entry["files"] if "files" in entry else [(entry["path"], entry["url"])]
            artifacts = [SimpleNamespace(filename=Path(p).name, url=url,
                                         hashes={"sha256": entry.get("sha256") or hashlib.sha256(Path(p).read_bytes()).hexdigest()},
                                         size=Path(p).stat().st_size, upload_time=None) for p, url in files]
            packages.append(package_from_artifacts(entry["name"], entry["version"], artifacts,
                                                   index=entry.get("index"), marker=entry.get("marker")))
        interp = probe(DEV_PYTHON, cache_dir=self.home / "interpreters-v1")
        write_lock(path, packages, environments=[environment_marker(interp.markers())],
                   requires_python=single_environment_requires_python(python))
        return path


@pytest.fixture
def pkm(tmp_path, monkeypatch, capsys) -> Pkm:
    for name in [k for k in os.environ if k.startswith("PKM_")] + ["VIRTUAL_ENV"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return Pkm(capsys, tmp_path / "home", work)


@pytest.fixture
def shelf(index_server, dists):
    """Build and publish a wheel, described for `Pkm.lock`: `shelf("demo", "1.0", **factory_kwargs)`."""

    def put(name: str, version: str, **kwargs) -> Dict:
        path = dists.wheel(name, version, **kwargs)
        return {"name": name, "version": version, "path": str(path), "url": index_server.add_file(path),
                "index": index_server.simple_url}

    return put
