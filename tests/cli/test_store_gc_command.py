"""`pkm store gc --max-age DAYS`: unused cache entries listed and removed, in text and JSON; bad ages and failures."""

from __future__ import annotations

import json
import os
import time

import pytest

from pkm.cli import main
from pkm.store import Store
from pkm.store import _prune

DAY = 86400.0


def _entry(path, days, text="x" * 2000):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    then = time.time() - days * DAY
    os.utime(path, (then, then))
    return path


@pytest.fixture
def cached(home):
    """A store whose caches hold a 40-day-old built wheel and metadata file and a 2-day-old page."""
    store = Store(home)
    entry = store.bucket("builds-v1") / ("a" * 64) / "k1"
    _entry(entry / "demo-1.0-py3-none-any.whl", 40)
    _entry(entry / "built.json", 40, json.dumps({"format": 1, "wheel": "demo-1.0-py3-none-any.whl"}))
    then = time.time() - 40 * DAY
    os.utime(entry, (then, then))
    meta = _entry(store.bucket("metadata-v1") / "ab" / "ab01.metadata", 40)
    page = _entry(store.bucket("pages-v1") / "01.bin", 2)
    return entry, meta, page


def test_dry_run_lists_old_cache_entries_and_removes_nothing(cached, capsys):
    entry, meta, page = cached
    assert main(["store", "gc", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"would remove cache builds-v1/{'a' * 64}/k1 "
                             "(demo-1.0-py3-none-any.whl, unused for 40 days)  ")
    assert out[1].startswith("would remove cache metadata-v1/ab/ab01.metadata (unused for 40 days)  2.0 K")
    assert out[2].startswith("would remove 2 entries, ") and out[2].endswith(
        "would be freed; kept 0 blobs, 0 trees, 0 views and 1 cache entries")
    assert entry.exists() and meta.exists() and page.exists()


def test_max_age_in_days_and_json(cached, capsys):
    entry, meta, page = cached
    assert main(["store", "gc", "--max-age", "1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["max_age_days"] == 1 and data["dry_run"] is False and data["failed"] == []
    assert [(e["kind"], e["bucket"], e["name"]) for e in data["removed"]] == [
        ("cache", "builds-v1", f"builds-v1/{'a' * 64}/k1"),
        ("cache", "metadata-v1", "metadata-v1/ab/ab01.metadata"),
        ("cache", "pages-v1", "pages-v1/01.bin")]
    assert data["bytes_freed"] == sum(e["bytes"] for e in data["removed"]) >= 3 * 2000
    assert data["kept"] == {"blobs": 0, "trees": 0, "views": 0, "cache": 0}
    assert not entry.exists() and not meta.exists() and not page.exists()


def test_max_age_zero_takes_even_what_was_used_a_moment_ago(home, capsys):
    fresh = _entry(Store(home).bucket("index-v1") / "k.http", 0)
    assert main(["store", "gc"]) == 0
    assert fresh.exists()
    assert main(["store", "gc", "--max-age", "0"]) == 0
    assert "removed cache index-v1/k.http (unused for 0 s)" in capsys.readouterr().out
    assert not fresh.exists()


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_bad_max_age_is_a_usage_error(home, capsys, value):
    assert main(["store", "gc", "--max-age", value]) == 2
    err = capsys.readouterr().err
    assert "--max-age" in err and "hint:" in err


def test_an_entry_that_cannot_be_removed_fails_the_command_after_the_rest_is_done(cached, capsys, monkeypatch):
    entry, meta, page = cached
    real = _prune.remove_tree

    def remove_tree(path):
        if path.name == "ab01.metadata":
            raise PermissionError(13, "Permission denied")
        real(path)

    monkeypatch.setattr(_prune, "remove_tree", remove_tree)
    assert main(["store", "gc"]) == 1
    captured = capsys.readouterr()
    assert f"removed cache builds-v1/{'a' * 64}/k1" in captured.out and not entry.exists()
    assert "gc could not remove 1 cache entry" in captured.err
    assert "metadata-v1/ab/ab01.metadata: Permission denied" in captured.err and "hint:" in captured.err
    assert meta.exists()


def test_help_says_what_gc_removes(home, capsys):
    assert main(["store", "gc", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--max-age DAYS" in out and "build-envs-v1" in out and "runtime-v1" in out
