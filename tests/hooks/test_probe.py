"""The interpreter probe describes any Python 3.9+ as versioned JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment

import pkm_runtime

PYENV = Path.home() / ".pyenv" / "versions"


def probe(python: str) -> dict:
    out = subprocess.run([python, pkm_runtime.hook_script("probe")], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_probe_of_the_running_interpreter():
    info = probe(sys.executable)
    assert info["probe"] == 1
    assert info["version"] == list(sys.version_info[:3])
    assert info["cache_tag"] == sys.implementation.cache_tag
    assert info["prefix"] == sys.prefix
    assert info["paths"]["purelib"]
    assert info["markers"] == default_environment()  # the spec's marker values, exactly


def test_probe_is_not_shadowed_by_files_beside_it(tmp_path):
    # A module named like a stdlib one next to the script must not be imported.
    script = Path(pkm_runtime.hook_script("probe"))
    copy = tmp_path / "probe.py"
    copy.write_text(script.read_text())
    (tmp_path / "json.py").write_text("raise SystemExit('shadowed!')\n")
    out = subprocess.run([sys.executable, str(copy)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["probe"] == 1


def _pythons():
    found = sorted(PYENV.glob("3.*/bin/python3"))
    return [str(p) for p in found if p.parent.parent.name.split(".")[1].isdigit()
            and 9 <= int(p.parent.parent.name.split(".")[1]) <= 13]


@pytest.mark.multipython
@pytest.mark.parametrize("python", _pythons() or [sys.executable])
def test_probe_runs_on_every_supported_python(python):
    info = probe(python)
    assert info["probe"] == 1 and info["version"][0] == 3 and 9 <= info["version"][1] <= 13
    assert info["markers"]["python_version"] == "%d.%d" % tuple(info["version"][:2])
