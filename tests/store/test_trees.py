"""Trees: a wheel unpacked once, compiled, read-only, importable; crash leftovers replaced."""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from pkm.errors import HashMismatchError, NotFoundError, PkmError
from pkm.store import FILE_LIST, MARKER, Compiler, read_file_list



def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _s, names in os.walk(root) for n in names)


def test_unpacked_tree_is_importable_as_a_path_entry(store, wheel):
    path, sha = wheel("demo", "1.0", files={"demo/__init__.py": "from demo.sub import VALUE\n",
                                             "demo/sub.py": "VALUE = 42\n"})
    tree = store.add_tree(path, sha)
    assert tree == store.root / "trees" / sha
    proc = subprocess.run(
        [sys.executable, "-c", "import demo, importlib.metadata as m; print(demo.VALUE, m.version('demo'))"],
        env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42", "1.0"]


def test_tree_has_bytecode_for_this_interpreter_and_read_only_files(store, wheel):
    path, sha = wheel("demo", "1.0", data={"scripts": {"tool.py": "print('hi')\n"}})
    tree = store.add_tree(path, sha)
    tag = sys.implementation.cache_tag
    assert (tree / "demo" / "__pycache__" / f"__init__.{tag}.pyc").is_file()
    # .data/ is kept as in the wheel, for the installer to map; its scripts are not compiled
    assert (tree / "demo-1.0.data" / "scripts" / "tool.py").is_file()
    assert not (tree / "demo-1.0.data" / "scripts" / "__pycache__").exists()
    for rel in _files(tree):
        mode = os.stat(tree / rel).st_mode
        assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), rel
    assert os.stat(tree / "demo-1.0.data" / "scripts" / "tool.py").st_mode & stat.S_IXUSR  # kept executable
    info = store.tree_info(sha)
    assert (info.wheel, info.files, info.interpreters) == (path.name, 5, (tag,))
    assert os.listdir(store.root / "tmp") == []


