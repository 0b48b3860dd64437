"""Regenerate pkm/run/import_names.json from the real wheels of the most downloaded PyPI projects (run by hand).

    python scripts/gen_import_names.py                 # top 2000 of scripts/top_projects.txt
    python scripts/gen_import_names.py --top 500 --out /tmp/names.json

For each project of the ranking, in rank order: its page on the index
(`PKM_INDEX_URL`, default PyPI), the newest wheel a CPython like the one
running this script would install (else the newest release's wheel, pure
first), and that wheel's member names read from its zip central directory by
range requests (one or two small requests; nothing is downloaded whole). The
names come from `pkm.run.import_names.provided_names`, the same rule the
runtime uses. Eight requests at a time. A project with no wheel at all
(sdist only, e.g. pyspark) cannot be read; it is entered under its own name
when that is an identifier (`pyspark` -> pyspark, at its rank) and listed in
the table's "no_wheel" (the runtime must build it before checking). Nightly
builds (`*-nightly`), and projects that only add to a namespace, come after
the other providers of a name whatever their downloads. Projects not on the index are left out; both are listed on stderr. Needs the network; never
run by the tests or CI. The output is deterministic for the same wheels and
date: keys sorted, one per line, each list in download-rank order.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from packaging.utils import canonicalize_name  # noqa: E402

from pkm.errors import PkmError  # noqa: E402
from pkm.http import HttpClient  # noqa: E402
from pkm.index import Artifact, ProjectPage, SimpleIndex, available_versions, newest_matching  # noqa: E402
from pkm.project.settings import DEFAULT_INDEX_URL  # noqa: E402
from pkm.run.import_names import FORMAT, build, provided_names  # noqa: E402

RANKING = REPO / "scripts" / "top_projects.txt"
OUT = REPO / "pkm" / "run" / "import_names.json"
WORKERS = 8  # polite: the index and its file host see at most eight requests at a time


def read_ranking(path: Path) -> Tuple[List[str], str]:
    """(canonical project names, most downloaded first, duplicates dropped; the `# ranking:` header line's text)."""
    names: List[str] = []
    seen: Set[str] = set()
    described = path.name
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# ranking:"):
            described = line[len("# ranking:"):].strip()
        if not line or line.startswith("#"):
            continue
        name = canonicalize_name(line)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names, described


def choose_wheel(page: ProjectPage) -> Optional[Artifact]:
    """The wheel whose files stand for the project: what this interpreter would install, else the newest release's."""
    choice = newest_matching(page, only_binary=True)
    if choice is not None:
        return choice.artifact
    # No wheel for this interpreter (Windows-only, or Python-2-only wheels): any wheel of the newest
    # release that has one, final releases first, pure wheels first, then by file name (deterministic).
    infos = sorted(available_versions(page), key=lambda info: (not info.version.is_prerelease, info.version), reverse=True)
    for info in infos:
        wheels = [a for a in info.artifacts if a.is_wheel and a.yanked is None]
        if wheels:
            return min(wheels, key=lambda a: (not a.filename.endswith("-none-any.whl"), a.filename))
    return None


def scan(client: HttpClient, index_url: str, tmp: Path, project: str) -> Tuple[str, Optional[Dict[str, bool]], str]:
    """(project, its provided names or None, the wheel's file name or why it was left out). Never raises."""
    # An index per project: SimpleIndex keeps every page it parsed, and 2000 pages of artifacts weigh a GB.
    index = SimpleIndex(client, [index_url], tmp_dir=tmp, cache=False)
    try:
        page = index.project_page(project)
        if not isinstance(page, ProjectPage):
            return project, None, "not on the index"
        wheel = choose_wheel(page)
        if wheel is None:
            return project, None, "no wheel"
        return project, provided_names(index.wheel_members(wheel)), wheel.filename
    except PkmError as exc:
        return project, None, f"{exc.what}: {exc.why}" if exc.why else exc.what
    except Exception as exc:  # one odd project must not sink a 2000-project run
        return project, None, f"{type(exc).__name__}: {exc}"


Table = Tuple[Dict[str, List[str]], List[str], List[str]]


def build_table(results: Sequence[Tuple[str, Optional[Dict[str, bool]], str]]) -> Table:
    """(import name -> projects, the ambiguous names, the projects without wheels), from `results` in rank order.

    A project without wheels stands under its own name when it is an identifier.
    """
    scans: List[Tuple[str, Dict[str, bool]]] = []
    no_wheel: List[str] = []
    for project, provided, why in results:
        if provided is None and why == "no wheel" and project.replace("-", "_").isidentifier():
            provided = {project.replace("-", "_"): False}
            no_wheel.append(project)
        if provided is not None:
            scans.append((project, provided))
    names, ambiguous = build(scans)
    return names, ambiguous, sorted(no_wheel)


def render(table: Table, *, generated: str, source: str, projects: int) -> str:
    """The table as JSON text: a header line, the ambiguous names and no-wheel projects, then one name per line."""
    names, ambiguous, no_wheel = table
    dumps = json.dumps
    head = (f'{{"format":{dumps(FORMAT)},"generated":{dumps(generated)},"source":{dumps(source)},'
            f'"projects":{projects},\n"ambiguous":{dumps(ambiguous, separators=(",", ":"))},\n'
            f'"no_wheel":{dumps(no_wheel, separators=(",", ":"))},\n"names":{{\n')
    lines = [f"{dumps(name)}:{dumps(names[name], separators=(',', ':'))}" for name in sorted(names)]
    return head + ",\n".join(lines) + "\n}}\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=2000, help="how many projects of the ranking (default 2000)")
    parser.add_argument("--ranking", type=Path, default=RANKING, help="ranked project names, one a line")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the table")
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="the `generated` date to record")
    args = parser.parse_args(argv)

    ranking, described = read_ranking(args.ranking)
    projects = ranking[: args.top]
    index_url = os.environ.get("PKM_INDEX_URL") or DEFAULT_INDEX_URL
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, HttpClient() as client:
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="gen") as pool:
            results = []
            for done, result in enumerate(pool.map(lambda p: scan(client, index_url, Path(tmp), p), projects), 1):
                results.append(result)
                if done % 100 == 0:
                    print(f"{done}/{len(projects)} projects, {time.monotonic() - started:.0f}s", file=sys.stderr)

    left_out = [(project, why) for project, provided, why in results if provided is None]
    table = build_table(results)
    source = (f"the newest wheel on PyPI of each of the {len(projects)} most downloaded projects "
              f"(ranking: {described}; scripts/top_projects.txt)")
    text = render(table, generated=args.date, source=source, projects=len(projects) - len(left_out))
    args.out.write_text(text, encoding="utf-8")
    for project, why in left_out:
        print(f"left out {project}: {why}", file=sys.stderr)
    print(f"{len(projects) - len(left_out)} projects with wheels, {len(left_out)} without, {len(table[0])} names, "
          f"{len(text.encode())} bytes, {time.monotonic() - started:.0f}s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
