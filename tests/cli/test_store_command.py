"""`pkm store path|info|verify|gc`: results on stdout, JSON on request, exit 1 when verify finds corruption."""

from __future__ import annotations

import hashlib
import json
import os

from pkm.cli import main
from pkm.store import Store
from support.dists import make_wheel


def _stored_wheel(home, tmp_path, name="demo"):
    wheel = make_wheel(tmp_path / "wheels", name, "1.0")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    store = Store(home)
    store.add_blob(wheel, sha)
    store.add_tree(wheel, sha)
    return store, sha


def test_path_prints_the_root(home, capsys):
    assert main(["store", "path"]) == 0
    assert capsys.readouterr().out == f"{home}\n"
    assert main(["store", "path", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"root": str(home)}


def test_info_in_text_and_json(home, tmp_path, capsys):
    assert main(["store", "info"]) == 0
    assert "(no blobs or trees yet)" in capsys.readouterr().out
    _stored_wheel(home, tmp_path)
    assert main(["store", "info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"store: {home}\n")
    assert any(line.split()[:3] == ["trees", "1", "entries"] for line in out.splitlines())
    assert main(["--format", "json", "store", "info"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["buckets"]["blobs"]["entries"] == 1 and data["buckets"]["trees"]["entries"] == 1
    assert data["bytes"] == sum(b["bytes"] for b in data["buckets"].values())


def test_verify_is_clean_then_lists_and_evicts_corruption(home, tmp_path, capsys):
    store, sha = _stored_wheel(home, tmp_path)
    assert main(["store", "verify"]) == 0
    assert capsys.readouterr().out == "checked 1 blobs and 1 trees\nno corruption found\n"
    blob = store.blob_path(sha)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"rot")
    assert main(["store", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"  blob {sha}: content hashes to {hashlib.sha256(b'rot').hexdigest()}" in out
    assert "1 corrupt, evicted" in out
    assert not blob.exists()
    assert main(["store", "verify", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"blobs": 0, "trees": 1, "corrupt": []}


def test_gc_dry_run_then_for_real(home, tmp_path, capsys):
    store, sha = _stored_wheel(home, tmp_path)
    assert main(["store", "gc", "--dry-run"]) == 0  # everything is younger than the grace period
    assert "would remove 0 entries" in capsys.readouterr().out
    assert main(["store", "gc", "--dry-run", "--min-age", "0"]) == 0
    out = capsys.readouterr().out
    assert f"would remove tree {sha} (demo-1.0-py3-none-any.whl)" in out
    assert "would remove 2 entries" in out
    assert store.tree(sha) is not None
    assert main(["store", "gc", "--min-age", "0", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(e["kind"] for e in data["removed"]) == ["blob", "tree"]
    assert data["bytes_freed"] == sum(e["bytes"] for e in data["removed"]) > 0
    assert store.tree(sha) is None and store.blob(sha) is None


def test_missing_or_unknown_action_is_a_usage_error(home, capsys):
    assert main(["store"]) == 2
    assert main(["store", "clean"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'clean'" in err and "hint:" in err
