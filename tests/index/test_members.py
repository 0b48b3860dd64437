"""A wheel's member names without downloading it: central directory by ranges, whole-file fallback, errors."""

from __future__ import annotations

import io
import os
import random
import zipfile

import pytest

from pkm.errors import HashMismatchError, PkmError
from pkm.http import HttpClient
from pkm.index import Artifact, SimpleIndex
from pkm.index._wheelmeta import BadWheel, members_from_ranges, members_from_zip
from support.server import Resource


def wheel(names, *, big=0):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if big:
            archive.writestr(zipfile.ZipInfo("demo/blob.bin"), os.urandom(big))  # stored: stays big
        for name in names:
            archive.writestr(name, b"x = 1\n")
    return buffer.getvalue()


class Ranged:
    """A fake server holding `blob`: 206 for a Range GET, or 200 with everything when `honour` is off."""

    def __init__(self, blob, *, honour=True):
        self.blob, self.honour, self.requests, self.sent = blob, honour, [], 0

    def __call__(self, spec):
        self.requests.append(spec)
        if not self.honour:
            self.sent += len(self.blob)
            return 200, "", self.blob
        first, _, last = spec[len("bytes="):].partition("-")
        size = len(self.blob)
        start, end = (max(0, size - int(last)), size - 1) if first == "" else (int(first), min(int(last), size - 1))
        self.sent += end + 1 - start
        return 206, f"bytes {start}-{end}/{size}", self.blob[start:end + 1]


NAMES = ["yaml/__init__.py", "_yaml/__init__.py", "PyYAML-6.0.dist-info/METADATA", "PyYAML-6.0.dist-info/RECORD"]


def test_the_names_of_a_big_wheel_cost_one_small_request():
    fetch = Ranged(wheel(NAMES, big=500_000))
    names, whole = members_from_ranges(fetch)
    assert names == ["demo/blob.bin"] + NAMES and whole is None
    assert len(fetch.requests) == 1 and fetch.sent < 70_000


def test_a_directory_larger_than_the_tail_costs_a_second_request():
    many = [f"demo/{'deep/' * 20}module_{i:05d}.py" for i in range(1200)]
    fetch = Ranged(wheel(many, big=100_000))
    names, _ = members_from_ranges(fetch)
    assert names[1:] == many and len(fetch.requests) == 2


def test_a_server_ignoring_ranges_gives_the_whole_file_for_hash_checking():
    blob = wheel(NAMES)
    names, whole = members_from_ranges(Ranged(blob, honour=False))
    assert names == NAMES and whole == blob


def test_a_local_wheel_is_listed_in_place(tmp_path):
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(wheel(NAMES))
    assert members_from_zip(path) == NAMES


@pytest.mark.parametrize("blob", [b"not a zip at all" * 10, b""])
def test_garbage_is_a_bad_wheel(blob):
    with pytest.raises(BadWheel):
        members_from_ranges(Ranged(blob, honour=False))
    with pytest.raises(BadWheel):
        members_from_zip(blob)


# -- through SimpleIndex and the real client, against the loopback index --------------------------------


@pytest.fixture
def client(tmp_path):
    with HttpClient(cache_dir=tmp_path / "http", backoff=0.001, environ={}) as http:
        yield http


@pytest.mark.parametrize("ranges", [True, False])
def test_simple_index_lists_a_wheel_by_ranges_or_whole(index_server, dists, client, tmp_path, ranges):
    files = {"demo/blob.bin": random.Random(0).randbytes(300_000), "demo/__init__.py": "", "demo_ext.abi3.so": ""}
    index_server.add_file(dists.wheel("demo", "1.0", files=files))
    index_server.ranges = ranges
    index = SimpleIndex(client, [index_server.simple_url], tmp_dir=tmp_path / "tmp")
    artifact = index.project_page("demo").artifacts[0]
    names = index.wheel_members(artifact)
    assert {"demo/blob.bin", "demo/__init__.py", "demo_ext.abi3.so", "demo-1.0.dist-info/METADATA"} <= set(names)
    assert index.wheel_members(artifact) == names  # memoized: no second trip
    hits = [hit for hit in index_server.log if hit.path.startswith("/files/")]
    assert len(hits) == 1 and all("range" in hit.headers for hit in hits)


def test_a_whole_file_answer_that_fails_its_hash_is_refused(loopback_server, client, tmp_path):
    loopback_server.add("/demo-1.0-py3-none-any.whl", Resource(wheel(["evil/__init__.py"]), ranges=False))
    artifact = Artifact("demo-1.0-py3-none-any.whl", loopback_server.url + "/demo-1.0-py3-none-any.whl",
                        hashes={"sha256": "0" * 64})
    index = SimpleIndex(client, [], tmp_dir=tmp_path / "tmp")
    with pytest.raises(HashMismatchError):
        index.wheel_members(artifact)


def test_an_sdist_or_a_broken_wheel_is_a_clear_error(loopback_server, client, tmp_path):
    loopback_server.add("/broken-1.0-py3-none-any.whl", Resource(b"garbage" * 100))
    index = SimpleIndex(client, [], tmp_dir=tmp_path / "tmp")
    with pytest.raises(PkmError, match="cannot list the files of demo-1.0.tar.gz") as raised:
        index.wheel_members(Artifact("demo-1.0.tar.gz", loopback_server.url + "/demo-1.0.tar.gz"))
    assert raised.value.why == "it is not a wheel"
    with pytest.raises(PkmError, match="cannot read the file list of broken-1.0") as raised:
        index.wheel_members(Artifact("broken-1.0-py3-none-any.whl", loopback_server.url + "/broken-1.0-py3-none-any.whl"))
    assert "end of central directory" in raised.value.why
