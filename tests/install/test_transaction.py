"""Plans apply all or nothing: failures, Ctrl-C and kill -9 at any point leave the old or the new state."""

from __future__ import annotations

import json
import os
import errno
import gc
import random
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from pkm.errors import NotFoundError, PkmError
from pkm.install._journal import Journal
from pkm.install import Install, Remove, Upgrade, WheelFile, apply, find_distribution, recover

CHILD = r'''
import json, os, signal, sys, time
from pathlib import Path
from pkm.install import Environment, Remove, Upgrade, WheelFile, apply
from pkm.install._journal import Journal

cfg = json.loads(Path(sys.argv[1]).read_text())
env = Environment(Path(cfg["prefix"]), cfg["scheme"], cfg["interpreter"])
plan = [Remove(arg) if op == "remove" else Upgrade(WheelFile(arg)) for op, arg in cfg["plan"]]
count = 0
saves = 0

def on_file(path):
    global count
    count += 1
    if count == cfg["stop_at"]:
        os.kill(os.getpid(), getattr(signal, cfg["signal"]))
        time.sleep(5)

# Deterministic kill points inside the journal: right after its n-th durable write
# ("save", n), or just before the cleanup that follows the commit ("finish", 1).
real_save, real_finish = Journal._save, Journal.finish

def save(self, record):
    global saves
    real_save(self, record)
    saves += 1
    if cfg["kill_in"] == "save" and saves == cfg["kill_at"]:
        os.kill(os.getpid(), signal.SIGKILL)

def finish(self, prune):
    if cfg["kill_in"] == "finish":
        os.kill(os.getpid(), signal.SIGKILL)
    real_finish(self, prune)

Journal._save, Journal.finish = save, finish

try:
    apply(plan, env, jobs=cfg["jobs"], on_file=on_file)
except KeyboardInterrupt:
    print("interrupted", "journal" if (env.prefix / ".pkm-journal").exists() else "clean")
    sys.exit(130)
print("done", count, saves)
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


def _run_child(tmp_path, env, plan, *, stop_at=0, sig="SIGKILL", kill_in="", kill_at=0, tools=None, jobs=1):
    cfg = {"prefix": str(env.prefix), "scheme": dict(env.scheme), "interpreter": env.interpreter, "plan": plan,
           "stop_at": stop_at, "signal": sig, "kill_in": kill_in, "kill_at": kill_at, "jobs": jobs}
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    (tmp_path / "child.py").write_text(CHILD)
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tools.repo)]))
    proc = subprocess.run([sys.executable, str(tmp_path / "child.py"), str(tmp_path / "cfg.json")],
                          capture_output=True, text=True, env=environ, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


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

    with pytest.raises(PkmError) as caught:
        apply(_python_plan(plan), env, on_file=fail_late)
    assert caught.value.what == f"cannot change the environment at {env.prefix}"
    assert "No space left on device" in caught.value.why and "rolled back" in caught.value.why
    assert "disk space" in caught.value.hint
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


@pytest.mark.parametrize("jobs", [1, 4])  # one writer (deterministic points), or the shared pool of writers
def test_kill_9_at_seeded_points_always_recovers_to_old_or_new(scenario, tmp_path, tools, jobs):
    env, plan, pristine = scenario
    old = tools.snapshot(env.prefix)
    code, out, err = _run_child(tmp_path, env, plan, tools=tools, jobs=jobs)
    assert code == 0, err
    new = tools.snapshot(env.prefix)
    total = int(out.split()[1])
    rng = random.Random(5)
    points = sorted({1, total} | set(rng.sample(range(1, total + 1), min(18, total))))
    outcomes = set()
    for stop_at in points:
        _reset(env, pristine)
        code, out, err = _run_child(tmp_path, env, plan, stop_at=stop_at, tools=tools, jobs=jobs)
        assert code == -signal.SIGKILL, (stop_at, err)
        recover(env)
        state = tools.snapshot(env.prefix)
        assert state in (old, new), f"mixed state after kill at file {stop_at}"
        outcomes.add("old" if state == old else "new")
    assert outcomes == {"old"}  # a kill before commit always rolls back


def test_kill_9_at_every_journal_write_recovers_to_old_or_new(scenario, tmp_path, tools):
    env, plan, pristine = scenario
    old = tools.snapshot(env.prefix)
    code, out, err = _run_child(tmp_path, env, plan, tools=tools)
    assert code == 0, err
    new = tools.snapshot(env.prefix)
    saves = int(out.split()[2])
    assert saves == 6  # journal created; alpha removed and installed, beta removed, delta installed; commit
    points = [("save", n) for n in range(1, saves + 1)] + [("finish", 1)]
    outcomes = []
    for kill_in, kill_at in points:
        _reset(env, pristine)
        code, out, err = _run_child(tmp_path, env, plan, kill_in=kill_in, kill_at=kill_at, tools=tools)
        assert code == -signal.SIGKILL, (kill_in, kill_at, err)  # the kill landed where it was aimed
        assert (env.prefix / ".pkm-journal" / "journal.jsonl").exists()
        recover(env)
        state = tools.snapshot(env.prefix)
        assert state in (old, new), f"mixed state after a kill at {kill_in} {kill_at}"
        outcomes.append("old" if state == old else "new")
    # before the commit is durable a kill rolls back; after it, recovery rolls forward
    assert outcomes == ["old"] * (saves - 1) + ["new", "new"]
    assert tools.pip(env, "check").returncode == 0


@pytest.mark.parametrize("jobs", [1, 4])
def test_sigint_in_a_child_rolls_back_before_it_exits(scenario, tmp_path, tools, jobs):
    env, plan, _ = scenario
    old = tools.snapshot(env.prefix)
    code, out, err = _run_child(tmp_path, env, plan, stop_at=9, sig="SIGINT", tools=tools, jobs=jobs)
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
    assert (env.prefix / ".pkm-journal" / "journal.jsonl").exists()
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


def test_a_filesystem_error_is_a_clear_error_and_rolls_back(scenario, tools):
    env, plan, _ = scenario
    site = Path(env.scheme["purelib"])
    (site / "delta").write_text("a file where delta's package directory goes\n")
    before = tools.snapshot(env.prefix)
    with pytest.raises(PkmError) as caught:
        apply(_python_plan(plan), env)
    error = caught.value
    assert error.what == f"cannot change the environment at {env.prefix}"
    assert str(site / "delta") in error.why and "rolled back" in error.why
    assert error.hint
    assert tools.snapshot(env.prefix) == before


def test_a_read_only_destination_is_named_in_the_hint(scenario, tools):
    env, plan, _ = scenario
    before = tools.snapshot(env.prefix)

    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    with pytest.raises(PkmError) as caught:
        apply(_python_plan(plan), env, on_file=read_only)
    assert "Read-only file system" in caught.value.why
    assert "permissions, a read-only filesystem" in caught.value.hint
    assert tools.snapshot(env.prefix) == before


def test_apply_closes_the_wheels_it_reads(venv, dists):
    good, other = dists.wheel("good", "1.0"), dists.wheel("other", "1.0")
    broken = dists.wheel("broken", "1.0", record=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        apply([Install(WheelFile(good))], venv)
        with pytest.raises(PkmError):  # refused half-way through reading the plan
            apply([Install(WheelFile(other)), Install(WheelFile(broken))], venv)
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_apply_waits_on_the_environment_lock_and_names_its_holder(venv, dists, tools, monkeypatch):
    from pkm.install import transaction
    from pkm.store import FileLock, LockTimeoutError

    monkeypatch.setattr(transaction, "_LOCK_WAIT", 0.2)
    before = tools.snapshot(venv.prefix)
    with FileLock(venv.prefix / ".pkm-lock", timeout=0):  # another pkm changing the environment
        with pytest.raises(LockTimeoutError) as caught:
            apply([Install(WheelFile(dists.wheel("good", "1.0")))], venv)
    assert caught.value.what == f"timed out after 0.2 s waiting for the lock on the environment {venv.prefix}"
    assert f"held by pid {os.getpid()}" in caught.value.why
    os.unlink(venv.prefix / ".pkm-lock")
    assert tools.snapshot(venv.prefix) == before
    apply([Install(WheelFile(dists.wheel("good", "1.0")))], venv)
    assert not (venv.prefix / ".pkm-lock").exists()  # an environment at rest carries no lock file


def test_a_distribution_is_found_by_its_whole_name(venv, dists):
    site = Path(venv.scheme["purelib"])
    apply([Install(WheelFile(dists.wheel("foo-bar", "1.0")))], venv)
    os.rename(site / "foo_bar-1.0.dist-info", site / "foo-bar-1.0.dist-info")  # as older tools name it
    assert find_distribution(site, "foo") is None
    assert find_distribution(site, "Foo.Bar") == site / "foo-bar-1.0.dist-info"
    with pytest.raises(NotFoundError):
        apply([Remove("foo")], venv)
    assert apply([Remove("foo_bar")], venv).removed == [("foo-bar", "1.0")]
    assert not (site / "foo_bar").exists()


def test_a_record_cut_short_by_a_kill_is_ignored_and_a_damaged_one_is_an_error(tmp_path):
    journal = Journal.create(tmp_path)
    (tmp_path / "new.txt").write_text("x")
    journal.add_step({"op": "install", "name": "a", "created": ["new.txt"], "moved": [], "dirs": []})
    with open(tmp_path / ".pkm-journal" / "journal.jsonl", "a") as f:
        f.write('{"step": {"op": "install", "name": "b", "crea')  # the kill landed mid-append
    loaded = Journal.load(tmp_path)
    assert [step["name"] for step in loaded.data["steps"]] == ["a"] and loaded.data["state"] == "applying"
    loaded.rollback()
    assert not (tmp_path / "new.txt").exists() and not (tmp_path / ".pkm-journal").exists()
    journal = Journal.create(tmp_path)
    with open(tmp_path / ".pkm-journal" / "journal.jsonl", "a") as f:
        f.write('garbage\n{"state": "committed"}\n')
    with pytest.raises(PkmError, match="is unreadable"):
        Journal.load(tmp_path)


def _wide(dists, name, owner, count=100):
    files = {f"{name}/m{i}/mod.py": f"N = {i}\n" for i in range(count)}
    files["shared/common.py"] = f"OWNER = {owner!r}\n"
    return dists.wheel(name, "1.0", files=files)


def test_steps_written_in_parallel_keep_plan_order_where_they_overlap(venv, dists, tools):
    # Both wheels write shared/common.py: the later step wins, as when steps run one by one.
    plan = [Install(WheelFile(_wide(dists, "first", "first"))), Install(WheelFile(_wide(dists, "second", "second")))]
    applied = apply(plan, venv, jobs=4)
    site = Path(venv.scheme["purelib"])
    assert [d.name for d in applied.installed] == ["first", "second"]
    assert (site / "shared" / "common.py").read_text() == "OWNER = 'second'\n"
    assert all((site / name / "m99" / "mod.py").is_file() for name in ("first", "second"))
    assert tools.pip(venv, "check").returncode == 0


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_writer_thread_failing_rolls_back_every_queued_step(venv, dists, tools, error):
    plan = [Install(WheelFile(_wide(dists, name, name))) for name in ("one", "two", "three")]
    before = tools.snapshot(venv.prefix)
    calls = []

    def fail(path):
        calls.append(path)
        if len(calls) == 150:  # inside the second wheel, with the third one queued
            raise error

    with pytest.raises((PkmError, KeyboardInterrupt)):
        apply(plan, venv, jobs=4, on_file=fail)
    assert tools.snapshot(venv.prefix) == before
