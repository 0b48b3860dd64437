"""gc prunes the cache buckets: entries unused for max_age go, recent or locked ones stay, roots and links are safe."""

from __future__ import annotations

import json
import os
import time

import pytest

from pkm.store import FileLock, Store
from pkm.store import _prune

DAY = 86400.0


def _age(path, days=40.0):
    """Pretend `path` was last used `days` ago (the link itself, for a symlink)."""
    then = time.time() - days * DAY
    os.utime(path, (then, then), follow_symlinks=False)


def _file(path, text="x" * 100):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _built(store, sdist, key, wheel="demo-1.0-py3-none-any.whl"):
    entry = store.bucket("builds-v1") / sdist / key
    _file(entry / wheel, "wheel bytes")
    _file(entry / "built.json", json.dumps({"format": 1, "wheel": wheel}))
    return entry


def _env(store, key):
    env = store.bucket("build-envs-v1") / key
    _file(env / ".pkm-ready", "{}")
    _file(env / "lib" / "site-packages" / "_pkm_build_env.pth", "/somewhere\n")
    (env / "bin").mkdir()
    os.symlink("/usr/bin/env", env / "bin" / "python")  # a venv's interpreter link points outside
    store.add_root(env, "build-env")
    return env


@pytest.fixture
def filled(store):
    """One old and one recent entry in every cache bucket, plus an old runtime manifest (a root)."""
    store.ensure()
    old, new = {}, {}
    old["builds-v1"] = _built(store, "a" * 64, "k1")
    new["builds-v1"] = _built(store, "b" * 64, "k2")
    old["build-envs-v1"] = _env(store, "e" * 32)
    new["build-envs-v1"] = _env(store, "f" * 32)
    for bucket, name in [("build-logs-v1", "alpha-wheel-1.log"), ("metadata-v1", "ab/ab12.metadata"),
                         ("pages-v1", "0123.bin"), ("index-v1", "99.http"), ("interpreters-v1", "77.marshal")]:
        old[bucket] = _file(store.bucket(bucket) / f"old-{name}")
        new[bucket] = _file(store.bucket(bucket) / f"new-{name}")
    for path in old.values():
        _age(path)
    manifest = _file(store.bucket("runtime-v1") / "ctx.json", "{}")
    store.add_root(manifest, "runtime")
    _age(manifest, 400)
    return old, new, manifest


def _cache(report):
    return sorted(e.name for e in report.removed if e.kind == "cache")


def _rel(store, path):
    return path.relative_to(store.root).as_posix()


def test_old_entries_of_every_cache_bucket_go_and_recent_ones_stay(store, filled):
    old, new, manifest = filled
    report = store.gc(max_age=30 * DAY)
    assert _cache(report) == sorted(_rel(store, p) for p in old.values())
    assert not any(p.exists() or p.is_symlink() for p in old.values())
    assert all(p.exists() for p in new.values())
    assert report.kept_cache == len(new) and report.failed == []
    rows = {e.name: e for e in report.removed}
    built = rows[_rel(store, old["builds-v1"])]
    assert built.bucket == "builds-v1" and built.size > 0
    assert built.detail.startswith("demo-1.0-py3-none-any.whl, unused for 40 days")
    assert rows[_rel(store, old["metadata-v1"])].detail == "unused for 40 days"
    # the removed build env's root goes in the same run; the manifest (a root, not a cache) stays
    assert [(e.kind, e.name) for e in report.removed if e.kind == "root"] == [("root", str(old["build-envs-v1"]))]
    assert manifest.exists() and any(r.path == manifest for r in store.roots())
    assert os.path.exists("/usr/bin/env")  # the env's interpreter link was removed, not followed
    assert store.gc(max_age=30 * DAY).removed == []  # nothing left to do


def test_dry_run_lists_the_same_and_removes_nothing(store, filled):
    old, new, _ = filled
    def listing():  # every path and mtime, but gc's own lock file (and so the mtime of locks/)
        return sorted((str(p), 0 if p.name == "locks" else os.lstat(p).st_mtime)
                      for p in store.root.rglob("*") if p.name != "gc.lock")

    before = listing()
    dry = store.gc(dry_run=True, max_age=30 * DAY)
    assert listing() == before
    assert dry.dry_run and _cache(dry) == sorted(_rel(store, p) for p in old.values())
    assert [e.name for e in dry.removed if e.kind == "root"] == [str(old["build-envs-v1"])]
    real = store.gc(max_age=30 * DAY)
    assert [(e.kind, e.name, e.size) for e in real.removed] == [(e.kind, e.name, e.size) for e in dry.removed]


def test_max_age_zero_removes_every_cache_entry_not_in_use(store, filled):
    old, new, manifest = filled
    report = store.gc(max_age=0)
    everything = list(old.values()) + list(new.values())
    assert _cache(report) == sorted(_rel(store, p) for p in everything)
    assert not any(os.path.lexists(p) for p in everything)
    assert list((store.root / "build-envs-v1").iterdir()) == []
    assert manifest.exists()


def test_the_default_max_age_is_thirty_days(store):
    store.ensure()
    month = _file(store.bucket("pages-v1") / "a.bin")
    _age(month, 29)
    older = _file(store.bucket("pages-v1") / "b.bin")
    _age(older, 31)
    assert _cache(store.gc()) == ["pages-v1/b.bin"]
    assert month.exists()


