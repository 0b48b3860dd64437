"""Side-by-side timing of pkm against uv and pip: interleaved runs, medians, ratios and differences, peak RSS.

    python benchmarks/run.py [--quick] [--out DIR] [--only SCENARIO]

The peers are installed, pinned, into an isolated tool venv (reused across
runs); pkm is installed into the same venv from this checkout, so every tool
starts the same way (a console script of one interpreter; the runtime
scenarios run `python -m pkm.run` from a venv holding only pkm, and the
script's floor from a venv holding only its dependencies). Each scenario runs
every tool in turn (pkm, uv, pip, pkm, uv, pip, ...) after a warm-up, so
machine noise spreads evenly. Scenarios run in a scratch directory under the
system's temporary directory, outside any project. The scenarios, with their exact commands (timed,
and untimed set-up such as a fresh venv or a wiped cache), are in
bench_scenarios.py; every command is written out with the numbers. Results:
DIR/results.json, DIR/results.md (with pkm's goals, met or missed) and
DIR/results.png (matplotlib lives in the tool venv, not in pkm).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

# Run as a script, this folder is on sys.path; the name avoids tests/scenarios (a package).
from bench_scenarios import SCENARIOS, Scenario, Tools, environment

REPO = Path(__file__).resolve().parent.parent
PINS = ["uv==0.13.9", "pip==26.3", "matplotlib==3.11.2"]
DEFAULT_TOOLS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pkm-bench" / "tools"


def _fresh(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def prepare_tools(venv: Path, *, log: Callable[[str], None]) -> Tools:
    """Create (or reuse) the tool venv with the pinned peers and pkm from this checkout."""
    stamp = venv / "pins.json"
    wanted = {"pins": PINS, "python": sys.version}
    if not (stamp.is_file() and json.loads(stamp.read_text()) == wanted):
        log(f"installing {', '.join(PINS)} into {venv}")
        _fresh(venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PINS], check=True)
        stamp.write_text(json.dumps(wanted))
    log("installing pkm from this checkout into the tool venv")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--force-reinstall", str(REPO)],
                   check=True, capture_output=True)
    return Tools(venv)


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one run; raises if the command fails.

    The RSS is wait4's: the largest of the process and the children it waited
    for (pip --python re-runs itself in the target interpreter, for example).
    Tiny commands all show ~16 MiB: Linux counts the forked harness's pages
    before exec, so small numbers are a floor, not the tool's size.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({proc.returncode}):\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def untimed(steps: list[list[str]], cwd: Path, env: dict[str, str]) -> None:
    """Run setup steps in order, outside the clock; raises on the first failure."""
    for argv in steps:
        proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(argv)} failed ({proc.returncode}):\n"
                               f"{proc.stderr.decode(errors='replace')}")


@dataclass
class Result:
    scenario: str
    tool: str
    command: str
    setup: list[str] = field(default_factory=list)
    before_each: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario, "tool": self.tool, "command": self.command,
            "setup": self.setup, "before_each": self.before_each,
            "median_s": round(statistics.median(self.times), 5), "min_s": round(min(self.times), 5),
            "max_s": round(max(self.times), 5), "peak_rss_mb": round(max(self.rss), 1), "runs": len(self.times),
        }


def run_scenario(scenario: Scenario, tools: Tools, work: Path, runs: int, warmup: int) -> list[Result]:
    """Set up once, then `warmup + runs` rounds of every tool in turn; only the last `runs` count."""
    _fresh(work)
    work.mkdir(parents=True)
    env, _ = environment(work)
    for name, text in scenario.files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    commands = scenario.commands(tools, work)
    setup, before_each = scenario.setup(tools, work), scenario.before_each(tools, work)
    results = {tool: Result(scenario.name, tool, shlex.join(argv), [shlex.join(a) for a in setup.get(tool, [])],
                            [shlex.join(a) for a in before_each.get(tool, [])])
               for tool, argv in commands.items()}
    for tool in commands:
        untimed(setup.get(tool, []), work, env)
    for round_number in range(warmup + runs):
        for tool, argv in commands.items():  # interleaved: pkm, uv, pip, pkm, uv, pip, ...
            untimed(before_each.get(tool, []), work, env)
            elapsed, rss = measure(argv, work, env)
            if round_number >= warmup:
                results[tool].times.append(elapsed)
                results[tool].rss.append(rss)
    return list(results.values())


def ratios(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per scenario, pkm's median divided by each other tool's median."""
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        if row["tool"] == "pkm":
            for other in rows:
                if other["scenario"] == row["scenario"] and other["tool"] != "pkm":
                    out.setdefault(row["scenario"], {})[other["tool"]] = row["median_s"] / other["median_s"]
    return out


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if abs(seconds) < 1 else f"{seconds:.2f} s"


def _signed(seconds: float) -> str:
    return ("+" if seconds >= 0 else "-") + _duration(abs(seconds))


