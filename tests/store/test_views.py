"""Views: trees merged into one directory of hard links; their markers, and gc."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pkm.errors import NotFoundError
from pkm.store import MARKER


def _two_trees(store, wheel):
    first, a = wheel("alpha", "1.0", files={"ns/alpha.py": "X = 'alpha'\n", "shared.py": "WHO = 'alpha'\n"},
                     data={"purelib": {"lifted.py": "Y = 1\n"}, "scripts": {"tool": "#!/bin/sh\n"}})
    second, b = wheel("beta", "2.0", files={"ns/beta.py": "X = 'beta'\n", "shared.py": "WHO = 'beta'\n"})
    store.add_tree(first, a)
    store.add_tree(second, b)
    return a, b


def test_a_view_merges_trees_with_hard_links_and_imports_as_one_path_entry(store, wheel):
    a, b = _two_trees(store, wheel)
    view = store.add_view([a, b])
    assert view.parent == store.root / "views-v1"
    assert (view / "lifted.py").is_file() and not (view / "tool").exists()  # purelib lifted, scripts left out
    assert not (view / "alpha-1.0.data").exists() and not (view / MARKER).exists()
    assert os.path.samefile(view / "ns" / "beta.py", store.tree(b) / "ns" / "beta.py")
    assert (view / "shared.py").read_text() == "WHO = 'alpha'\n"  # the first tree wins
    assert json.loads((view / ".pkm-view").read_text())["trees"] == [a, b]
    code = ("import importlib.metadata as md, ns.alpha, ns.beta, lifted, shared\n"
            "print(ns.alpha.X, ns.beta.X, shared.WHO, md.version('alpha'), md.version('beta'))")
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(view)!r})\n" + code],
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "alpha beta alpha 1.0 2.0\n"), done.stderr
    assert store.add_view([a, b]) == view  # built once
    assert store.add_view([b, a]) != view  # another order is another view
    assert os.listdir(store.root / "tmp") == []


def test_a_view_of_a_missing_tree_is_refused_and_leaves_nothing(store, wheel):
    a, _ = _two_trees(store, wheel)
    with pytest.raises(NotFoundError):
        store.add_view([a, "0" * 64])
    assert os.listdir(store.root / "views-v1") == [] and os.listdir(store.root / "tmp") == []


def test_a_leftover_view_without_its_marker_is_rebuilt(store, wheel):
    a, b = _two_trees(store, wheel)
    view = store.add_view([a, b])
    os.unlink(view / ".pkm-view")
    (view / "stray.py").write_text("")
    assert store.add_view([a, b]) == view
    assert not (view / "stray.py").exists() and (view / "shared.py").is_file()


def test_where_hard_links_fail_the_view_holds_copies(store, wheel, monkeypatch):
    a, b = _two_trees(store, wheel)

    def cross_device(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    view = store.add_view([a, b])
    copy, original = view / "ns" / "beta.py", store.tree(b) / "ns" / "beta.py"
    assert copy.read_text() == "X = 'beta'\n" and not os.path.samefile(copy, original)
    assert os.stat(copy).st_mtime == os.stat(original).st_mtime  # bytecode in the view stays valid
    assert json.loads((view / ".pkm-view").read_text())["copied"] > 0


def test_bytecode_compiled_into_the_trees_later_is_linked_into_the_view(store, wheel):
    from pkm.store._view import add_bytecode

    path, sha = wheel("gamma", "1.0", files={"gamma.py": "G = 1\n"})
    store.add_tree(path, sha, compile=False)
    view = store.add_view([sha])
    assert not (view / "__pycache__").exists()
    store.compile_tree(sha, sys.executable)
    add_bytecode(store, view)
    [pyc] = os.listdir(view / "__pycache__")
    assert os.path.samefile(view / "__pycache__" / pyc, store.tree(sha) / "__pycache__" / pyc)


def test_gc_keeps_views_live_roots_list_and_removes_the_rest(store, wheel, tmp_path):
    a, b = _two_trees(store, wheel)
    used = store.add_view([a, b])
    unused = store.add_view([b])
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    store.add_root(manifest, "runtime", trees=[a, b], views=[used.name])
    assert store.gc(min_age=3600).kept_views == 2  # young: both kept
    dry = store.gc(dry_run=True, min_age=0)
    assert [(e.kind, e.name, e.detail) for e in dry.removed] == [("view", unused.name, "merges 1 trees")]
    assert unused.is_dir()
    report = store.gc(min_age=0)
    assert [(e.kind, e.name) for e in report.removed] == [("view", unused.name)]
    assert report.kept_views == 1 and used.is_dir() and not unused.exists()
    assert store.tree(a) and store.tree(b)
    manifest.unlink()  # the manifest is gone: its root, its trees and its view go
    removed = {(e.kind, e.name) for e in store.gc(min_age=0).removed}
    assert {("view", used.name), ("tree", a), ("tree", b), ("root", str(manifest))} <= removed
    assert os.listdir(store.root / "views-v1") == []


def test_gc_keeps_a_view_being_built(store, wheel):
    from pkm.store import FileLock

    a, _ = _two_trees(store, wheel)
    view = store.add_view([a])
    with FileLock(store.root / "locks" / f"view-{view.name}.lock", timeout=0):
        report = store.gc(min_age=0)
    assert view.is_dir() and report.kept_views == 1


def test_the_marker_records_what_needs_siblings_and_old_markers_learn_it(store, wheel):
    path, sha = wheel("plain", "1.0")
    tree = store.add_tree(path, sha)
    assert store.tree_info(sha).outside == () and store.outside_run_paths(sha) == ()
    marker = json.loads((tree / MARKER).read_text())
    del marker["outside"]  # as an older pkm wrote it
    os.chmod(tree / MARKER, 0o644)
    (tree / MARKER).write_text(json.dumps(marker))
    assert store.tree_info(sha).outside is None
    assert store.outside_run_paths(sha) == ()
    assert json.loads((tree / MARKER).read_text())["outside"] == []
    with pytest.raises(NotFoundError):
        store.outside_run_paths("1" * 64)