def test_an_entry_whose_lock_is_held_is_in_use_and_kept(store):
    store.ensure()
    env, built = _env(store, "e" * 32), _built(store, "a" * 64, "k1")
    other = _env(store, "d" * 32)
    for path in (env, built, other):
        _age(path)
    using = FileLock(store.root / "locks" / f"build-env-use-{'e' * 32}.lock", shared=True)
    building = FileLock(store.root / "locks" / f"build-{'a' * 16}-k1.lock")
    with using, building:
        assert _cache(store.gc(dry_run=True, max_age=0)) == [_rel(store, other)]
        report = store.gc(max_age=0)
        assert _cache(report) == [_rel(store, other)] and report.kept_cache == 2
        assert env.exists() and built.exists() and not other.exists()
    assert not (store.root / "locks" / f"build-env-use-{'d' * 32}.lock").exists()  # lock files go with the env
    assert _cache(store.gc(max_age=0)) == sorted([_rel(store, env), _rel(store, built)])


def test_a_symlink_planted_in_a_bucket_is_removed_as_a_link_and_its_target_kept(store, tmp_path):
    store.ensure()
    outside = tmp_path / "outside"
    _file(outside / "precious.txt", "keep me")
    links = [store.bucket("metadata-v1") / "ab", store.bucket("build-envs-v1") / ("c" * 32),
             store.bucket("builds-v1") / ("a" * 64), store.bucket("pages-v1") / "x.bin"]
    for link in links[:3]:
        os.symlink(outside, link)
    os.symlink(outside / "precious.txt", links[3])
    for link in links:
        _age(link)
    report = store.gc(max_age=30 * DAY)
    assert _cache(report) == sorted(_rel(store, link) for link in links)
    assert all(e.detail == "a symbolic link" for e in report.removed)
    assert not any(os.path.lexists(link) for link in links)
    assert (outside / "precious.txt").read_text() == "keep me"


def test_a_bucket_that_is_itself_a_link_is_left_alone(store, tmp_path):
    store.ensure()
    elsewhere = tmp_path / "elsewhere"
    old = _file(elsewhere / "old.metadata")
    _age(old)
    os.symlink(elsewhere, store.root / "metadata-v1")
    assert store.gc(max_age=0).removed == []
    assert old.exists()


def test_buckets_that_are_not_caches_are_never_pruned(store):
    store.ensure()
    kept = [_file(store.root / "runtime-v1" / "ctx.json"), _file(store.root / "someone-else-v1" / "data"),
            _file(store.root / "notes.txt")]
    for path in kept:
        _age(path, 400)
    assert _cache(store.gc(max_age=0)) == []
    assert all(p.exists() for p in kept)


def test_stray_files_and_empty_folders_in_a_folder_bucket(store):
    store.ensure()
    stray = _file(store.bucket("builds-v1") / ("a" * 64) / "stray.txt")
    empty = store.bucket("builds-v1") / ("b" * 64)
    empty.mkdir()
    half = store.bucket("build-envs-v1") / ("e" * 32)  # a crash left it without its ready marker
    _file(half / "bin" / "x")
    for path in (stray, empty, half):
        _age(path)
    report = store.gc(max_age=30 * DAY)
    assert _cache(report) == sorted([_rel(store, stray), _rel(store, half)])
    assert not stray.exists() and not half.exists() and not empty.exists()


def test_an_entry_that_cannot_be_removed_is_reported_and_gc_goes_on(store, monkeypatch):
    store.ensure()
    stuck = _built(store, "a" * 64, "k1")
    fine = _file(store.bucket("metadata-v1") / "ab" / "x.metadata")
    for path in (stuck, fine):
        _age(path)
    real = _prune.remove_tree

    def remove_tree(path):
        if path == stuck:
            raise PermissionError(13, "Permission denied")
        real(path)

    monkeypatch.setattr(_prune, "remove_tree", remove_tree)
    report = store.gc(max_age=30 * DAY)
    assert [(e.name, e.detail) for e in report.failed] == [(_rel(store, stuck), "Permission denied")]
    assert _cache(report) == [_rel(store, fine)] and not fine.exists()
    assert stuck.exists() and not (stuck / "built.json").exists()  # no longer a hit: built again when needed


def test_a_folder_that_cannot_be_listed_is_reported_and_gc_goes_on(store, monkeypatch):
    store.ensure()
    hidden = _file(store.bucket("metadata-v1") / "cd" / "y.metadata")
    fine = _file(store.bucket("pages-v1") / "z.bin")
    for path in (hidden, fine):
        _age(path)
    real = os.scandir

    def scandir(path):
        if str(path) == str(hidden.parent):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(_prune.os, "scandir", scandir)
    report = store.gc(max_age=30 * DAY)
    assert [(e.name, e.detail) for e in report.failed] == [("metadata-v1/cd", "cannot list it: Permission denied")]
    assert _cache(report) == ["pages-v1/z.bin"] and hidden.exists()


def test_gc_of_a_store_that_does_not_exist_yet_touches_nothing(tmp_path):
    report = Store(tmp_path / "none").gc(max_age=0)
    assert report.removed == [] and report.failed == [] and not (tmp_path / "none").exists()
