"""Plans apply all or nothing: failures, Ctrl-C and kill -9 at any point leave the old or the new state."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pkm.errors import NotFoundError
from pkm.install import Install, Remove, Upgrade, WheelFile, apply, find_distribution, recover

CHILD = r'''
import json, os, signal, sys, time
from pathlib import Path
from pkm.install import Environment, Remove, Upgrade, WheelFile, apply

cfg = json.loads(Path(sys.argv[1]).read_text())
env = Environment(Path(cfg["prefix"]), cfg["scheme"], cfg["interpreter"])
plan = [Remove(arg) if op == "remove" else Upgrade(WheelFile(arg)) for op, arg in cfg["plan"]]
count = 0

def on_file(path):
    global count
    count += 1
    if cfg["delay"]:
        time.sleep(cfg["delay"])
    if count == cfg["stop_at"]:
        os.kill(os.getpid(), getattr(signal, cfg["signal"]))
        time.sleep(5)

try:
    apply(plan, env, jobs=1, on_file=on_file)
except KeyboardInterrupt:
    print("interrupted", "journal" if (env.prefix / ".pkm-journal").exists() else "clean")
    sys.exit(130)
print("done", count)
'''


def v1_files(tag):
    return {f"{tag}/__init__.py": f"VERSION = 1\ndef main():\n    print('{tag} 1')\n", f"{tag}/old.py": "OLD = True\n"}


@pytest.fixture
def scenario(tmp_path, dists, tools):
    """A venv with alpha 1, beta 1, gamma 1; a plan upgrading alpha, removing beta and
    installing delta (whose `shared/common.py` replaces gamma's)."""
    env = tools.make_venv(tmp_path / "venv")
    old = [
        dists.wheel("alpha", "1.0", files=v1_files("alpha"), entry_points={"console_scripts": {"alpha": "alpha:main"}}),
        dists.wheel("beta", "1.0", files=v1_files("beta"), data={"data": {"share/beta/b.txt": "b\n"}}),
        dists.wheel("gamma", "1.0", files={"gamma/__init__.py": "", "shared/common.py": "OWNER = 'gamma'\n"}),
    ]
    apply([Install(WheelFile(w)) for w in old], env)
    new_alpha = dists.wheel("alpha", "2.0", files={"alpha/__init__.py": "VERSION = 2\ndef main():\n    print('alpha 2')\n", "alpha/new/mod.py": "NEW = True\n"},
                            entry_points={"console_scripts": {"alpha": "alpha:main", "alpha2": "alpha:main"}})
    delta = dists.wheel("delta", "1.0", files={f"delta/m{i}.py": f"N = {i}\n" for i in range(8)} | {"shared/common.py": "OWNER = 'delta'\n"},
                        data={"headers": {"delta.h": "/* d */\n"}, "scripts": {"delta-sh": "#!python\nprint('d')\n"}})
    plan = [("upgrade", str(new_alpha)), ("remove", "beta"), ("upgrade", str(delta))]
    pristine = tmp_path / "pristine"
    shutil.copytree(env.prefix, pristine, symlinks=True)
    return env, plan, pristine


def _reset(env, pristine):
    shutil.rmtree(env.prefix)
    shutil.copytree(pristine, env.prefix, symlinks=True)


def _run_child(tmp_path, env, plan, *, stop_at=0, sig="SIGKILL", delay=0.0, kill_after=None, tools=None):
    cfg = {"prefix": str(env.prefix), "scheme": dict(env.scheme), "interpreter": env.interpreter, "plan": plan,
           "stop_at": stop_at, "signal": sig, "delay": delay}
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    (tmp_path / "child.py").write_text(CHILD)
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tools.repo)]))
    proc = subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(tmp_path / "cfg.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def _python_plan(plan):
    return [Remove(arg) if op == "remove" else Upgrade(WheelFile(arg)) for op, arg in plan]


def test_plan_upgrades_removes_and_installs(scenario, tools):
    env, plan, _ = scenario
    applied = apply(_python_plan(plan), env)
    site = Path(env.scheme["purelib"])
    assert [(d.name, d.version) for d in applied.installed] == [("alpha", "2.0"), ("delta", "1.0")]
    assert applied.removed == [("alpha", "1.0"), ("beta", "1.0")]
    assert not (site / "alpha" / "old.py").exists() and (site / "alpha" / "new" / "mod.py").exists()
    assert find_distribution(site, "beta") is None and not (env.prefix / "share" / "beta").exists()
    assert (site / "shared" / "common.py").read_text() == "OWNER = 'delta'\n"
    assert tools.run_in(env, "alpha").stdout == "alpha 2\n"
    assert not (env.prefix / ".pkm-journal").exists()
    assert tools.pip(env, "check").returncode == 0


def test_failure_mid_plan_rolls_everything_back(scenario, tools):
    env, plan, _ = scenario
    before = tools.snapshot(env.prefix)
    calls = []

    def fail_late(path):
        calls.append(path)
        if len(calls) == 12:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        apply(_python_plan(plan), env, on_file=fail_late)
    assert tools.snapshot(env.prefix) == before


def test_keyboard_interrupt_rolls_back_at_once_and_is_reraised(scenario, tools):
    env, plan, _ = scenario
    before = tools.snapshot(env.prefix)

    def interrupt(path, calls=[]):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply(_python_plan(plan), env, on_file=interrupt)
    assert tools.snapshot(env.prefix) == before


def test_removing_a_missing_distribution_changes_nothing(scenario, tools):
    env, plan, _ = scenario
    before = tools.snapshot(env.prefix)
    with pytest.raises(NotFoundError) as caught:
        apply(_python_plan(plan) + [Remove("nope")], env)
    assert "nope" in caught.value.what and caught.value.hint
    assert tools.snapshot(env.prefix) == before


def test_recover_without_a_journal_does_nothing(venv, tools):
    before = tools.snapshot(venv.prefix)
    assert recover(venv) is False
    assert tools.snapshot(venv.prefix) == before


def test_kill_9_at_seeded_points_always_recovers_to_old_or_new(scenario, tmp_path, tools):
    env, plan, pristine = scenario
    old = tools.snapshot(env.prefix)
    code, out, err = _run_child(tmp_path, env, plan, tools=tools)
    assert code == 0, err
    new = tools.snapshot(env.prefix)
    total = int(out.split()[1])
    rng = random.Random(5)
    points = sorted({1, total} | set(rng.sample(range(1, total + 1), min(18, total))))
    outcomes = set()
    for stop_at in points:
        _reset(env, pristine)
        code, out, err = _run_child(tmp_path, env, plan, stop_at=stop_at, tools=tools)
        assert code == -signal.SIGKILL, (stop_at, err)
        recover(env)
        state = tools.snapshot(env.prefix)
        assert state in (old, new), f"mixed state after kill at file {stop_at}"
        outcomes.add("old" if state == old else "new")
    assert outcomes == {"old"}  # a kill before commit always rolls back


def test_kill_9_at_random_times_recovers_to_old_or_new(scenario, tmp_path, tools):
    env, plan, pristine = scenario
    old = tools.snapshot(env.prefix)
    apply(_python_plan(plan), env)
    new = tools.snapshot(env.prefix)
    rng = random.Random(11)
    for _ in range(5):
        _reset(env, pristine)
        _run_child(tmp_path, env, plan, delay=0.003, kill_after=rng.uniform(0.1, 0.4), tools=tools)
        recover(env)
        assert tools.snapshot(env.prefix) in (old, new)
    assert tools.pip(env, "check").returncode == 0


def test_sigint_in_a_child_rolls_back_before_it_exits(scenario, tmp_path, tools):
    env, plan, _ = scenario
    old = tools.snapshot(env.prefix)
    code, out, err = _run_child(tmp_path, env, plan, stop_at=9, sig="SIGINT", tools=tools)
    assert code == 130, err
    assert out.strip() == "interrupted clean"
    assert tools.snapshot(env.prefix) == old


def test_a_crash_after_commit_is_rolled_forward(scenario, tools, monkeypatch):
    env, plan, pristine = scenario
    apply(_python_plan(plan), env)
    new = tools.snapshot(env.prefix)
    _reset(env, pristine)
    from pkm.install import _journal

    with monkeypatch.context() as patch:
        patch.setattr(_journal.Journal, "finish", lambda self, prune: None)  # "killed" right after commit
        apply(_python_plan(plan), env)
    assert (env.prefix / ".pkm-journal" / "journal.json").exists()
    assert recover(env) is False
    assert tools.snapshot(env.prefix) == new


def test_an_interrupted_rollback_resumes(scenario, tools, monkeypatch):
    env, plan, _ = scenario
    old = tools.snapshot(env.prefix)
    from pkm.install import _journal

    real_undo = _journal.Journal._undo
    undone = []

    def crash_on_second(self, step):
        if len(undone) == 1:
            raise KeyboardInterrupt  # a second Ctrl-C during the rollback
        undone.append(step)
        real_undo(self, step)

    def fail(path, calls=[]):
        calls.append(path)
        if len(calls) == 14:
            raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(_journal.Journal, "_undo", crash_on_second)
        with pytest.raises(KeyboardInterrupt):
            apply(_python_plan(plan), env, on_file=fail)
    assert recover(env) is True
    assert tools.snapshot(env.prefix) == old


def test_recover_by_prefix_path_keeps_an_emptied_site_packages(venv, dists, tools, monkeypatch):
    before = tools.snapshot(venv.prefix)
    apply([Install(WheelFile(dists.wheel("only", "1.0")))], venv)
    from pkm.install import _journal

    with monkeypatch.context() as patch:
        patch.setattr(_journal.Journal, "finish", lambda self, prune: None)
        apply([Remove("only")], venv)
    recover(str(venv.prefix))
    assert tools.snapshot(venv.prefix) == before
    assert Path(venv.scheme["purelib"]).is_dir()
