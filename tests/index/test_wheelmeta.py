"""METADATA read from a remote wheel by range requests: few requests, zip64, refused ranges, broken archives."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest

from pkm.index._wheelmeta import BadWheel, metadata_from_ranges, metadata_from_zip

METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: idna>=2\n"


def wheel(files=None, *, before=(), after=(), comment=b"", compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in before:
            archive.writestr(name, data)
        for name, data in (files or {"demo-1.0.dist-info/METADATA": METADATA}).items():
            archive.writestr(name, data)
        for name, data in after:
            archive.writestr(zipfile.ZipInfo(name), data)  # stored: random bytes stay big
        archive.comment = comment
    return buffer.getvalue()


class Ranged:
    """A fake server holding `blob`: answers Range GETs with 206 (or 200 with everything when `honour` is off)."""

    def __init__(self, blob: bytes, *, honour: bool = True):
        self.blob, self.honour, self.requests, self.sent = blob, honour, [], 0

    def __call__(self, spec: str):
        self.requests.append(spec)
        if not self.honour:
            self.sent += len(self.blob)
            return 200, "", self.blob
        first, _, last = spec[len("bytes="):].partition("-")
        size = len(self.blob)
        start, end = (max(0, size - int(last)), size - 1) if first == "" else (int(first), min(int(last), size - 1))
        self.sent += end + 1 - start
        return 206, f"bytes {start}-{end}/{size}", self.blob[start:end + 1]


def test_a_small_wheel_needs_a_single_request():
    fetch = Ranged(wheel())
    data, whole = metadata_from_ranges(fetch, "demo")
    assert data == METADATA and whole is None and len(fetch.requests) == 1


def test_a_big_wheel_costs_two_requests_whatever_its_size():
    blob = wheel(after=[("demo/big.bin", os.urandom(300_000))])
    fetch = Ranged(blob)
    assert metadata_from_ranges(fetch, "demo")[0] == METADATA
    assert len(fetch.requests) == 2
    assert fetch.sent < 70_000  # the tail and the member, not the 300 kB wheel


def test_a_central_directory_larger_than_the_tail_is_fetched_separately():
    names = [(f"demo/{'sub/' * 20}module_{i:05d}.py", b"") for i in range(1200)]
    fetch = Ranged(wheel(before=[("demo/big.bin", os.urandom(100_000))], after=names))
    assert metadata_from_ranges(fetch, "demo")[0] == METADATA
    assert len(fetch.requests) == 3


def _as_zip64(blob: bytes) -> bytes:
    at = blob.rfind(b"PK\x05\x06")
    _, _, _, _, count, cd_size, cd_offset, _ = struct.unpack_from("<4s4H2LH", blob, at)
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, cd_size, cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return blob[:at] + record + locator + eocd


def test_zip64_end_records_are_followed():
    blob = _as_zip64(wheel(after=[("demo/big.bin", os.urandom(100_000))]))
    assert zipfile.ZipFile(io.BytesIO(blob)).read("demo-1.0.dist-info/METADATA") == METADATA  # a valid zip64
    assert metadata_from_ranges(Ranged(blob), "demo")[0] == METADATA


def test_a_long_archive_comment_is_skipped():
    blob = wheel(comment=b"PK\x05\x06 decoy " * 1000)
    assert metadata_from_ranges(Ranged(blob), "demo")[0] == METADATA


def test_a_server_that_ignores_ranges_sends_the_whole_file_which_is_used():
    blob = wheel(after=[("demo/big.bin", os.urandom(100_000))])
    fetch = Ranged(blob, honour=False)
    data, whole = metadata_from_ranges(fetch, "demo")
    assert data == METADATA and whole == blob and len(fetch.requests) == 1


def test_stored_members_and_the_right_dist_info_among_several():
    files = {"vendored-2.0.dist-info/METADATA": b"Name: vendored\n", "demo-1.0.dist-info/METADATA": METADATA}
    blob = wheel(files, compression=zipfile.ZIP_STORED)
    assert metadata_from_ranges(Ranged(blob), "Demo")[0] == METADATA
    assert metadata_from_zip(blob, "demo") == METADATA


def test_an_oddly_named_single_dist_info_is_accepted():
    blob = wheel({"Demo_Pkg-1.0.dist-info/METADATA": METADATA})
    assert metadata_from_ranges(Ranged(blob), "demo")[0] == METADATA


@pytest.mark.parametrize("blob, message", [
    (b"this is not a zip file at all" * 100, "not a zip"),
    (wheel({"demo/__init__.py": b""}), "no .dist-info/METADATA"),
    (wheel({"a-1.dist-info/METADATA": b"x", "b-1.dist-info/METADATA": b"y"}), "several .dist-info"),
    (wheel({"demo-1.0.dist-info/nested/METADATA": b"x"}), "no .dist-info/METADATA"),
])
def test_archives_without_a_usable_metadata_are_refused(blob, message):
    with pytest.raises(BadWheel, match=message):
        metadata_from_ranges(Ranged(blob), "demo")
    with pytest.raises(BadWheel, match=message):
        metadata_from_zip(blob, "demo")


def test_a_corrupted_member_fails_its_crc_check():
    blob = bytearray(wheel(compression=zipfile.ZIP_STORED))
    at = blob.find(b"Requires-Dist")
    blob[at] ^= 0x20
    with pytest.raises(BadWheel, match="CRC"):
        metadata_from_ranges(Ranged(bytes(blob)), "demo")
    with pytest.raises(BadWheel):
        metadata_from_zip(bytes(blob), "demo")


def test_a_central_directory_pointing_outside_the_file_is_refused():
    blob = bytearray(wheel())
    at = blob.rfind(b"PK\x05\x06")
    struct.pack_into("<L", blob, at + 16, 10_000_000)  # central directory offset
    with pytest.raises(BadWheel, match="outside the file"):
        metadata_from_ranges(Ranged(bytes(blob)), "demo")


def test_a_server_answering_ranges_wrongly_is_detected():
    blob = wheel()

    def liar(spec):
        return 206, f"bytes 0-9/{len(blob)}", blob[:20]

    with pytest.raises(BadWheel, match="does not describe"):
        metadata_from_ranges(liar, "demo")

    def refuses(spec):
        return 416, "", b""

    with pytest.raises(BadWheel, match="HTTP 416"):
        metadata_from_ranges(refuses, "demo")


def test_metadata_is_found_among_many_members_and_a_corrupt_one_is_still_noticed():
    members = [(f"demo/module_{i}.py", b"x = 1\n") for i in range(300)]
    blob = wheel(before=members[:150], after=members[150:])
    assert metadata_from_ranges(Ranged(blob), "demo")[0] == METADATA
    broken = bytearray(blob)
    at = broken.rfind(b"PK\x01\x02")  # the last central header: a member that is not METADATA
    broken[at:at + 4] = b"XXXX"
    with pytest.raises(BadWheel, match="corrupt central directory"):
        metadata_from_ranges(Ranged(bytes(broken)), "demo")
