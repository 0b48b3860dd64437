"""Serve a resolver scenario (a line of cases.jsonl) from the loopback index, built with the dist factory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer

__all__ = ["CASES_FILE", "load_cases", "publish_case"]

CASES_FILE = Path(__file__).resolve().parent / "cases.jsonl"


def load_cases() -> List[Dict[str, Any]]:
    """Every case, in file order (sorted by group, then name)."""
    return [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def publish_case(case: Dict[str, Any], index: IndexServer, work_dir: Path) -> List[str]:
    """Build every artifact the case describes into `work_dir` and publish it on `index`; returns the filenames.

    One wheel per entry of `wheel_tags` (default `py3-none-any`) when `wheel`
    is true, and an sdist when `sdist` is true; `yanked` marks all of them.
    """
    published = []
    for name, versions in case["packages"].items():
        for version, spec in versions.items():
            common = dict(dependencies=spec["requires"], extras=spec["extras"],
                          requires_python=spec["requires_python"])
            paths = []
            if spec["wheel"]:
                for tag in spec["wheel_tags"] or ["py3-none-any"]:
                    paths.append(make_wheel(work_dir, name, version, tag=tag, **common))
            if spec["sdist"]:
                paths.append(make_sdist(work_dir, name, version, **common))
            for path in paths:
                index.add_file(path, yanked=spec["yanked"] or None, requires_python=spec["requires_python"])
                published.append(path.name)
    return published
