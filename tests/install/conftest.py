"""Fixtures for the installer tests: real venvs, tree snapshots, and pip against a venv."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pkm.install import Environment

REPO = Path(__file__).resolve().parents[2]
DEV_PYTHON = "/root/pkm-dev/bin/python" if os.path.exists("/root/pkm-dev/bin/python") else sys.executable


def make_venv(path: Path) -> Environment:
    """A real venv (no pip) at `path`, described by running hooks/probe.py in it."""
    subprocess.run([DEV_PYTHON, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
    out = subprocess.run([str(path / "bin" / "python"), str(REPO / "hooks" / "probe.py")], check=True, capture_output=True, text=True)
    return Environment.from_probe(json.loads(out.stdout))


def snapshot(root: Path) -> dict:
    """Every entry under `root`: relative path -> (kind, mode, content digest or link target)."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir",)
            else:
                with open(path, "rb") as f:
                    result[rel] = ("file", stat.S_IMODE(st.st_mode), hashlib.sha256(f.read()).hexdigest())
    return result


def pip(env: Environment, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the dev interpreter's pip against the venv's interpreter."""
    cmd = [DEV_PYTHON, "-m", "pip", "--python", env.interpreter, "--disable-pip-version-check", "--no-input", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)


def run_in(env: Environment, *args: str) -> subprocess.CompletedProcess:
    """Run a command with the venv's scripts directory first on PATH."""
    environ = dict(os.environ, PATH=env.scheme["scripts"] + os.pathsep + os.environ.get("PATH", ""))
    environ.pop("PYTHONPATH", None)
    return subprocess.run(list(args), capture_output=True, text=True, env=environ, timeout=60)


@pytest.fixture
def venv(tmp_path) -> Environment:
    return make_venv(tmp_path / "venv")


class Tools:
    """The helpers above, handed to tests as a fixture (test modules cannot import conftest)."""

    make_venv = staticmethod(make_venv)
    snapshot = staticmethod(snapshot)
    pip = staticmethod(pip)
    run_in = staticmethod(run_in)
    repo = REPO
    dev_python = DEV_PYTHON


@pytest.fixture
def tools() -> Tools:
    return Tools()
