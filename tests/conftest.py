"""Fixtures shared by every test: the loopback index, the dist factory, and a `pkm` runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.fixtures import *  # noqa: F401,F403  (loopback_server, index_server, dists, publish)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pkm_env(tmp_path, monkeypatch):
    """An environment for running pkm hermetically: its own home, config and cache dirs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PKM_")}
    env["PKM_HOME"] = str(tmp_path / "pkm-home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    env["PYTHONPATH"] = str(REPO)
    env.pop("NO_COLOR", None)
    return env


@pytest.fixture
def run_pkm(pkm_env, tmp_path):
    """Run `python -m pkm ARGS...` in a subprocess; returns the CompletedProcess (text)."""

    def run(*args: str, cwd: Path | None = None, env: dict | None = None, input: str | None = None):
        full_env = dict(pkm_env)
        if env:
            full_env.update(env)
        return subprocess.run(
            [sys.executable, "-m", "pkm", *args],
            cwd=cwd or tmp_path,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