def test_bytecode_is_used_by_the_importing_interpreter(store, wheel):
    path, sha = wheel("demo", "1.0")
    tree = store.add_tree(path, sha)
    # -B would not write new .pyc; a stale or missing one shows in `__cached__` loading from source
    proc = subprocess.run([sys.executable, "-B", "-c", "import demo, sys; print(demo.__spec__.cached)"],
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    assert proc.returncode == 0
    assert os.path.exists(proc.stdout.strip())
    assert set(glob.glob(str(tree / "**" / "*.pyc"), recursive=True)) == {proc.stdout.strip()}


def test_adding_again_reuses_the_tree(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    written = json.loads((tree / MARKER).read_text())["written"]
    assert store.add_tree(path, sha) == tree
    assert json.loads((tree / MARKER).read_text())["written"] == written


def test_compile_false_writes_no_bytecode(store, wheel):
    path, sha = wheel()
    tree = store.add_tree(path, sha, compile=False)
    assert not glob.glob(str(tree / "**" / "*.pyc"), recursive=True)
    assert store.tree_info(sha).interpreters == ()


def test_tree_without_marker_is_absent_and_replaced(store, wheel):
    path, sha = wheel()
    # what a crash between the rename and the marker leaves behind
    half = store.root / "trees" / sha
    (half / "demo").mkdir(parents=True)
    (half / "demo" / "__init__.py").write_text("raise ImportError('half-written')\n")
    assert store.tree(sha) is None
    tree = store.add_tree(path, sha)
    assert store.tree(sha) == tree
    assert "half-written" not in (tree / "demo" / "__init__.py").read_text()
    assert os.listdir(store.root / "tmp") == []


@pytest.mark.parametrize("marker", ["", "{not json", '{"version": 1, "sha256": "0000"}', "[]"])
def test_tree_with_unreadable_marker_is_absent_and_replaced(store, wheel, marker):
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    os.chmod(tree / MARKER, 0o644)
    (tree / MARKER).write_text(marker)
    assert store.tree(sha) is None
    assert store.add_tree(path, sha) == tree
    assert store.tree_info(sha).files == 4  # __init__.py, METADATA, WHEEL, RECORD


def test_wheel_not_matching_its_digest_is_not_unpacked(store, wheel):
    path, _ = wheel()
    other = "ab" * 32
    with pytest.raises(HashMismatchError):
        store.add_tree(path, other)
    assert not (store.root / "trees" / other).exists()
    assert os.listdir(store.root / "tmp") == []


def test_truncated_wheel_is_refused_cleanly(store, wheel, tmp_path):
    path, _ = wheel()
    broken = tmp_path / "demo-1.0-py3-none-any.whl"
    broken.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(PkmError, match="not a valid zip archive") as err:
        store.add_tree(broken, sha256_of(broken))
    assert "fetch it again" in err.value.hint
    assert os.listdir(store.root / "trees") == [] and os.listdir(store.root / "tmp") == []


def test_corrupt_member_data_is_refused_cleanly(store, wheel, tmp_path):
    path, _ = wheel(files={"demo/__init__.py": "A = 1\n" * 2000})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("demo/__init__.py")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 5: start + 15] = b"\xff" * 10  # damage the compressed bytes, keep the directory
    broken = tmp_path / "broken" / path.name
    broken.parent.mkdir()
    broken.write_bytes(bytes(data))
    with pytest.raises(PkmError, match="member 'demo/__init__.py' is unreadable"):
        store.add_tree(broken, sha256_of(broken))
    assert os.listdir(store.root / "trees") == [] and os.listdir(store.root / "tmp") == []


def test_compile_tree_of_a_missing_tree_is_not_found(store):
    with pytest.raises(NotFoundError):
        store.compile_tree("cd" * 32, sys.executable)


def test_compile_tree_with_a_broken_interpreter_says_so(store, wheel, tmp_path):
    path, sha = wheel()
    store.add_tree(path, sha)
    with pytest.raises(PkmError, match="cannot compile bytecode with"):
        store.compile_tree(sha, tmp_path / "no-such-python")


def _logging_python(tmp_path, body=None):
    """An interpreter that notes each start in `starts` (then is the running Python, or runs `body`)."""
    script = tmp_path / "python"
    log = tmp_path / "starts"
    script.write_text(f"#!/bin/sh\necho started >> {log}\n" + (body or f'exec {sys.executable} "$@"\n'))
    script.chmod(0o755)
    return script, log


def test_one_compiler_serves_many_trees_with_one_interpreter_start(store, wheel, tmp_path):
    python, starts = _logging_python(tmp_path)
    digests = []
    for name in ("alpha", "beta", "gamma"):
        path, sha = wheel(name, "1.0")
        store.add_tree(path, sha, compile=False)
        digests.append(sha)
    with Compiler(python) as compiler:
        for sha in digests:
            assert store.compile_tree(sha, python, compiler=compiler).interpreters == (sys.implementation.cache_tag,)
    assert starts.read_text() == "started\n"
    for sha, name in zip(digests, ("alpha", "beta", "gamma")):
        assert (store.tree(sha) / name / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc").is_file()


def test_a_compiler_whose_interpreter_dies_says_what_it_said(store, wheel, tmp_path):
    python, _ = _logging_python(tmp_path, body="echo 'Fatal Python error: no encodings' >&2\nexit 3\n")
    path, sha = wheel()
    store.add_tree(path, sha, compile=False)
    with Compiler(python) as compiler:
        with pytest.raises(PkmError, match="cannot compile bytecode with") as caught:
            store.compile_tree(sha, python, compiler=compiler)
    assert "Fatal Python error: no encodings" in caught.value.why
    assert store.tree_info(sha).interpreters == ()  # the marker claims nothing


OTHER_PYTHONS = sorted(glob.glob("/root/.pyenv/versions/3.12*/bin/python3"))


@pytest.mark.multipython
@pytest.mark.skipif(not OTHER_PYTHONS, reason="needs a Python 3.12 from pyenv")
def test_bytecode_for_a_second_interpreter_is_added_beside_the_first(store, wheel):
    other = OTHER_PYTHONS[-1]
    path, sha = wheel()
    tree = store.add_tree(path, sha)
    info = store.compile_tree(sha, other)
    assert info.interpreters == tuple(sorted({sys.implementation.cache_tag, "cpython-312"}))
    pycache = tree / "demo" / "__pycache__"
    assert {f"__init__.{sys.implementation.cache_tag}.pyc", "__init__.cpython-312.pyc"} <= set(os.listdir(pycache))
    assert not os.stat(pycache / "__init__.cpython-312.pyc").st_mode & stat.S_IWUSR
    proc = subprocess.run([other, "-B", "-c", "import demo; print(demo.__spec__.cached)"],
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("cpython-312.pyc")
    assert store.compile_tree(sha, other).interpreters == info.interpreters  # idempotent


def test_a_published_tree_lists_its_files_with_sizes_hashes_and_modes(store, wheel):
    path, sha = wheel("demo", "1.0", data={"scripts": {"tool.py": "print('hi')\n"}})
    tree = store.add_tree(path, sha)
    listed = {rel: (size, digest, executable) for rel, size, digest, executable in read_file_list(tree)}
    on_disk = {rel.replace(os.sep, "/") for rel in _files(tree)} - {MARKER, FILE_LIST}
    assert set(listed) == on_disk
    for rel, (size, digest, executable) in listed.items():
        assert size == os.path.getsize(tree / rel)
        assert executable == bool(os.stat(tree / rel).st_mode & stat.S_IXUSR)
    init = (tree / "demo" / "__init__.py").read_bytes()
    assert listed["demo/__init__.py"][1] == "sha256=" + base64.urlsafe_b64encode(
        hashlib.sha256(init).digest()).rstrip(b"=").decode()
    assert listed["demo-1.0.data/scripts/tool.py"][2] is True
    tag = sys.implementation.cache_tag
    assert listed[f"demo/__pycache__/__init__.{tag}.pyc"][1] == ""  # compiled by the store: RECORD has no hash


def test_bytecode_added_to_a_published_tree_joins_its_file_list(store, wheel):
    # compile_tree runs an interpreter in a subprocess (any interpreter: here the running one) and
    # must rewrite the list, or installs would never link the new bytecode.
    path, sha = wheel("demo", "1.0")
    tree = store.add_tree(path, sha, compile=False)
    pyc = f"demo/__pycache__/__init__.{sys.implementation.cache_tag}.pyc"
    assert pyc not in {rel for rel, *_ in read_file_list(tree)}
    info = store.compile_tree(sha, sys.executable)
    assert info.interpreters == (sys.implementation.cache_tag,)
    listed = {rel: size for rel, size, *_ in read_file_list(tree)}
    assert listed[pyc] == os.path.getsize(tree / pyc)
    assert store.verify().corrupt == []  # the list and the tree agree
