"""Hostile sdists are refused before anything is written; good ones extract to their source tree."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from pkm.build import extract_sdist
from pkm.errors import PkmError
from pkm.store import UnsafeArchiveError
from support.dists import make_sdist, make_tar, make_zip

GOOD = {"demo-1.0/pyproject.toml": "[project]\nname = 'demo'\n", "demo-1.0/demo/__init__.py": ""}


def _files_under(path):
    return sorted(os.path.relpath(os.path.join(d, n), path) for d, _, names in os.walk(path) for n in names)


def test_a_good_sdist_extracts_to_its_top_folder(tmp_path, dists):
    sdist = make_sdist(tmp_path, "demo", "1.0")
    dest = tmp_path / "out"
    dest.mkdir()
    root = extract_sdist(sdist, dest)
    assert root == dest / "demo-1.0"
    assert (root / "pyproject.toml").is_file() and (root / "demo" / "__init__.py").is_file()


def test_a_symlink_inside_the_tree_is_kept(tmp_path):
    sdist = make_tar(tmp_path / "demo-1.0.tar.gz", GOOD, symlinks={"demo-1.0/alias.py": "demo/__init__.py"})
    dest = tmp_path / "out"
    dest.mkdir()
    root = extract_sdist(sdist, dest)
    assert os.readlink(root / "alias.py") == "demo/__init__.py"


@pytest.mark.parametrize("members, symlinks, hardlinks, reason", [
    ({"/etc/evil": "x"}, {}, {}, "is an absolute path"),
    ({"demo-1.0/../../evil": "x"}, {}, {}, "contains `..`"),
    ({"../evil": "x"}, {}, {}, "contains `..`"),
    ({}, {"demo-1.0/escape": "../../outside"}, {}, "symbolic link out of the archive"),
    ({}, {"demo-1.0/escape": "/etc/passwd"}, {}, "symbolic link out of the archive"),
    ({}, {}, {"demo-1.0/hard": "/etc/passwd"}, "is an absolute path"),
    ({}, {}, {"demo-1.0/hard": "demo-1.0/missing"}, "hard link"),
    ({}, {"demo-1.0/d": "demo"}, {}, None),  # fine alone; see the "through a link" case below
])
def test_hostile_members_are_refused_before_anything_is_written(tmp_path, members, symlinks, hardlinks, reason):
    sdist = make_tar(tmp_path / "demo-1.0.tar.gz", {**GOOD, **members}, symlinks=symlinks, hardlinks=hardlinks)
    dest = tmp_path / "out"
    dest.mkdir()
    if reason is None:
        extract_sdist(sdist, dest)
        return
    with pytest.raises(UnsafeArchiveError) as caught:
        extract_sdist(sdist, dest)
    assert reason in caught.value.what
    assert "malicious" in caught.value.hint
    assert os.listdir(dest) == []  # GOOD members come first in the archive: none of them was written
    assert not (tmp_path / "outside").exists() and not (tmp_path / "evil").exists()


def test_a_member_through_a_symlink_of_the_archive_is_refused(tmp_path):
    # `link -> .` is harmless by itself; writing `link/../../x` through it would not be.
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, text in GOOD.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
        link = tarfile.TarInfo("demo-1.0/link")
        link.type, link.linkname = tarfile.SYMTYPE, "."
        tar.addfile(link)
        inner = tarfile.TarInfo("demo-1.0/link/x.py")
        tar.addfile(inner, io.BytesIO(b""))
    sdist = tmp_path / "demo-1.0.tar"
    sdist.write_bytes(raw.getvalue())
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeArchiveError, match="lies under the symbolic link"):
        extract_sdist(sdist, dest)
    assert os.listdir(dest) == []


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos_are_refused(tmp_path, kind):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("demo-1.0/pyproject.toml")
        tar.addfile(info, io.BytesIO(b""))
        device = tarfile.TarInfo("demo-1.0/dev")
        device.type = kind
        tar.addfile(device)
    sdist = tmp_path / "demo-1.0.tar"
    sdist.write_bytes(raw.getvalue())
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeArchiveError, match="device, FIFO"):
        extract_sdist(sdist, dest)
    assert os.listdir(dest) == []


def test_set_id_bits_and_group_write_are_dropped(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, mode in (("demo-1.0/pyproject.toml", 0o6777), ("demo-1.0/run.sh", 0o775)):
            info = tarfile.TarInfo(name)
            info.mode = mode
            tar.addfile(info, io.BytesIO(b""))
    sdist = tmp_path / "demo-1.0.tar"
    sdist.write_bytes(raw.getvalue())
    dest = tmp_path / "out"
    dest.mkdir()
    root = extract_sdist(sdist, dest)
    assert (root / "pyproject.toml").stat().st_mode & 0o7777 == 0o755
    assert (root / "run.sh").stat().st_mode & 0o7777 == 0o755


def test_a_zip_sdist_uses_the_store_checks(tmp_path):
    good = make_zip(tmp_path / "demo-1.0.zip", GOOD)
    dest = tmp_path / "good"
    dest.mkdir()
    assert extract_sdist(good, dest) == dest / "demo-1.0"
    bad = make_zip(tmp_path / "bad-1.0.zip", {**GOOD, "../evil": "x"})
    dest = tmp_path / "bad"
    dest.mkdir()
    with pytest.raises(UnsafeArchiveError, match="`..`"):
        extract_sdist(bad, dest)
    assert os.listdir(dest) == []


def test_not_an_archive_and_no_project_are_clear_errors(tmp_path):
    junk = tmp_path / "junk-1.0.tar.gz"
    junk.write_bytes(b"this is not gzip")
    (tmp_path / "a").mkdir()
    with pytest.raises(PkmError, match="not a readable tar archive"):
        extract_sdist(junk, tmp_path / "a")
    empty = make_tar(tmp_path / "empty-1.0.tar.gz", {"empty-1.0/README": "hi"})
    (tmp_path / "b").mkdir()
    with pytest.raises(PkmError, match="holds no Python project"):
        extract_sdist(empty, tmp_path / "b")
