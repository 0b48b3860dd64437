"""Blobs: verified on the way in, idempotent, re-hashed and evicted when corrupt on use."""

from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest

from pkm.errors import HashMismatchError, PkmError
from pkm.store import Store


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_add_blob_from_a_path_stores_it_read_only_under_its_digest(store, tmp_path):
    src = tmp_path / "a.whl"
    src.write_bytes(b"artifact bytes")
    path = store.add_blob(src, digest(b"artifact bytes"))
    d = digest(b"artifact bytes")
    assert path == store.root / "blobs" / "sha256" / d[:2] / d
    assert path.read_bytes() == b"artifact bytes"
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert src.exists()  # copied, not taken
    assert (store.root / "store-version").read_text() == "1\n"
    assert store.blob(d) == path


def test_add_blob_from_a_stream_and_upper_case_digest(store):
    data = b"x" * 3_000_000  # more than one copy chunk
    path = store.add_blob(io.BytesIO(data), digest(data).upper())
    assert path.name == digest(data)
    assert path.read_bytes() == data


def test_mismatch_is_refused_and_leaves_nothing(store, tmp_path):
    src = tmp_path / "a.whl"
    src.write_bytes(b"tampered")
    wrong = digest(b"original")
    with pytest.raises(HashMismatchError) as err:
        store.add_blob(src, wrong)
    assert wrong in err.value.why and digest(b"tampered") in err.value.why
    assert err.value.hint
    assert store.blob(wrong) is None
    assert os.listdir(store.root / "tmp") == []
    assert list((store.root / "blobs" / "sha256").iterdir()) == []


def test_adding_twice_is_idempotent_and_repairs_a_corrupt_copy(store, tmp_path):
    data = b"payload"
    first = store.add_blob(io.BytesIO(data), digest(data))
    again = store.add_blob(io.BytesIO(data), digest(data))
    assert first == again and again.read_bytes() == data
    os.chmod(first, 0o644)
    first.write_bytes(b"bit rot")
    store.add_blob(io.BytesIO(data), digest(data))
    assert first.read_bytes() == data
    assert os.listdir(store.root / "tmp") == []


def test_move_takes_over_a_staged_download(store):
    staged = store.tmp / "download.part"
    staged.write_bytes(b"downloaded")
    path = store.add_blob(staged, digest(b"downloaded"), move=True)
    assert not staged.exists()
    assert path.read_bytes() == b"downloaded"


def test_move_deletes_a_mismatching_download(store):
    staged = store.tmp / "download.part"
    staged.write_bytes(b"garbage")
    with pytest.raises(HashMismatchError):
        store.add_blob(staged, digest(b"expected"), move=True)
    assert not staged.exists()
    assert store.blob(digest(b"expected")) is None


def test_corrupt_blob_is_evicted_on_use(tmp_path):
    evicted = []
    store = Store(tmp_path / "home", on_evict=lambda *a: evicted.append(a))
    data = b"good bytes"
    path = store.add_blob(io.BytesIO(data), digest(data))
    os.chmod(path, 0o644)
    path.write_bytes(b"bad bytes!")
    assert store.blob(digest(data), verify=False) == path  # cheap existence check trusts the file
    assert store.blob(digest(data)) is None
    assert not path.exists()
    assert evicted == [("blob", digest(data), f"its content hashes to {digest(b'bad bytes!')}")]


def test_a_digest_that_is_not_sha256_hex_is_refused(store):
    with pytest.raises(PkmError, match="not a sha256 hex digest"):
        store.add_blob(io.BytesIO(b""), "../../etc/passwd")
    with pytest.raises(PkmError, match="not a sha256 hex digest"):
        store.blob("abc")


def test_store_of_another_layout_version_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "store-version").write_text("2\n")
    with pytest.raises(PkmError, match="layout version '2'") as err:
        Store(home).add_blob(io.BytesIO(b""), digest(b""))
    assert "PKM_HOME" in err.value.hint


def test_creating_a_store_object_writes_nothing(tmp_path):
    store = Store(tmp_path / "home")
    assert store.blob(digest(b"x")) is None and store.tree(digest(b"x")) is None
    assert not (tmp_path / "home").exists()


def test_buckets_are_created_on_demand_with_checked_names(store):
    path = store.bucket("runtime-v1")
    assert path == store.root / "runtime-v1" and path.is_dir()
    assert store.bucket("runtime-v1") == path
    for bad in ("runtime", "../x-v1", "Runtime-v1", ""):
        with pytest.raises(PkmError, match="not a bucket name"):
            store.bucket(bad)
