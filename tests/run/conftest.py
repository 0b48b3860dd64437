"""`python -m pkm.run` in a subprocess, against the loopback index, with a private store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]


class Runner:
    """`run(*args)` -> CompletedProcess of `python -m pkm.run ARGS` in `work`, text mode."""

    def __init__(self, tmp: Path, index_url: str):
        self.work = tmp / "work"
        self.work.mkdir()
        self.home = tmp / "home"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("PKM_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
        self.env.update(PKM_HOME=str(self.home), PKM_INDEX_URL=index_url, XDG_CONFIG_HOME=str(tmp / "config"),
                        NO_COLOR="1")

    def script(self, name: str, text: str, deps: Optional[list] = None) -> Path:
        """Write a script; `deps` become its `# /// script` block."""
        header = ""
        if deps is not None:
            header = "# /// script\n# dependencies = [%s]\n# ///\n" % ", ".join(f'"{d}"' for d in deps)
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + text)
        return path

    def __call__(self, *args: str, python: str = sys.executable, cwd: Optional[Path] = None,
                 env: Optional[Dict[str, str]] = None, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
        return subprocess.run([python, "-m", "pkm.run", *args], cwd=str(cwd or self.work), capture_output=True,
                              text=True, env=dict(self.env, **(env or {})), input=stdin, timeout=120)

    def manifests(self) -> list:
        return sorted((self.home / "runtime-v1").glob("*.json"))

    def wait_for_bytecode(self, timeout: float = 60.0) -> None:
        """Wait until every tree's marker lists this interpreter's bytecode (the cold path compiles it
        in the background, after the script has started)."""
        import json
        import time

        deadline = time.monotonic() + timeout
        tag = sys.implementation.cache_tag
        while True:
            markers = list((self.home / "trees").glob("*/.pkm-complete"))
            if markers and all(tag in json.loads(m.read_text())["interpreters"] for m in markers):
                return
            if time.monotonic() > deadline:
                raise AssertionError("the background bytecode compile did not finish")
            time.sleep(0.05)


@pytest.fixture
def run(tmp_path, index_server) -> Runner:
    return Runner(tmp_path, index_server.simple_url)
