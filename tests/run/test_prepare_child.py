"""The cold path's child process hands its answer over, then lets go of the parent's pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The child as `python -m pkm.run` starts it, with the cold work replaced: `prepare` answers
# at once, and the background compile waits until the test lets it finish.
CHILD = """
import os, sys, time
from pkm.run import _cold, _prepare
flag = sys.argv[1]
def compile_later(manifest):
    while not os.path.exists(flag):
        time.sleep(0.01)
_cold.prepare = lambda request: {"distributions": []}
_cold.compile_later = compile_later
sys.stderr.write("progress on stderr\\n")
sys.exit(_prepare.main())
"""


def test_the_background_compile_holds_neither_stdout_nor_stderr(tmp_path):
    # Whoever reads `python -m pkm.run script.py 2>&1` gets end-of-file when the script ends,
    # not when the bytecode of its new trees is compiled (tens of seconds for torch).
    flag = tmp_path / "compiled"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(flag)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, text=True)
    pool = ThreadPoolExecutor(2)
    try:
        child.stdin.write(json.dumps({"action": "prepare"}))
        child.stdin.close()
        reads = [pool.submit(child.stdout.read), pool.submit(child.stderr.read)]  # each returns at end-of-file
        out, err = (read.result(timeout=20) for read in reads)
        assert child.poll() is None  # still compiling, yet both pipes are closed
        assert json.loads(out) == {"manifest": {"distributions": []}}
        assert err == "progress on stderr\n"
    finally:
        flag.touch()  # the compile ends, and with it any read still waiting
        child.wait(timeout=60)
        pool.shutdown()
    assert child.returncode == 0
