"""The runtime on every supported Python (3.9-3.13): pkm installed by pkm into a venv of each, then
`python -m pkm.run` of a script whose dependencies come from the loopback index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYENV = Path.home() / ".pyenv" / "versions"


def _pythons():
    found = []
    for minor in range(9, 14):
        found += sorted(PYENV.glob(f"3.{minor}.*/bin/python3"))[-1:]
    return [str(p) for p in found] or [sys.executable]


@pytest.fixture(scope="module")
def pkm_wheel(tmp_path_factory):
    """pkm's own wheel, built by its backend, in a find-links directory."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-c", f"import pkm.backend as b; b.build_wheel({str(out)!r})"], cwd=str(REPO),
                   check=True, capture_output=True, timeout=120)
    return out


@pytest.mark.online
@pytest.mark.multipython
@pytest.mark.parametrize("python", _pythons())
def test_the_runtime_on_every_python(tmp_path, python, pkm_wheel, run, publish):
    env = dict(run.env, PKM_INDEX_URL="https://pypi.org/simple/")
    pkm = [sys.executable, "-m", "pkm"]
    subprocess.run(pkm + ["venv", str(tmp_path / "venv"), "--python", python], env=env, check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run(pkm + ["install", "pkm-tool", "--find-links", str(pkm_wheel), "--env", str(tmp_path / "venv")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    publish("lib", "1.0", files={"lib.py": "import sys\nversion = sys.version_info[:2]\n"})
    run.script("s.py", "import lib, subprocess, sys\n"
                       "out = subprocess.run([sys.executable, '-c', 'import lib; print(lib.version)'], "
                       "capture_output=True, text=True).stdout\n"
                       "print(lib.version, out.strip())\n", deps=["lib"])
    venv_python = str(tmp_path / "venv" / "bin" / "python")
    version = subprocess.run([python, "-c", "import sys; print(tuple(sys.version_info[:2]))"], capture_output=True,
                             text=True).stdout.strip()
    for _ in ("cold", "warm"):
        done = run("s.py", python=venv_python)
        assert (done.returncode, done.stdout) == (0, f"{version} {version}\n"), done.stderr
    assert os.listdir(run.home / "runtime-v1")
