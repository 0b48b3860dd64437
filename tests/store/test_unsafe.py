"""Malicious and oversized archives are refused before anything is written."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import warnings
import zipfile

import pytest

from pkm.store import ArchiveLimits, Store, UnsafeArchiveError
from support.dists import make_zip

WHEEL = "evil-1.0-py3-none-any.whl"
OK = {"evil/__init__.py": "", "evil-1.0.dist-info/METADATA": "Name: evil\nVersion: 1.0\n"}


def _raw_zip(dest, entries):
    """A zip from (name, data, mode) triples, duplicates and odd modes allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    return dest


def _ok_entries():
    return [(n, d, 0o100644) for n, d in OK.items()]


CASES = {
    "absolute": (lambda p: make_zip(p, {**OK, "/etc/evil.py": "x"}), "'/etc/evil.py' is an absolute path"),
    "parent": (lambda p: make_zip(p, {**OK, "evil/../../outside.py": "x"}), "contains `..`"),
    "parent-first": (lambda p: make_zip(p, {"../outside.py": "x", **OK}), "'../outside.py' contains `..`"),
    "backslash": (lambda p: make_zip(p, {**OK, "evil\\..\\..\\x.py": "x"}), "contains a backslash"),
    "drive": (lambda p: make_zip(p, {**OK, "C:/x.py": "x"}), "is an absolute path"),
    "symlink": (lambda p: make_zip(p, OK, symlinks={"evil/link": "/etc/passwd"}), "'evil/link' is a symbolic link"),
    "char-device": (lambda p: _raw_zip(p, _ok_entries() + [("evil/tty", b"", stat.S_IFCHR | 0o644)]),
                    "'evil/tty' is a device"),
    "fifo": (lambda p: _raw_zip(p, _ok_entries() + [("evil/pipe", b"", stat.S_IFIFO | 0o644)]), "FIFO"),
    "duplicate": (lambda p: _raw_zip(p, _ok_entries() + [("evil/__init__.py", b"evil", 0o100644)]),
                  "'evil/__init__.py' appears twice"),
    "duplicate-normalized": (lambda p: _raw_zip(p, _ok_entries() + [("./evil//__init__.py", b"x", 0o100644)]),
                             "appears twice"),
    "file-and-dir": (lambda p: make_zip(p, {**OK, "evil/mod": "x", "evil/mod/inner.py": "y"}),
                     "'evil/mod' is a file and also a directory"),
    "marker-name": (lambda p: make_zip(p, {**OK, ".pkm-complete": "{}"}), "reserves for its completion marker"),
    "bomb-ratio": (lambda p: make_zip(p, {**OK, "evil/zeros.bin": b"\0" * (4 << 20)}), "a zip bomb"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malicious_archive_is_refused_and_nothing_is_left(tmp_path, case):
    build, message = CASES[case]
    archive = build(tmp_path / WHEEL)
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    store = Store(tmp_path / "home")
    with pytest.raises(UnsafeArchiveError) as err:
        store.add_tree(archive, sha)
    assert message in err.value.what
    assert err.value.what.startswith(f"refusing to unpack {WHEEL}: ")
    assert "malicious" in err.value.hint
    assert os.listdir(store.root / "trees") == []
    assert os.listdir(store.root / "tmp") == []
    assert not (tmp_path / "outside.py").exists() and not (tmp_path / "etc").exists()


@pytest.mark.parametrize("limits, message", [
    (ArchiveLimits(max_file=100), "'evil/big.py' is 1000 bytes unpacked (limit 100)"),
    (ArchiveLimits(max_total=1010), "its members add up to more than 1010 bytes"),
    (ArchiveLimits(max_members=2), "it has 3 members (limit 2)"),
])
def test_size_caps_are_enforced_from_the_directory(tmp_path, limits, message):
    archive = make_zip(tmp_path / WHEEL, {**OK, "evil/big.py": "#" * 1000})
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    store = Store(tmp_path / "home", limits=limits)
    with pytest.raises(UnsafeArchiveError, match=re.escape(message)):
        store.add_tree(archive, sha)
    assert os.listdir(store.root / "trees") == [] and os.listdir(store.root / "tmp") == []


def test_well_compressible_small_files_are_not_mistaken_for_bombs(tmp_path):
    archive = make_zip(tmp_path / WHEEL, {**OK, "evil/table.dat": "x = 0\n" * 100_000})  # ~600 KB, ~1000-fold
    store = Store(tmp_path / "home")
    tree = store.add_tree(archive, hashlib.sha256(archive.read_bytes()).hexdigest())
    assert (tree / "evil" / "table.dat").stat().st_size == 600_000


def test_directory_entries_and_dot_segments_unpack_normally(tmp_path):
    archive = _raw_zip(tmp_path / WHEEL, _ok_entries() + [("evil/sub/", b"", stat.S_IFDIR | 0o755),
                                                          ("./evil/sub/mod.py", b"V = 1\n", 0o100644)])
    store = Store(tmp_path / "home")
    tree = store.add_tree(archive, hashlib.sha256(archive.read_bytes()).hexdigest())
    assert (tree / "evil" / "sub" / "mod.py").read_text() == "V = 1\n"
    assert store.tree_info(tree.name).files == 3
