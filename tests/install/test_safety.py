"""Malicious and broken wheels are refused before anything is written; the environment is unchanged."""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from pkm.errors import HashMismatchError, PkmError
from pkm.install import Environment, Install, Limits, SchemeDestination, TreeSource, WheelFile, apply, install
from pkm.install._layout import Item
from support.dists import make_zip, record_hash

DI = "evil-1.0.dist-info"
METADATA = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
WHEEL = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def evil_wheel(directory: Path, members: dict, *, dist_info: str = DI, symlinks: dict = {}, rows=None,
               skip_rows=(), extra_rows=(), record: bool = True) -> Path:
    """A wheel named evil-1.0 whose RECORD is right for `members` unless told otherwise."""
    members = {"evil/__init__.py": b"X = 1\n", f"{dist_info}/METADATA": METADATA, f"{dist_info}/WHEEL": WHEEL, **members}
    members = {k: v.encode() if isinstance(v, str) else v for k, v in members.items() if v is not None}
    if record:
        lines = rows if rows is not None else [f"{p},{record_hash(c)},{len(c)}" for p, c in members.items() if p not in skip_rows]
        lines = list(lines) + list(extra_rows) + [f"{dist_info}/RECORD,,"]
        members[f"{dist_info}/RECORD"] = ("\n".join(lines) + "\n").encode()
    return make_zip(directory / "evil-1.0-py3-none-any.whl", members, symlinks=symlinks)