def differences(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per scenario, pkm's median minus each other tool's median, in seconds."""
    pkm = {row["scenario"]: row["median_s"] for row in rows if row["tool"] == "pkm"}
    return {scenario: {row["tool"]: median - row["median_s"] for row in rows
                       if row["scenario"] == scenario and row["tool"] != "pkm"}
            for scenario, median in pkm.items()}


def goal_lines(rows: list[dict], goals: dict[str, dict[str, tuple[str, float]]]) -> list[str]:
    """One line per goal of a measured scenario: pkm's distance to the other tool, and met or missed.

    `goals` maps scenario -> tool -> ("ms", limit) (pkm at most `limit` ms
    slower) or ("x", limit) (pkm's median below `limit` times the tool's: 0.2 is "5x faster").
    """
    lines = []
    r, d = ratios(rows), differences(rows)
    for scenario, per_tool in goals.items():
        for tool, (unit, limit) in per_tool.items():
            if tool not in r.get(scenario, {}):
                continue
            ratio, diff = r[scenario][tool], d[scenario][tool]
            if unit == "ms":
                met, target = diff * 1000 <= limit, f"within {limit:g} ms of {tool}"
            else:
                met = ratio < limit
                target = (f"faster than {tool}" if limit == 1 else f"within {limit:g}x of {tool}" if limit > 1
                          else f"at least {1 / limit:g}x faster than {tool}")
            lines.append(f"goal {scenario}: {target}: pkm {_signed(diff)} ({ratio:.2f}x): "
                         + ("met" if met else "MISSED"))
    return lines


def markdown(rows: list[dict], machine: str, notes: Sequence[str] = ()) -> str:
    """The results table, then notes, then every command (untimed ones marked as such)."""
    lines = [f"Machine: {machine}", "",
             "| scenario | tool | median | min | max | peak RSS | runs | pkm / tool | pkm - tool |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    r, d = ratios(rows), differences(rows)
    for row in rows:
        ratio, diff = ("", "") if row["tool"] == "pkm" else (f"{r[row['scenario']][row['tool']]:.2f}x",
                                                              _signed(d[row["scenario"]][row["tool"]]))
        lines.append(f"| {row['scenario']} | {row['tool']} | {_duration(row['median_s'])} | "
                     f"{_duration(row['min_s'])} | {_duration(row['max_s'])} | {row['peak_rss_mb']:.0f} MiB | "
                     f"{row['runs']} | {ratio} | {diff} |")
    lines += [""] + [f"- {note}" for note in notes] + ([""] if notes else [])
    lines += ["Commands (cwd: the scenario's work directory; untimed steps in parentheses):", ""]
    for row in rows:
        untimed_steps = [f"once: `{c}`" for c in row["setup"]] + [f"each run: `{c}`" for c in row["before_each"]]
        extra = f" ({'; '.join(untimed_steps)})" if untimed_steps else ""
        lines.append(f"- {row['scenario']}/{row['tool']}: `{row['command']}`{extra}")
    return "\n".join(lines) + "\n"


_PLOT = """
import json, sys
import matplotlib
import matplotlib.ticker
matplotlib.use("Agg")
import matplotlib.pyplot as plt
ratios = json.loads(sys.argv[1]); out = sys.argv[2]
labels, values = [], []
for scenario, per_tool in ratios.items():
    for tool, value in per_tool.items():
        labels.append(f"{scenario} vs {tool}"); values.append(value)
fig, ax = plt.subplots(figsize=(max(4, 1.0 * len(labels)), 4.2))
# Bars grow from 1x (parity), up when pkm is slower, down when it is faster.
ax.bar(labels, [v - 1 for v in values], bottom=1, color=["#2a7" if v <= 1 else "#c44" for v in values])
ax.axhline(1.0, color="black", linewidth=0.8)
# Log scale: 0.2x and 5x are the same distance from 1x, and a 20x bar does not flatten the rest.
ax.set_yscale("log")
ax.set_ylim(min(values + [1.0]) / 1.6, max(values + [1.0]) * 1.6)
ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
ax.set_ylabel("pkm time / other tool time (lower is better)", fontsize=8)
plt.setp(ax.get_xticklabels(), rotation=35, ha="right", fontsize=8)
for i, v in enumerate(values):
    ax.text(i, v, f"{v:.2f}x", ha="center", va="bottom" if v >= 1 else "top", fontsize=8)
fig.tight_layout(); fig.savefig(out, dpi=110)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, no cold installs (under 5 minutes)")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory (default: bench-out)")
    parser.add_argument("--only", action="append", choices=[s.name for s in SCENARIOS], help="run only this scenario")
    parser.add_argument("--tools-dir", type=Path, default=DEFAULT_TOOLS, help="the tool venv (reused)")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    tools = prepare_tools(args.tools_dir, log=log)
    load_before = os.getloadavg()[0]
    # Outside any project (`--out` may well be inside one, as bench-out/ is inside pkm's):
    # every tool looks for a pyproject.toml upward, and a scenario is "in an empty directory".
    work = Path(tempfile.mkdtemp(prefix="pkm-bench-"))
    rows: list[dict] = []
    notes = [f"peers: {', '.join(PINS[:2])}; environment added to every command: "
             + " ".join(f"{k}={v}" for k, v in environment(Path("WORK"))[1].items())]
    try:  # the work directory goes at the end (deleting it between scenarios would slow the next)
        for scenario in SCENARIOS:
            if args.only and scenario.name not in args.only:
                continue
            if not scenario.available(tools):
                log(f"{scenario.name}: skipped (pkm does not have this command yet)")
                continue
            counts = scenario.quick_runs if args.quick else scenario.runs
            if counts is None:
                log(f"{scenario.name}: skipped by --quick (too slow; run without --quick)")
                notes.append(f"{scenario.name}: skipped by --quick")
                continue
            runs, warmup = counts
            log(f"{scenario.name}: {scenario.description} ({runs} runs each after {warmup} warm-up, interleaved)")
            notes.append(f"{scenario.name}: {scenario.description}")
            rows += [r.as_json() for r in run_scenario(scenario, tools, work / scenario.name, runs, warmup)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # The load says how much else ran: on a shared machine it moves numbers between scenarios
    # (interleaving only evens it out between the tools of one scenario).
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, " \
              f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}, " \
              f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    notes += goal_lines(rows, {s.name: s.goals for s in SCENARIOS if s.goals})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(rows, machine, notes))
    subprocess.run([tools.python, "-c", _PLOT, json.dumps(ratios(rows)), str(args.out / "results.png")], check=True)
    sys.stdout.write(markdown(rows, machine, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
