"""Side-by-side timing of pkm against uv and pip: interleaved runs, medians, ratios, peak RSS.

    python benchmarks/run.py [--quick] [--out DIR] [--only SCENARIO]

The peers are installed, pinned, into an isolated tool venv (reused across
runs); pkm is installed into the same venv from this checkout, so every tool
starts the same way (a console script of one interpreter). Each scenario runs
every tool in turn (pkm, uv, pip, pkm, uv, pip, ...) after a warm-up, so
machine noise spreads evenly. Results: DIR/results.json, DIR/results.md and
DIR/results.png (matplotlib lives in the tool venv, not in pkm).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
PINS = ["uv==0.13.9", "pip==26.3", "matplotlib==3.11.2"]
DEFAULT_TOOLS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pkm-bench" / "tools"


@dataclass
class Scenario:
    """Commands per tool for one measurement; `reset` runs before every timed run (not timed)."""

    name: str
    description: str
    commands: Callable[["Tools", Path], dict[str, list[str]]]
    reset: Callable[[Path], None] = lambda work: None
    available: Callable[["Tools"], bool] = lambda tools: True


@dataclass
class Tools:
    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    @property
    def python(self) -> str:
        return self.bin("python")

    def has_command(self, command: str) -> bool:
        out = subprocess.run([self.bin("pkm"), command, "--help"], capture_output=True)
        return out.returncode == 0


def _fresh(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


SCENARIOS = [
    Scenario(
        "startup",
        "print the version: the cost of starting the tool",
        lambda t, w: {
            "pkm": [t.bin("pkm"), "--version"],
            "uv": [t.bin("uv"), "--version"],
            "pip": [t.bin("pip"), "--version"],
            "python": [t.python, "-c", "pass"],
        },
    ),
    Scenario(
        "venv",
        "create a virtual environment (no seed packages)",
        lambda t, w: {
            "pkm": [t.bin("pkm"), "venv", str(w / "venv-pkm")],
            "uv": [t.bin("uv"), "venv", "-q", "--python", t.python, str(w / "venv-uv")],
            "python": [t.python, "-m", "venv", "--without-pip", str(w / "venv-python")],
        },
        reset=lambda w: [_fresh(w / f"venv-{tool}") for tool in ("pkm", "uv", "python")],
        available=lambda t: t.has_command("venv"),
    ),
]


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
    """(wall seconds, peak RSS in MiB) of one run; raises if the command fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{err}")
    return elapsed, usage.ru_maxrss / 1024


@dataclass
class Result:
    scenario: str
    tool: str
    command: str
    times: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario, "tool": self.tool, "command": self.command,
            "median_s": round(statistics.median(self.times), 5), "min_s": round(min(self.times), 5),
            "max_s": round(max(self.times), 5), "peak_rss_mb": round(max(self.rss), 1), "runs": len(self.times),
        }


def run_scenario(scenario: Scenario, tools: Tools, work: Path, runs: int, warmup: int) -> list[Result]:
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PKM_HOME": str(work / "pkm-home"), "UV_CACHE_DIR": str(work / "uv-cache"),
           "PIP_CACHE_DIR": str(work / "pip-cache"), "UV_NO_CONFIG": "1"}
    commands = scenario.commands(tools, work)
    results = {tool: Result(scenario.name, tool, " ".join(argv)) for tool, argv in commands.items()}
    for round_number in range(warmup + runs):
        for tool, argv in commands.items():  # interleaved: pkm, uv, pip, pkm, uv, pip, ...
            scenario.reset(work)
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


def markdown(rows: list[dict], machine: str) -> str:
    lines = [f"Machine: {machine}", "", "| scenario | tool | median | min | max | peak RSS | runs | pkm / tool |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    r = ratios(rows)
    for row in rows:
        ratio = "" if row["tool"] == "pkm" else f"{r[row['scenario']][row['tool']]:.2f}x"
        lines.append(f"| {row['scenario']} | {row['tool']} | {row['median_s'] * 1000:.1f} ms | "
                     f"{row['min_s'] * 1000:.1f} ms | {row['max_s'] * 1000:.1f} ms | {row['peak_rss_mb']:.0f} MiB | "
                     f"{row['runs']} | {ratio} |")
    lines += ["", "Commands:", ""] + [f"- {row['scenario']}/{row['tool']}: `{row['command']}`" for row in rows]
    return "\n".join(lines) + "\n"


_PLOT = """
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
ratios = json.loads(sys.argv[1]); out = sys.argv[2]
labels, values = [], []
for scenario, per_tool in ratios.items():
    for tool, value in per_tool.items():
        labels.append(f"{scenario}\\nvs {tool}"); values.append(value)
fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(labels)), 3.5))
ax.bar(labels, values, color=["#2a7" if v <= 1 else "#c44" for v in values])
ax.axhline(1.0, color="black", linewidth=0.8)
ax.set_ylim(0, max(values + [1.0]) * 1.15)
ax.set_ylabel("pkm time / other tool time (lower is better)")
for i, v in enumerate(values):
    ax.text(i, v, f"{v:.2f}x", ha="center", va="bottom")
fig.tight_layout(); fig.savefig(out, dpi=110)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (under 5 minutes)")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory (default: bench-out)")
    parser.add_argument("--only", action="append", choices=[s.name for s in SCENARIOS], help="run only this scenario")
    parser.add_argument("--tools-dir", type=Path, default=DEFAULT_TOOLS, help="the tool venv (reused)")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    runs, warmup = (5, 1) if args.quick else (20, 2)
    tools = prepare_tools(args.tools_dir, log=log)
    work = args.out.resolve() / "work"
    rows: list[dict] = []
    for scenario in SCENARIOS:
        if args.only and scenario.name not in args.only:
            continue
        if not scenario.available(tools):
            log(f"{scenario.name}: skipped (pkm does not have this command yet)")
            continue
        log(f"{scenario.name}: {scenario.description} ({runs} runs each, interleaved)")
        rows += [r.as_json() for r in run_scenario(scenario, tools, work / scenario.name, runs, warmup)]
    shutil.rmtree(work, ignore_errors=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, " \
              f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown(rows, machine))
    subprocess.run([tools.python, "-c", _PLOT, json.dumps(ratios(rows)), str(args.out / "results.png")], check=True)
    sys.stdout.write(markdown(rows, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
