"""HttpClient.download: streamed, hash-checked, resumed after a cut, and never a partial or wrong file left behind."""

from __future__ import annotations

import hashlib

import pytest

from pkm.errors import HashMismatchError, NetworkError, NotFoundError, OfflineError, PkmError
from support.server import Resource

DATA = bytes(range(256)) * 1024  # 256 KiB: several chunks
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def dirs(tmp_path):
    return tmp_path / "out", tmp_path / "tmp"


def _leftovers(tmp):
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


def test_a_download_is_verified_and_renamed_into_place(loopback_server, make_client, dirs):
    loopback_server.add("/f.whl", Resource(DATA, etag='"d1"'))
    out, tmp = dirs
    seen = []
    path = make_client().download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp, sha256=DIGEST,
                                  size=len(DATA), progress=lambda done, total: seen.append((done, total)))
    assert path == out / "f.whl" and path.read_bytes() == DATA
    assert _leftovers(tmp) == []
    assert seen[-1] == (len(DATA), len(DATA))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert loopback_server.log[0].headers["accept-encoding"] == "identity"


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"


def test_progress_total_is_none_when_unknown(make_client, dirs, make_raw_server):
    server = make_raw_server([CHUNKED])
    seen = []
    out, tmp = dirs
    make_client().download(server.url + "/f", out / "f", tmp_dir=tmp, progress=lambda *args: seen.append(args))
    assert seen[-1] == (5, None) and all(total is None for _, total in seen)
    assert (out / "f").read_bytes() == b"abcde"


def test_progress_total_falls_back_to_the_expected_size(make_client, dirs, make_raw_server):
    server = make_raw_server([CHUNKED])
    seen = []
    out, tmp = dirs
    make_client().download(server.url + "/f", out / "f", tmp_dir=tmp, size=5, progress=lambda *a: seen.append(a))
    assert seen[-1] == (5, 5)


def test_a_cut_chunked_download_is_retried(make_client, dirs, make_raw_server):
    server = make_raw_server([CHUNKED[:-12], CHUNKED])  # first answer ends inside the second chunk
    out, tmp = dirs
    assert make_client().download(server.url + "/f", out / "f", tmp_dir=tmp).read_bytes() == b"abcde"
    assert server.requests == 2


@pytest.mark.parametrize("mode", ["error", "reset", "truncate", "close"])
def test_a_quarter_of_requests_failing_still_delivers_every_file_intact(loopback_server, make_client, dirs, mode):
    loopback_server.add("/f.whl", Resource(DATA, etag='"d1"'))
    loopback_server.misbehave(mode, every=4)
    out, tmp = dirs
    client = make_client()
    for i in range(12):
        path = client.download(loopback_server.url + "/f.whl", out / f"{i}.whl", tmp_dir=tmp, sha256=DIGEST)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == DIGEST
    assert _leftovers(tmp) == []


def test_a_cut_download_resumes_with_range_and_if_range(loopback_server, make_client, dirs):
    loopback_server.add("/f.whl", Resource(DATA, etag='"d1"'))
    loopback_server.misbehave("truncate", count=1)
    out, tmp = dirs
    path = make_client().download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp, sha256=DIGEST)
    assert path.read_bytes() == DATA
    first, second = loopback_server.log
    assert "range" not in first.headers
    assert second.headers["range"] == f"bytes={len(DATA) // 2}-"
    assert second.headers["if-range"] == '"d1"'


def test_a_cut_download_without_a_validator_starts_over(loopback_server, make_client, dirs):
    loopback_server.add("/f.whl", Resource(DATA))  # no ETag, no Last-Modified: resuming would be a gamble
    loopback_server.misbehave("truncate", count=1)
    out, tmp = dirs
    assert make_client().download(loopback_server.url + "/f.whl", out / "f", tmp_dir=tmp,
                                  sha256=DIGEST).read_bytes() == DATA
    assert "range" not in loopback_server.log[1].headers


def test_a_server_ignoring_the_range_restarts_the_file(loopback_server, make_client, dirs):
    loopback_server.add("/f.whl", Resource(DATA, etag='"d1"', ranges=False))
    loopback_server.misbehave("truncate", count=1)
    out, tmp = dirs
    path = make_client().download(loopback_server.url + "/f.whl", out / "f", tmp_dir=tmp, sha256=DIGEST,
                                  size=len(DATA))
    assert path.read_bytes() == DATA
    assert loopback_server.log[1].headers["range"] == f"bytes={len(DATA) // 2}-"  # asked, got 200 instead


