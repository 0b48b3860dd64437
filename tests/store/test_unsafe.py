"""Malicious, oversized and RECORD-breaking archives are refused before a tree is published."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import warnings
import zipfile

import pytest

from pkm.install import WheelFile
from pkm.store import ArchiveLimits, Store, UnsafeArchiveError
from support.dists import make_zip, record_hash

WHEEL = "evil-1.0-py3-none-any.whl"
DI = "evil-1.0.dist-info"
METADATA = "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
WHEEL_FILE = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
OK = {"evil/__init__.py": "", f"{DI}/METADATA": METADATA, f"{DI}/WHEEL": WHEEL_FILE}


def _record(members, *, skip=(), extra_rows=()) -> bytes:
    """A RECORD right for `members` (bytes or str values), less `skip`, plus `extra_rows`."""
    rows = []
    for path, content in members.items():
        data = content.encode() if isinstance(content, str) else content
        if path not in skip:
            rows.append(f"{path},{record_hash(data)},{len(data)}")
    rows += list(extra_rows) + [f"{DI}/RECORD,,"]
    return ("\n".join(rows) + "\n").encode()


def _wheel(dest, members, **record_options):
    """A wheel of OK + `members` with a RECORD (see `_record`), written with make_zip."""
    members = {**OK, **members}
    return make_zip(dest, {**members, f"{DI}/RECORD": _record(members, **record_options)})


def _raw_zip(dest, entries, compression=zipfile.ZIP_DEFLATED):
    """A zip from (name, data, mode) triples, duplicates and odd modes allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(dest, "w", compression) as zf:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = mode << 16
                info.compress_type = compression
                zf.writestr(info, data)
    return dest


def _ok_entries():
    members = dict(OK)
    entries = [(n, d, 0o100644) for n, d in members.items()]
    return entries + [(f"{DI}/RECORD", _record(members), 0o100644)]


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


