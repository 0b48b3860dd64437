"""The benchmark harness produces well-formed results (its numbers are not asserted: they are not tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.mark.online  # installs the pinned peers (uv, pip, matplotlib) from PyPI into a tool venv
def test_quick_startup_run_writes_results(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--only", "startup", "--out", str(out)],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads((out / "results.json").read_text())
    assert {row["tool"] for row in rows} == {"pkm", "uv", "pip", "python"}
    for row in rows:
        assert row["scenario"] == "startup"
        assert set(row) == {"scenario", "tool", "command", "setup", "before_each",
                            "median_s", "min_s", "max_s", "peak_rss_mb", "runs"}
        assert row["setup"] == [] and row["before_each"] == []
        assert 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
        assert row["runs"] == 5 and row["peak_rss_mb"] > 0
    table = (out / "results.md").read_text()
    assert "| startup | uv |" in table and "x |" in table
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