def test_a_changed_file_answers_200_to_if_range_and_is_taken_whole(loopback_server, make_client, dirs):
    new = DATA[::-1]
    versions = iter([Resource(DATA, etag='"old"'), Resource(new, etag='"new"')])
    loopback_server.add("/f.whl", lambda hit: next(versions))
    loopback_server.misbehave("truncate", count=1)
    out, tmp = dirs
    path = make_client().download(loopback_server.url + "/f.whl", out / "f", tmp_dir=tmp,
                                  sha256=hashlib.sha256(new).hexdigest())
    assert path.read_bytes() == new


def test_a_hash_mismatch_raises_and_leaves_nothing(loopback_server, make_client, dirs):
    loopback_server.add("/f.whl", Resource(DATA))
    out, tmp = dirs
    with pytest.raises(HashMismatchError) as caught:
        make_client().download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp, sha256="0" * 64)
    assert "hash mismatch" in caught.value.what
    assert DIGEST in caught.value.why and caught.value.hint
    assert not (out / "f.whl").exists() and _leftovers(tmp) == []


@pytest.mark.parametrize("size", [len(DATA) - 1, len(DATA) + 1])
def test_a_size_mismatch_raises_and_leaves_nothing(loopback_server, make_client, dirs, size):
    loopback_server.add("/f.whl", Resource(DATA))
    out, tmp = dirs
    with pytest.raises(HashMismatchError, match="bytes"):
        make_client().download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp, size=size)
    assert not (out / "f.whl").exists() and _leftovers(tmp) == []


@pytest.mark.parametrize("mode", ["truncate", "reset", "error"])
def test_persistent_failures_raise_a_clear_error_and_leave_nothing(loopback_server, make_client, dirs, mode):
    loopback_server.add("/f.whl", Resource(DATA, etag='"d1"'))
    loopback_server.misbehave(mode)
    out, tmp = dirs
    with pytest.raises(NetworkError) as caught:
        make_client(retries=2).download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp, sha256=DIGEST)
    assert loopback_server.url + "/f.whl" in caught.value.what
    assert caught.value.hint
    assert len(loopback_server.log) == 3
    assert not (out / "f.whl").exists() and _leftovers(tmp) == []


def test_a_missing_file_is_not_found_and_leaves_nothing(loopback_server, make_client, dirs):
    out, tmp = dirs
    with pytest.raises(NotFoundError):
        make_client().download(loopback_server.url + "/nope.whl", out / "nope.whl", tmp_dir=tmp)
    assert len(loopback_server.log) == 1
    assert not (out / "nope.whl").exists() and _leftovers(tmp) == []


def test_downloads_follow_redirects(loopback_server, make_client, dirs):
    from support.server import redirect

    loopback_server.add("/files/f.whl", redirect("/cdn/f.whl"))
    loopback_server.add("/cdn/f.whl", Resource(DATA))
    out, tmp = dirs
    assert make_client().download(loopback_server.url + "/files/f.whl", out / "f", tmp_dir=tmp,
                                  sha256=DIGEST).read_bytes() == DATA


def test_offline_downloads_fail_clearly(make_client, dirs):
    out, tmp = dirs
    with pytest.raises(OfflineError, match="network is off"):
        make_client(offline=True).download("https://files.example/f.whl", out / "f", tmp_dir=tmp)


def test_a_destination_on_another_filesystem_is_copied_then_renamed(loopback_server, make_client, dirs, monkeypatch):
    import errno
    import os

    loopback_server.add("/f.whl", Resource(DATA))
    out, tmp = dirs
    real_replace = os.replace

    def cross_device(src, dst):
        if str(src).startswith(str(tmp)):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", cross_device)
    path = make_client().download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp, sha256=DIGEST)
    assert path.read_bytes() == DATA
    assert _leftovers(tmp) == [] and sorted(p.name for p in out.iterdir()) == ["f.whl"]


def test_an_unwritable_destination_is_a_clear_error_not_a_network_one(loopback_server, make_client, dirs):
    loopback_server.add("/f.whl", Resource(DATA))
    out, tmp = dirs
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("a file where a directory should be")
    with pytest.raises(PkmError) as caught:
        make_client().download(loopback_server.url + "/f.whl", out / "f.whl", tmp_dir=tmp)
    assert not isinstance(caught.value, NetworkError)
    assert "cannot write a download" in caught.value.what and "permissions" in caught.value.hint
    assert _leftovers(tmp) == []


def test_a_503_without_retry_after_backs_off_then_succeeds(loopback_server, make_client, dirs, sleeps):
    answers = iter([Resource(b"busy", status=503), Resource(DATA)])
    loopback_server.add("/f.whl", lambda hit: next(answers))
    out, tmp = dirs
    path = make_client(backoff=0.5).download(loopback_server.url + "/f.whl", out / "f", tmp_dir=tmp, sha256=DIGEST)
    assert path.read_bytes() == DATA
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.75  # jittered around the first backoff step