CASES = {
    "absolute": (lambda p: _wheel(p, {"/etc/evil.py": "x"}), "'/etc/evil.py' is an absolute path"),
    "parent": (lambda p: _wheel(p, {"evil/../../outside.py": "x"}), "contains `..`"),
    "parent-first": (lambda p: make_zip(p, {"../outside.py": "x", **OK}), "'../outside.py' contains `..`"),
    "backslash": (lambda p: _wheel(p, {"evil\\..\\..\\x.py": "x"}), "contains a backslash"),
    "drive": (lambda p: _wheel(p, {"C:/x.py": "x"}), "is an absolute path"),
    "dot-segment": (lambda p: _raw_zip(p, _ok_entries() + [("./evil//x.py", b"x", 0o100644)]),
                    "has an empty or `.` path segment"),
    "symlink": (lambda p: make_zip(p, OK, symlinks={"evil/link": "/etc/passwd"}), "'evil/link' is a symbolic link"),
    "char-device": (lambda p: _raw_zip(p, _ok_entries() + [("evil/tty", b"", stat.S_IFCHR | 0o644)]),
                    "'evil/tty' is a device"),
    "fifo": (lambda p: _raw_zip(p, _ok_entries() + [("evil/pipe", b"", stat.S_IFIFO | 0o644)]), "FIFO"),
    "duplicate": (lambda p: _raw_zip(p, _ok_entries() + [("evil/__init__.py", b"evil", 0o100644)]),
                  "'evil/__init__.py' appears twice"),
    "file-and-dir": (lambda p: _wheel(p, {"evil/mod": "x", "evil/mod/inner.py": "y"}),
                     "'evil/mod' is both a file and a directory"),
    "marker-name": (lambda p: _wheel(p, {".pkm-complete": "{}"}), "reserves for its completion marker"),
    # bzip2 squeezes 8 MiB of zeros into a few dozen bytes: far beyond what deflate can do
    "bomb-ratio": (lambda p: _raw_zip(p, _ok_entries() + [("evil/zeros.bin", b"\0" * (8 << 20), 0o100644)],
                                      compression=zipfile.ZIP_BZIP2), "a zip bomb"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malicious_archive_is_refused_and_nothing_is_left(tmp_path, case):
    build, message = CASES[case]
    archive = build(tmp_path / WHEEL)
    store = Store(tmp_path / "home")
    with pytest.raises(UnsafeArchiveError) as err:
        store.add_tree(archive, _sha(archive))
    assert message in err.value.what
    assert err.value.what.startswith(f"refusing to unpack {WHEEL}: ")
    assert "malicious" in err.value.hint
    assert os.listdir(store.root / "trees") == []
    assert os.listdir(store.root / "tmp") == []
    assert not (tmp_path / "outside.py").exists() and not (tmp_path / "etc").exists()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_installer_applies_the_same_member_rules(tmp_path, case):
    build, message = CASES[case]
    archive = build(tmp_path / WHEEL)
    with pytest.raises(UnsafeArchiveError) as err:
        with WheelFile(archive) as source:
            source.members()
    assert err.value.what.startswith(f"refusing to install {WHEEL}: ")
    assert message in err.value.what


@pytest.mark.parametrize("limits, message", [
    (ArchiveLimits(max_file=100), "'evil/big.py' is 1000 bytes unpacked (cap 100)"),
    (ArchiveLimits(max_total=1010), "its members add up to more than 1010 bytes (cap)"),
    (ArchiveLimits(max_members=2), "it has 5 members (cap 2)"),
    (ArchiveLimits(max_ratio=5, ratio_floor=500), "'evil/big.py' expands"),
])
def test_size_caps_are_enforced_from_the_directory(tmp_path, limits, message):
    archive = _wheel(tmp_path / WHEEL, {"evil/big.py": "#" * 1000})
    store = Store(tmp_path / "home", limits=limits)
    with pytest.raises(UnsafeArchiveError, match=re.escape(message)):
        store.add_tree(archive, _sha(archive))
    assert os.listdir(store.root / "trees") == [] and os.listdir(store.root / "tmp") == []


def test_a_highly_compressible_data_file_is_not_mistaken_for_a_bomb(tmp_path, wheel):
    # 10 MB of zeros deflate about 1000-fold; real wheels ship such tables and blank images.
    path, sha = wheel("zeros", "1.0", files={"zeros/__init__.py": "", "zeros/blank.bin": b"\0" * 10_000_000})
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("zeros/blank.bin").compress_size * 500 < 10_000_000
    store = Store(tmp_path / "home")
    tree = store.add_tree(path, sha)
    assert (tree / "zeros" / "blank.bin").stat().st_size == 10_000_000
    with WheelFile(path) as source:  # the installer agrees
        assert {m.path for m in source.members()} >= {"zeros/blank.bin"}


def test_directory_entries_unpack_normally(tmp_path):
    archive = _raw_zip(tmp_path / WHEEL, _ok_entries()[:1] + [("evil/sub/", b"", stat.S_IFDIR | 0o755)]
                       + _ok_entries()[1:])
    store = Store(tmp_path / "home")
    tree = store.add_tree(archive, _sha(archive))
    assert (tree / "evil" / "sub").is_dir()
    assert store.tree_info(tree.name).files == 4


RECORD_CASES = {
    "hash mismatch": (dict(members={"evil/x.py": "X = 1\n"}, extra_rows=()),
                      {"evil/x.py": "X = 2\n"}, "'evil/x.py' does not match RECORD"),
    "size mismatch": (dict(members={"evil/x.py": "X = 1\n"}, extra_rows=()),
                      {"evil/x.py": "X = 1\n\n"}, "'evil/x.py' does not match RECORD"),
    "file missing from RECORD": (dict(members={"evil/x.py": "X = 1\n"}, skip={"evil/x.py"}),
                                 None, "'evil/x.py' is not listed in RECORD"),
    "RECORD lists a missing file": (dict(members={}, extra_rows=[f"evil/gone.py,{record_hash(b'')},0"]),
                                    None, "RECORD lists files the wheel does not have"),
}


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_a_wheel_disagreeing_with_its_record_is_refused_at_unpack(tmp_path, case):
    options, swap, message = RECORD_CASES[case]
    members = {**OK, **options["members"]}
    record = _record(members, skip=options.get("skip", ()), extra_rows=options.get("extra_rows", ()))
    shipped = {**members, **(swap or {}), f"{DI}/RECORD": record}  # `swap` changes bytes after RECORD was made
    archive = make_zip(tmp_path / WHEEL, shipped)
    store = Store(tmp_path / "home")
    with pytest.raises(UnsafeArchiveError) as err:
        store.add_tree(archive, _sha(archive))
    assert err.value.what.startswith(f"refusing to unpack {WHEEL}: ")
    assert message in err.value.what
    assert store.tree(_sha(archive)) is None
    assert os.listdir(store.root / "trees") == [] and os.listdir(store.root / "tmp") == []


def test_a_wheel_without_record_is_refused_at_unpack(tmp_path):
    archive = make_zip(tmp_path / WHEEL, OK)
    store = Store(tmp_path / "home")
    with pytest.raises(UnsafeArchiveError, match=re.escape(f"{DI}/RECORD is missing")):
        store.add_tree(archive, _sha(archive))
    assert os.listdir(store.root / "trees") == []


def test_record_and_its_signatures_need_no_row(tmp_path):
    archive = _wheel(tmp_path / WHEEL, {f"{DI}/RECORD.jws": "{}"}, skip={f"{DI}/RECORD.jws"})
    store = Store(tmp_path / "home")
    tree = store.add_tree(archive, _sha(archive))
    assert (tree / DI / "RECORD.jws").read_text() == "{}"
    assert store.verify().corrupt == []
