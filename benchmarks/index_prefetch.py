"""Fetch 50 real project pages plus the core metadata of each newest wheel from PyPI, cold.

    python benchmarks/index_prefetch.py [--index-url URL] [--rounds N]

Compares pkm's parallel prefetch (8 workers, one pooled HTTP client) with
the same work done one request at a time, each round on an empty cache.
Metadata comes from PEP 658 files when the index lists them, else from
range requests on the wheel (as here, behind a proxy that hides them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pkm.http import HttpClient  # noqa: E402
from pkm.index import ProjectPage, SimpleIndex, newest_matching  # noqa: E402

PROJECTS = """
requests urllib3 idna certifi charset-normalizer rich pygments markdown-it-py mdurl attrs
click packaging pyyaml six python-dateutil typing-extensions jinja2 markupsafe pydantic pydantic-core
annotated-types anyio sniffio h11 httpx httpcore fastapi starlette uvicorn wheel
setuptools pip filelock platformdirs virtualenv distlib tomli pluggy iniconfig pytest
colorama tqdm numpy pandas pytz tzdata decorator wrapt cffi pycparser
""".split()


def one_round(index_url: str, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as home, HttpClient(cache_dir=Path(home) / "index-v1") as client:
        index = SimpleIndex(client, [index_url], tmp_dir=Path(home), workers=workers,
                            metadata_dir=Path(home) / "metadata-v1")
        start = time.perf_counter()
        index.prefetch(PROJECTS)
        choices = []
        for name in PROJECTS:
            page = index.project_page(name)
            if isinstance(page, ProjectPage):
                choice = newest_matching(page, only_binary=True)
                if choice is not None:
                    choices.append(choice.artifact)
        index.prefetch((), metadata_for=choices)
        fetched = sum(1 for artifact in choices if index.core_metadata(artifact).name)
        return time.perf_counter() - start, fetched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-url", default="https://pypi.org/simple/")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for label, workers in (("parallel (8 workers)", 8), ("sequential (1 worker)", 1)):
        times = []
        for _ in range(args.rounds):
            elapsed, fetched = one_round(args.index_url, workers)
            times.append(elapsed)
        results[label] = statistics.median(times)
        print(f"{label:22} {results[label]:6.2f} s median of {args.rounds} "
              f"({len(PROJECTS)} pages + {fetched} metadata files)")
    ratio = results["sequential (1 worker)"] / results["parallel (8 workers)"]
    print(f"parallel prefetch is {ratio:.1f}x faster than one request at a time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
