"""Import time of a large context: pkm's finder over store trees vs a flat site-packages vs a hard-link view.

    python benchmarks/runtime_activation.py [--dists 300] [--rounds 15]

Builds N small distributions (a package with three modules each, so imports
walk a few files), unpacks each into a private store as a tree, then times a
script importing all N packages, interleaved, three ways:

- flat:    every package copied into one directory on PYTHONPATH (a venv's site-packages);
- finder:  `python -m pkm.run` with a manifest of N trees (pkm's ContextFinder, the default);
- view:    one directory of hard links into the trees (DESIGN.md's alternative), on PYTHONPATH.

Reports the median in-process import time (the script times its own imports) and
the whole process, and the finder/flat ratio (goal: at most 1.2x).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support.dists import make_wheel  # noqa: E402

from pkm.run._cold import describe_tree  # noqa: E402
from pkm.store import Store  # noqa: E402
from pkm_runtime import context, manifest  # noqa: E402


def build(work: Path, count: int) -> tuple:
    store = Store(work / "home")
    wheels = work / "wheels"
    trees = []
    for i in range(count):
        name = f"dist{i:03d}"
        files = {f"{name}/__init__.py": f"from . import a, b\nVALUE = {i}\n",
                 f"{name}/a.py": "import os\nA = 1\n", f"{name}/b.py": "from .a import A\nB = A + 1\n"}
        path = make_wheel(wheels, name, "1.0", files=files)
        import hashlib

        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        trees.append((name, store.add_tree(path, digest)))
    flat = work / "flat"
    view = work / "view"
    for _, tree in trees:
        for entry in tree.iterdir():
            if entry.name.startswith("."):
                continue
            shutil.copytree(entry, flat / entry.name, dirs_exist_ok=True)
            for src in entry.rglob("*"):
                dest = view / entry.name / src.relative_to(entry)
                if src.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.link(src, dest)
    names = [name for name, _ in trees]
    script = work / "imports.py"
    script.write_text("import time\nstart = time.perf_counter()\n" + "".join(f"import {n}\n" for n in names)
                      + "print(time.perf_counter() - start)\n")
    found = context.find_context(str(script))
    entries = [describe_tree(tree, name, "1.0", True) for name, tree in trees]
    manifest.write(manifest.manifest_path(str(work / "home"), found.key),
                   {"interpreter": context.interpreter_id(), "distributions": entries, "paths": [],
                    "pth_imports": [], "on_demand": "off", "extensions": {}})
    return script, flat, view


def measure(command, env) -> tuple:
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1]), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dists", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        script, flat, view = build(work, args.dists)
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
        base.update(PKM_HOME=str(work / "home"), XDG_CONFIG_HOME=str(work / "config"))
        ways = {
            "flat": ([sys.executable, str(script)], dict(base, PYTHONPATH=str(flat))),
            "finder": ([sys.executable, "-m", "pkm.run", "--no-on-demand", str(script)],
                       dict(base, PYTHONPATH=str(REPO))),
            "view": ([sys.executable, str(script)], dict(base, PYTHONPATH=str(view))),
        }
        for command, env in ways.values():  # warm-up: bytecode written, caches hot
            measure(command, env)
        results = {name: ([], []) for name in ways}
        for _ in range(args.rounds):
            for name, (command, env) in ways.items():
                inner, whole = measure(command, env)
                results[name][0].append(inner)
                results[name][1].append(whole)
    print(f"{args.dists} distributions, {args.rounds} rounds, Python {sys.version.split()[0]}")
    print(f"{'way':8} {'imports (ms)':>13} {'process (ms)':>13}")
    medians = {}
    for name, (inner, whole) in results.items():
        medians[name] = statistics.median(inner)
        print(f"{name:8} {medians[name] * 1000:13.1f} {statistics.median(whole) * 1000:13.1f}")
    print(f"finder/flat imports: {medians['finder'] / medians['flat']:.2f}x; "
          f"view/flat: {medians['view'] / medians['flat']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
