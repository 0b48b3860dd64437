"""Same source, same bytes: sorted entries, normalized modes, SOURCE_DATE_EPOCH, a correct RECORD."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import shutil
import tarfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

import pkm.backend as backend

SAFE = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}

PYPROJECT = '''
[project]
name = "repro"
version = "0.3"
readme = "README.md"
license = "MIT"
[project.scripts]
repro = "repro:main"
[tool.pkm.build]
include = ["tests/**"]
'''
FILES = {"src/repro/__init__.py": "def main(): pass\n", "src/repro/data/x.json": "{}", "src/repro/bin/tool": "#!/bin/sh\n",
         "README.md": "readme", "LICENSE": "mit", "tests/test_repro.py": ""}


@pytest.fixture
def sources(project):
    root = project(PYPROJECT, FILES)
    os.chmod(root / "src/repro/bin/tool", 0o755)
    return root


def test_two_checkouts_with_different_mtimes_and_umask_give_identical_bytes(sources, hook, tmp_path):
    other = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(sources, other)
    for path in other.rglob("*"):
        os.utime(path, (time.time() - 86400 * 400,) * 2)
    os.chmod(other / "src/repro/__init__.py", 0o600)  # a different umask must not leak into the archive
    os.chmod(other / "src/repro/bin/tool", 0o700)
    for kind in ("build_wheel", "build_sdist"):
        first = hook(sources, kind, tmp_path / "one")
        second = hook(other, kind, tmp_path / "two")
        assert first.name == second.name
        assert first.read_bytes() == second.read_bytes(), kind


def test_entries_are_sorted_with_normalized_modes_and_the_default_date(sources, hook, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    infos = zipfile.ZipFile(hook(sources, "build_wheel")).infolist()
    names = [i.filename for i in infos]
    assert names[-1] == "repro-0.3.dist-info/RECORD"
    assert names[:-1] == sorted(n for n in names[:-1] if not n.startswith("repro-0.3.dist-info")) + sorted(
        n for n in names[:-1] if n.startswith("repro-0.3.dist-info"))
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename: i.external_attr >> 16 for i in infos}
    assert modes.pop("repro/bin/tool") == 0o100755
    assert set(modes.values()) == {0o100644}
    with tarfile.open(hook(sources, "build_sdist")) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 315532800)}
    assert {m.name: m.mode for m in members}["repro-0.3/src/repro/bin/tool"] == 0o755


def test_source_date_epoch_sets_every_timestamp(sources, hook, monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    wheel = hook(sources, "build_wheel", tmp_path / "a")
    assert {i.date_time for i in zipfile.ZipFile(wheel).infolist()} == {(2023, 11, 14, 22, 13, 20)}
    with tarfile.open(hook(sources, "build_sdist", tmp_path / "a")) as tar:
        assert {m.mtime for m in tar.getmembers()} == {1700000000}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(backend.ConfigError, match="SOURCE_DATE_EPOCH"):
        hook(sources, "build_wheel", tmp_path / "b")


def test_record_lists_every_file_with_its_sha256(sources, hook, read):
    files = read(hook(sources, "build_wheel"))
    rows = list(csv.reader(io.StringIO(files["repro-0.3.dist-info/RECORD"].decode())))
    assert rows[-1] == ["repro-0.3.dist-info/RECORD", "", ""]
    assert sorted(r[0] for r in rows) == sorted(files)
    for path, digest, size in rows[:-1]:
        expected = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(files[path]))


def test_the_sdist_rebuilds_into_the_same_wheel(sources, hook, tmp_path):
    direct = hook(sources, "build_wheel", tmp_path / "direct")
    sdist = hook(sources, "build_sdist", tmp_path / "sdist")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "unpacked", **SAFE)
    rebuilt = hook(tmp_path / "unpacked" / "repro-0.3", "build_wheel", tmp_path / "rebuilt")
    assert rebuilt.read_bytes() == direct.read_bytes()


def test_build_api_leaves_the_working_directory_alone_and_runs_in_threads(sources, hook, tmp_path):
    expected = {p.name: p.read_bytes() for p in (hook(sources, "build_wheel", tmp_path / "hooks"),
                                                   hook(sources, "build_sdist", tmp_path / "hooks"))}
    cwd = os.getcwd()
    out = tmp_path / "threads"
    out.mkdir()
    with ThreadPoolExecutor(4) as pool:
        names = list(pool.map(lambda kind: backend.build(sources, kind, out), ["wheel", "sdist"] * 3))
    assert os.getcwd() == cwd
    assert sorted(set(names)) == sorted(expected)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == expected  # no temp files left behind either
    with pytest.raises(ValueError, match="unknown build kind 'egg'"):
        backend.build(sources, "egg", out)
