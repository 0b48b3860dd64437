"""verify re-hashes and evicts; gc keeps what live roots use and drops the rest; info sizes buckets."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time

import pytest

from pkm.errors import PkmError
from pkm.store import MARKER, Store
from support.dists import make_zip


def _age(path, seconds=7200):
    old = time.time() - seconds
    os.utime(path, (old, old))


def _blob(store, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    store.add_blob(io.BytesIO(data), sha)
    return sha


def test_verify_finds_and_evicts_a_corrupted_blob(store):
    good, bad = _blob(store, b"good"), _blob(store, b"bad")
    path = store.blob_path(bad)
    os.chmod(path, 0o644)
    path.write_bytes(b"flipped")
    report = store.verify()
    assert report.blobs == 2
    assert [(e.kind, e.name) for e in report.corrupt] == [("blob", bad)]
    assert not path.exists() and store.blob(good) is not None
    assert store.verify().corrupt == []


def test_verify_finds_a_tree_file_changed_after_unpacking(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    target = tree / "demo" / "__init__.py"
    os.chmod(target, 0o644)
    target.write_text("import os; os.system('evil')\n")
    report = store.verify()
    assert [(e.kind, e.name, e.detail) for e in report.corrupt] == [
        ("tree", sha, "demo/__init__.py does not match its RECORD hash")]
    assert store.tree(sha) is None and not tree.exists()
    assert store.add_tree(path, sha) == tree  # fetched again on next use


@pytest.mark.parametrize("damage, problem", [
    (lambda tree: (tree / MARKER).unlink(), "no readable completion marker"),
    (lambda tree: (tree / "demo" / "__init__.py").unlink(), "holds 3 files, its marker says 4"),
    (lambda tree: (tree / "demo" / "extra.py").write_text(""), "holds 5 files, its marker says 4"),
])
def test_verify_finds_incomplete_trees(store, wheel, damage, problem):
    path, sha = wheel()
    damage(store.add_tree(path, sha))
    assert [e.detail for e in store.verify().corrupt] == [problem]
    assert not store.tree_path(sha).exists()


def test_verify_ignores_bytecode_other_interpreters_wrote(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    (tree / "demo" / "__pycache__" / "__init__.cpython-399.pyc").write_bytes(b"")
    assert store.verify().corrupt == []


def _bytecode(source: str) -> bytes:
    """Real bytecode of `source`, for this interpreter, as a wheel builder would ship it."""
    import importlib.util
    import marshal

    code = compile(source, "<shipped>", "exec")
    return importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)


def test_verify_accepts_bytecode_a_wheel_ships_and_the_store_compiled(store, wheel):
    tag = sys.implementation.cache_tag
    shipped = {
        "demo/__init__.py": "VALUE = 1\n",
        "demo/mod.py": "X = 2\n",
        f"demo/__pycache__/__init__.{tag}.pyc": _bytecode("VALUE = 1\n"),  # this interpreter's, listed in RECORD
        "demo/__pycache__/mod.cpython-39.pyc": b"bytecode of another interpreter",
    }
    path, sha = wheel("demo", "1.0", files=shipped)
    tree = store.add_tree(path, sha)
    cache = tree / "demo" / "__pycache__"
    assert (cache / f"__init__.{tag}.pyc").read_bytes() == shipped[f"demo/__pycache__/__init__.{tag}.pyc"]  # not overwritten
    assert (cache / f"mod.{tag}.pyc").is_file()  # compiled by the store: not in RECORD
    assert store.verify().corrupt == []
    assert store.tree(sha) == tree


def test_verify_still_finds_shipped_bytecode_that_changed(store, wheel):
    path, sha = wheel("demo", "1.0", files={"demo/__init__.py": "", "demo/__pycache__/x.cpython-39.pyc": b"shipped"})
    tree = store.add_tree(path, sha)
    target = tree / "demo" / "__pycache__" / "x.cpython-39.pyc"
    os.chmod(target, 0o644)
    target.write_bytes(b"damaged")
    assert [e.detail for e in store.verify().corrupt] == ["demo/__pycache__/x.cpython-39.pyc does not match its RECORD hash"]


def test_verify_finds_an_unlisted_file_that_replaced_a_listed_one(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    os.rename(tree / "demo" / "__init__.py", tree / "demo" / "renamed.py")
    assert [e.detail for e in store.verify().corrupt] == ["demo/renamed.py is not listed in its RECORD"]


def test_gc_keeps_what_live_roots_use_and_drops_dead_roots(store, wheel, tmp_path):
    path, kept_sha = wheel("kept", "1.0")
    store.add_blob(path, kept_sha)
    store.add_tree(path, kept_sha)
    path2, gone_sha = wheel("gone", "1.0")
    store.add_blob(path2, gone_sha)
    store.add_tree(path2, gone_sha)
    venv = tmp_path / "venv"
    venv.mkdir()
    store.add_root(venv, "environment", trees=[kept_sha], blobs=[kept_sha])
    dead_lock = tmp_path / "old" / "pylock.toml"
    store.add_root(dead_lock, "lock", trees=[gone_sha], blobs=[gone_sha])  # its file never existed

    report = store.gc(min_age=0)
    removed = {(e.kind, e.name) for e in report.removed}
    assert removed == {("blob", gone_sha), ("tree", gone_sha), ("root", str(dead_lock))}
    assert report.bytes_freed == sum(e.size for e in report.removed) > 0
    assert store.tree(kept_sha) and store.blob(kept_sha)
    assert store.tree(gone_sha) is None and store.blob(gone_sha) is None
    assert [r.path for r in store.roots()] == [venv]
    assert not (store.root / "locks" / f"tree-{gone_sha}.lock").exists()

    venv.rmdir()  # the environment is deleted: its root dies, and what it used goes
    removed = {(e.kind, e.name) for e in store.gc(min_age=0).removed}
    assert removed == {("blob", kept_sha), ("tree", kept_sha), ("root", str(venv))}
    assert os.listdir(store.root / "trees") == []


def test_gc_dry_run_removes_nothing(store, wheel):
    path, sha = wheel()
    store.add_tree(path, sha)
    report = store.gc(dry_run=True, min_age=0)
    assert [(e.kind, e.detail) for e in report.removed] == [("tree", path.name)]
    assert store.tree(sha) is not None


def test_gc_spares_recent_entries_and_sweeps_stale_staging(store, wheel):
    path, sha = wheel()
    store.add_tree(path, sha)
    blob = _blob(store, b"fresh")
    stale = store.tmp / "tree-crashed"
    (stale / "pkg").mkdir(parents=True)
    (stale / "pkg" / "x.py").write_text("")
    fresh = store.tmp / "tree-running"
    fresh.mkdir()
    _age(stale, 2 * 86400)
    report = store.gc()  # default grace: one hour
    assert [(e.kind, e.name) for e in report.removed] == [("tmp", "tree-crashed")]
    assert (report.kept_blobs, report.kept_trees) == (1, 1)
    assert fresh.exists() and store.blob(blob) and store.tree(sha)
    _age(store.blob_path(blob))
    _age(store.tree_path(sha) / MARKER)
    assert {e.kind for e in store.gc().removed} == {"blob", "tree"}


def test_using_a_blob_renews_its_grace(store):
    sha = _blob(store, b"in use")
    for verify in (True, False):
        _age(store.blob_path(sha))
        assert store.blob(sha, verify=verify) is not None
        assert store.gc().removed == []
    _age(store.blob_path(sha))
    assert [(e.kind, e.name) for e in store.gc().removed] == [("blob", sha)]


def test_reusing_a_tree_renews_its_grace(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    _age(tree / MARKER)
    store.add_tree(path, sha)
    assert store.gc().removed == []


def test_roots_are_replaced_and_removed_by_path(store, tmp_path):
    env = tmp_path / "env"
    env.mkdir()
    a, b = "a" * 64, "b" * 64
    record = store.add_root(env, "environment", trees=[a])
    store.add_root(str(env), "environment", trees=[b, b.upper()])
    (root,) = store.roots()
    assert (root.path, root.kind, root.trees, root.blobs, root.alive) == (env, "environment", {b}, set(), True)
    assert json.loads(record.read_text())["trees"] == [b]
    assert store.remove_root(env) is True and store.roots() == []
    assert store.remove_root(env) is False


def test_bad_roots_are_refused_and_unreadable_records_dropped(store, tmp_path):
    with pytest.raises(PkmError, match="not a sha256 hex digest"):
        store.add_root(tmp_path, "environment", trees=["nope"])
    with pytest.raises(PkmError, match="not a root kind"):
        store.add_root(tmp_path, "Bad Kind")
    with pytest.raises(PkmError, match="list of sha256 digests"):
        store.add_root(tmp_path, "lock", blobs="a" * 64)
    (store.root / "roots" / "junk.json").write_text("{")
    assert [(r.kind, r.alive) for r in store.roots()] == [("unreadable", False)]
    assert [(e.kind, e.detail) for e in store.gc(min_age=0).removed] == [("root", "unreadable record")]


def test_info_counts_and_sizes_each_bucket(store, wheel):
    path, sha = wheel()
    store.add_blob(path, sha)
    store.add_tree(path, sha)
    (store.bucket("runtime-v1") / "ctx.json").write_text("{}")
    data = store.info()
    assert data["root"] == str(store.root) and data["version"] == "1"
    buckets = data["buckets"]
    assert buckets["blobs"] == {"entries": 1, "bytes": path.stat().st_size}
    assert buckets["trees"]["entries"] == 1 and buckets["trees"]["bytes"] > 0
    assert buckets["runtime-v1"] == {"entries": 1, "bytes": 2}
    assert "locks" not in buckets


def test_maintenance_of_a_store_that_does_not_exist_yet(tmp_path):
    store = Store(tmp_path / "nothing")
    assert store.info() == {"root": str(store.root), "version": None, "buckets": {}}
    assert store.verify().corrupt == [] and store.gc().removed == []
    assert not store.root.exists()


def test_gc_sweeps_lock_files_of_trees_that_never_were(store, tmp_path):
    bad = make_zip(tmp_path / "bad-1.0-py3-none-any.whl", {"../escape.py": ""})
    sha = hashlib.sha256(bad.read_bytes()).hexdigest()
    with pytest.raises(PkmError):
        store.add_tree(bad, sha)
    lock = store.root / "locks" / f"tree-{sha}.lock"
    assert lock.exists()
    store.gc(dry_run=True)
    assert lock.exists()
    store.gc()
    assert not lock.exists()


def test_verify_finds_a_file_list_that_no_longer_matches_the_tree(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    pyc = next((tree / "demo" / "__pycache__").iterdir())  # compiled by the store: listed, not in RECORD
    pyc.unlink()
    report = store.verify()
    assert [(e.kind, e.detail) for e in report.corrupt] == [
        ("tree", f"its file list does not match demo/__pycache__/{pyc.name}")]
    assert store.tree(sha) is None