def raw_zip(path: Path, entries) -> Path:
    """A zip from (ZipInfo-or-name, bytes) pairs, duplicates allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w") as zf:
            for info, data in entries:
                zf.writestr(info, data)
    return path


def _valid_entries():
    base = {"evil/__init__.py": b"X = 1\n", f"{DI}/METADATA": METADATA, f"{DI}/WHEEL": WHEEL}
    record = "".join(f"{p},{record_hash(c)},{len(c)}\n" for p, c in base.items()) + f"{DI}/RECORD,,\n"
    return list(base.items()) + [(f"{DI}/RECORD", record.encode())]


def _with_mode(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


META_ROWS = [f"{DI}/METADATA,{record_hash(METADATA)},{len(METADATA)}", f"{DI}/WHEEL,{record_hash(WHEEL)},{len(WHEEL)}"]
OTHER_HASH = record_hash(b"Y = 2" + bytes([10]))
GOOD_HASH = record_hash(b"X = 1" + bytes([10]))


def _rows(first: str) -> list:
    return [first] + META_ROWS


CASES = {
    "parent traversal": (lambda d, t: evil_wheel(d, {"../../../../evil.py": "x"}), "contains `..`"),
    "nested traversal": (lambda d, t: evil_wheel(d, {"evil/../../../../../evil.py": "x"}), "contains `..`"),
    "absolute path": (lambda d, t: evil_wheel(d, {str(t / "abs-evil.py"): "x"}), "absolute path"),
    "backslash traversal": (lambda d, t: evil_wheel(d, {"..\\..\\..\\..\\evil.py": "x"}), "backslash"),
    "dot segment": (lambda d, t: evil_wheel(d, {"evil/./x.py": "x"}), "`.` path segment"),
    "data traversal": (lambda d, t: evil_wheel(d, {"evil-1.0.data/data/../../../../evil.py": "x"}), "contains `..`"),
    "symlink member": (lambda d, t: evil_wheel(d, {}, symlinks={"evil/passwd": "/etc/passwd"}), "symbolic link"),
    "symlink to a parent": (lambda d, t: evil_wheel(d, {}, symlinks={"evil/up": "../../../../"}), "symbolic link"),
    "device member": (lambda d, t: raw_zip(d / "evil-1.0-py3-none-any.whl", _valid_entries() + [(_with_mode("evil/dev", stat.S_IFCHR | 0o644), b"")]), "device"),
    "duplicate member": (lambda d, t: raw_zip(d / "evil-1.0-py3-none-any.whl", _valid_entries() + [("evil/__init__.py", b"import os\n")]), "appears twice"),
    "file and directory clash": (lambda d, t: evil_wheel(d, {"evil/x": "a", "evil/x/y.py": "b"}), "both a file and a directory"),
    "dist-info of another project": (lambda d, t: evil_wheel(d, {}, dist_info="other-1.0.dist-info"), "another distribution"),
    "dist-info of another version": (lambda d, t: evil_wheel(d, {}, dist_info="evil-2.0.dist-info"), "another distribution"),
    "two dist-info directories": (lambda d, t: evil_wheel(d, {"other-1.0.dist-info/METADATA": "Name: other"}), "exactly one .dist-info"),
    "no dist-info": (lambda d, t: make_zip(d / "evil-1.0-py3-none-any.whl", {"evil/__init__.py": "x"}), "exactly one .dist-info"),
    "stray data directory": (lambda d, t: evil_wheel(d, {"other-1.0.data/scripts/x": "x"}), "stray data directory"),
    "unknown data scheme": (lambda d, t: evil_wheel(d, {"evil-1.0.data/lib/x.py": "x"}), "not in a known .data directory"),
    "missing RECORD": (lambda d, t: evil_wheel(d, {}, record=False), "RECORD is missing"),
    "RECORD hash mismatch": (lambda d, t: evil_wheel(d, {}, rows=_rows(f"evil/__init__.py,{OTHER_HASH},6")), "does not match RECORD"),
    "RECORD size mismatch": (lambda d, t: evil_wheel(d, {}, rows=_rows(f"evil/__init__.py,{GOOD_HASH},99")), "RECORD says 99 bytes"),
    "file missing from RECORD": (lambda d, t: evil_wheel(d, {"evil/extra.py": "x"}, skip_rows={"evil/extra.py"}), "not listed in RECORD"),
    "RECORD lists an absent file": (lambda d, t: evil_wheel(d, {}, extra_rows=[f"evil/gone.py,{record_hash(b'')},0"]), "does not have"),
    "RECORD with md5": (lambda d, t: evil_wheel(d, {}, rows=_rows("evil/__init__.py,md5=abc,6")), "not an accepted algorithm"),
    "RECORD without hash": (lambda d, t: evil_wheel(d, {}, rows=_rows("evil/__init__.py,,6")), "it has no hash"),
    "malformed RECORD": (lambda d, t: evil_wheel(d, {}, rows=["evil/__init__.py"]), "is not `path,hash,size`"),
    "bad entry point name": (lambda d, t: evil_wheel(d, {f"{DI}/entry_points.txt": "[console_scripts]\n../../evil = evil:main\n"}), "bad console_scripts entry"),
    "unsupported wheel version": (lambda d, t: evil_wheel(d, {f"{DI}/WHEEL": "Wheel-Version: 2.0\nRoot-Is-Purelib: true\n"}), "unsupported Wheel-Version"),
    "METADATA of another project": (lambda d, t: evil_wheel(d, {f"{DI}/METADATA": "Metadata-Version: 2.1\nName: good\nVersion: 1.0\n"}), "METADATA is for good 1.0"),
    "not a zip": (lambda d, t: _write(d / "evil-1.0-py3-none-any.whl", b"this is not a zip"), "not a valid zip"),
    "truncated zip": (lambda d, t: _truncate(evil_wheel(d, {"evil/big.py": os.urandom(4000)})), "not a valid zip"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_wheel_is_refused_and_nothing_is_written(case, tmp_path, tools):
    build, message = CASES[case]
    env = tools.make_venv(tmp_path / "venv")
    (tmp_path / "wheels").mkdir()
    wheel = build(tmp_path / "wheels", tmp_path)
    before = tools.snapshot(tmp_path)
    with pytest.raises(PkmError) as caught:
        with WheelFile(wheel) as source:
            install(source, SchemeDestination(env.scheme, env.interpreter))
    error = caught.value
    assert message in f"{error.what} {error.why}"
    assert "evil-1.0-py3-none-any.whl" in error.what and error.hint
    assert tools.snapshot(tmp_path) == before


def test_refusal_names_the_offending_member(tmp_path, dists):
    wheel = evil_wheel(tmp_path, {"../../escape.py": "x"})
    with pytest.raises(PkmError) as caught:
        WheelFile(wheel).members()
    assert "'../../escape.py'" in caught.value.what


def test_zip_bombs_are_stopped_by_the_size_caps(tmp_path, tools):
    env = tools.make_venv(tmp_path / "venv")
    (tmp_path / "w").mkdir()
    wheel = evil_wheel(tmp_path / "w", {"evil/zeros.bin": b"\0" * (4 << 20)})
    before = tools.snapshot(tmp_path)
    for limits in (Limits(max_total=1 << 20), Limits(max_file=1 << 20), Limits(max_ratio=50), Limits(max_members=3)):
        with pytest.raises(PkmError) as caught:
            with WheelFile(wheel, limits=limits) as source:
                install(source, SchemeDestination(env.scheme, env.interpreter))
        assert "cap" in f"{caught.value.what} {caught.value.why}"
    assert tools.snapshot(tmp_path) == before
    with WheelFile(wheel) as source:  # the default caps let an honest 4 MiB file through
        install(source, SchemeDestination(env.scheme, env.interpreter))


def test_expected_hash_mismatch_installs_nothing(venv, dists, tools):
    wheel = dists.wheel("good", "1.0")
    before = tools.snapshot(venv.prefix)
    with pytest.raises(HashMismatchError) as caught:
        with WheelFile(wheel, expected_sha256="0" * 64) as source:
            install(source, SchemeDestination(venv.scheme, venv.interpreter))
    assert "good-1.0-py3-none-any.whl" in caught.value.what and "0" * 64 in caught.value.why
    assert tools.snapshot(venv.prefix) == before
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with WheelFile(wheel, expected_sha256=f"sha256:{digest}") as source:
        install(source, SchemeDestination(venv.scheme, venv.interpreter))
    assert (Path(venv.scheme["purelib"]) / "good" / "__init__.py").exists()


def test_a_bad_wheel_anywhere_in_a_plan_leaves_the_environment_untouched(venv, dists, tmp_path, tools):
    good = dists.wheel("good", "1.0")
    bad = evil_wheel(tmp_path, {"../../../../evil.py": "x"})
    before = tools.snapshot(tmp_path)
    with pytest.raises(PkmError):
        apply([Install(WheelFile(good)), Install(WheelFile(bad))], venv)
    assert tools.snapshot(tmp_path) == before


def test_a_target_outside_the_prefix_is_refused_by_apply(venv, dists, tmp_path, tools):
    scheme = dict(venv.scheme, scripts=str(tmp_path / "elsewhere-bin"))
    env = Environment(venv.prefix, scheme, venv.interpreter)
    wheel = dists.wheel("tool", "1.0", entry_points={"console_scripts": {"tool": "tool:main"}})
    before = tools.snapshot(tmp_path)
    with pytest.raises(PkmError) as caught:
        apply([Install(WheelFile(wheel))], env)
    assert "outside the environment" in caught.value.what
    assert tools.snapshot(tmp_path) == before


def test_a_data_file_aimed_at_the_journal_is_refused(venv, tmp_path, tools):
    wheel = evil_wheel(tmp_path, {"evil-1.0.data/data/.pkm-journal/journal.json": "{}"})
    before = tools.snapshot(venv.prefix)
    with pytest.raises(PkmError) as caught:
        apply([Install(WheelFile(wheel))], venv)
    assert "journal" in caught.value.what
    assert tools.snapshot(venv.prefix) == before


def test_destination_refuses_a_path_escaping_by_prefix(venv):
    destination = SchemeDestination(venv.scheme, venv.interpreter)
    with pytest.raises(PkmError) as caught:
        destination.target("evil", Item("purelib", "../site-packages-evil/x.py", "metadata", data=b""))
    assert "outside" in caught.value.what


def test_tree_with_a_symlink_is_refused(tmp_path, dists):
    tree = tmp_path / "tree"
    with zipfile.ZipFile(dists.wheel("linky", "1.0")) as zf:
        zf.extractall(tree)
    os.symlink("/etc/passwd", tree / "linky" / "passwd")
    with pytest.raises(PkmError) as caught:
        TreeSource(tree).members()
    assert "'linky/passwd' is a symbolic link" in caught.value.what


def test_tree_with_a_file_missing_from_record_is_refused(tmp_path, dists):
    tree = tmp_path / "tree"
    with zipfile.ZipFile(dists.wheel("loose", "1.0")) as zf:
        zf.extractall(tree)
    (tree / "loose" / "smuggled.py").write_text("x")
    with pytest.raises(PkmError) as caught:
        TreeSource(tree).members()
    assert "not listed in RECORD" in caught.value.what
