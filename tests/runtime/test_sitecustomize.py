"""pkm's sitecustomize chains to the one it shadows and never breaks interpreter start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pkm_runtime


def run_with(tmp_path, other_sitecustomize: str | None, env_extra=None):
    other = tmp_path / "other"
    other.mkdir(exist_ok=True)
    if other_sitecustomize is not None:
        (other / "sitecustomize.py").write_text(other_sitecustomize)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([pkm_runtime.locate("sitecustomize"), str(other)])
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", "print('started')"], env=env, capture_output=True, text=True)


def test_the_shadowed_sitecustomize_still_runs(tmp_path):
    proc = run_with(tmp_path, "print('other sitecustomize ran')\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "other sitecustomize ran\nstarted\n"


def test_a_failing_chained_sitecustomize_does_not_break_start_up(tmp_path):
    proc = run_with(tmp_path, "raise RuntimeError('broken site')\n")
    assert proc.returncode == 0
    assert proc.stdout == "started\n"
    assert proc.stderr == ""
    proc = run_with(tmp_path, "raise RuntimeError('broken site')\n", {"PKM_DEBUG": "1"})
    assert proc.stdout == "started\n"
    assert "the chained sitecustomize failed: RuntimeError('broken site')" in proc.stderr


def test_without_another_sitecustomize_nothing_happens(tmp_path):
    proc = run_with(tmp_path, None)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "started\n", "")
