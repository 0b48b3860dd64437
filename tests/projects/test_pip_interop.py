"""A lock pkm writes is one pip (26.1+, which reads pylock.toml) installs to the same versions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _pip_reads_pylock() -> bool:
    out = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True).stdout
    try:
        return tuple(int(x) for x in out.split()[1].split(".")[:2]) >= (26, 1)
    except (IndexError, ValueError):
        return False


@pytest.mark.skipif(not _pip_reads_pylock(), reason="needs pip 26.1+ (reads pylock.toml)")
def test_pip_installs_what_pkm_locked(pkm, publish):
    publish("lib", "1.0", files={"lib.py": ""})
    publish("lib", "2.0", dependencies=["helper<2"], files={"lib.py": ""})
    publish("helper", "1.5", files={"helper.py": ""})
    publish("helper", "2.0", files={"helper.py": ""})
    publish("fastlib", "0.9", files={"fastlib.py": ""})
    (pkm.work / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["lib"]\n'
        '[project.optional-dependencies]\nfast = ["fastlib"]\n')
    assert pkm("lock")[0] == 0
    assert pkm("venv", "env")[0] == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(pkm.work / "env" / "bin" / "python"),
                           "install", "--no-input", "--disable-pip-version-check", "-r", "pylock.toml"],
                          cwd=str(pkm.work), capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([str(pkm.work / "env" / "bin" / "python"), "-c",
                             "import importlib.metadata as m; print(sorted((d.metadata['Name'], d.version) "
                             "for d in m.distributions()))"], capture_output=True, text=True).stdout
    assert listed.strip() == "[('helper', '1.5'), ('lib', '2.0')]"  # the extra's fastlib is not selected
