"""gc and the build caches: a cache hit or a reused env renews its entry, an env in use is kept, failed logs age out."""

from __future__ import annotations

import gc as collector
import os
import time
from pathlib import Path

import pytest

from pkm.build import BuildFailed, Frontend
from support.provisioning import WheelsProvisioner, sha256_of

DAY = 86400.0


def _age(path: Path, days: float = 40.0) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


@pytest.fixture
def make_frontend(store, python_interpreter, dists):
    helper = dists.wheel("helper", "1.0", files={"helper/__init__.py": "VALUE = 42\n"})
    return lambda: Frontend(store, python_interpreter, WheelsProvisioner(store, {"helper": helper}), in_process=False)


def _cache_names(report, bucket):
    return [e.name for e in report.removed if e.kind == "cache" and e.bucket == bucket]


def test_a_build_cache_hit_renews_the_entry_so_gc_keeps_it(make_frontend, store, toy_sdist):
    frontend = make_frontend()
    used, unused = toy_sdist("alpha"), toy_sdist("beta")
    wheel = frontend.wheel_from_sdist(used, sha256_of(used))
    other = frontend.wheel_from_sdist(unused, sha256_of(unused))
    for built in (wheel, other):
        _age(built.parent)
    assert frontend.wheel_from_sdist(used, sha256_of(used)) == wheel  # a hit, 40 days after the build
    report = store.gc(max_age=30 * DAY)
    assert _cache_names(report, "builds-v1") == [other.parent.relative_to(store.root).as_posix()]
    assert wheel.is_file() and not other.exists()
    assert frontend.wheel_from_sdist(unused, sha256_of(unused)).is_file()  # pruned: simply built again


def test_a_build_env_in_use_is_kept_and_goes_with_its_root_once_unused(make_frontend, store, toy_project, tmp_path):
    frontend = make_frontend()
    frontend.build(toy_project("alpha", requires=["helper"]), "wheel", tmp_path / "one")
    (env,) = (store.root / "build-envs-v1").iterdir()
    assert store.gc(max_age=0).removed == []  # this frontend still holds it
    _age(env)
    frontend.build(toy_project("beta", requires=["helper"]), "wheel", tmp_path / "two")  # reused: renewed
    assert time.time() - env.stat().st_mtime < DAY
    del frontend
    collector.collect()
    assert store.gc(max_age=30 * DAY).removed == []  # used a moment ago
    report = store.gc(max_age=0, min_age=0)
    assert _cache_names(report, "build-envs-v1") == [env.relative_to(store.root).as_posix()]
    assert ("root", str(env)) in [(e.kind, e.name) for e in report.removed]
    assert not env.exists() and not any(r.kind == "build-env" for r in store.roots())
    assert [e.kind for e in report.removed].count("tree") == 1  # the helper tree only that env used
    again = make_frontend()
    again.build(toy_project("gamma", requires=["helper"]), "wheel", tmp_path / "three")  # made again
    assert (env / ".pkm-ready").is_file()


def test_logs_of_failed_builds_age_out(make_frontend, store, toy_project, tmp_path, monkeypatch):
    monkeypatch.setenv("TOY_FAIL", "1")
    with pytest.raises(BuildFailed) as failed:
        make_frontend().build(toy_project("alpha"), "wheel", tmp_path / "dist")
    log = Path(failed.value.log)
    assert log.parent == store.root / "build-logs-v1" and log.is_file()
    assert store.gc().removed == []
    _age(log, 31)
    report = store.gc()
    assert _cache_names(report, "build-logs-v1") == [log.relative_to(store.root).as_posix()]
    assert not log.exists()
