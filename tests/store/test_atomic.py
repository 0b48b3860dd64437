"""atomic_write: all or nothing, no temp files left, parents created."""

from __future__ import annotations

import os
import stat

import pytest

from pkm.store import atomic_write


def test_atomic_write_creates_and_replaces(tmp_path):
    target = tmp_path / "runtime-v1" / "ctx.json"
    assert atomic_write(target, '{"a": 1}') == target
    assert target.read_text() == '{"a": 1}'
    atomic_write(target, b"\x00binary", mode=0o444)
    assert target.read_bytes() == b"\x00binary"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444
    atomic_write(target, "over a read-only file")
    assert target.read_text() == "over a read-only file"
    assert os.listdir(target.parent) == ["ctx.json"]


def test_a_failed_write_keeps_the_old_content_and_no_temp_file(tmp_path):
    target = tmp_path / "manifest.json"
    atomic_write(target, "old")
    with pytest.raises(TypeError):
        atomic_write(target, 12345)  # not bytes or text: fails while writing the temp file
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["manifest.json"]
