"""HttpClient.post: streamed bodies, retried only before a body byte left, never repeated after."""

from __future__ import annotations

import io
import socket
import struct
import threading

import pytest

from pkm.errors import NetworkError, OfflineError, PkmError
from support.server import LoopbackServer, Resource, redirect

BODY = bytes(range(256)) * 1024  # 256 KiB: several chunks


def _echo(hit):
    return Resource(b"got %d bytes by %s" % (len(hit.body), hit.method.encode()), content_type="text/plain")


@pytest.fixture
def server(loopback_server: LoopbackServer) -> LoopbackServer:
    loopback_server.add("/upload", _echo)
    return loopback_server


def _posts(server):
    return [hit for hit in server.log if hit.method == "POST"]


def test_post_sends_bytes_with_content_length_and_returns_the_answer(server, make_client):
    response = make_client().post(server.url + "/upload", body=b"hello", headers={"Content-Type": "text/plain"})
    assert (response.status, response.body) == (200, b"got 5 bytes by POST")
    assert response.reason == "OK"
    [hit] = _posts(server)
    assert hit.body == b"hello"
    assert hit.headers["content-length"] == "5"
    assert hit.headers["content-type"] == "text/plain"


def test_post_streams_a_file_in_chunks_and_reports_progress(server, make_client, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(BODY)
    seen = []
    with open(path, "rb") as file:
        response = make_client().post(server.url + "/upload", body=file, length=len(BODY),
                                      progress=lambda done, total: seen.append((done, total)))
    assert response.body == b"got %d bytes by POST" % len(BODY)
    assert _posts(server)[0].body == BODY
    assert len(seen) > 1 and seen[-1] == (len(BODY), len(BODY))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_post_takes_an_iterable_of_chunks(server, make_client):
    chunks = (BODY[i:i + 1000] for i in range(0, len(BODY), 1000))
    make_client().post(server.url + "/upload", body=chunks, length=len(BODY))
    assert _posts(server)[0].body == BODY


def test_a_body_shorter_than_announced_is_an_error_not_a_hang(server, make_client):
    with pytest.raises(PkmError, match="failed") as info:
        make_client(timeout=2.0).post(server.url + "/upload", body=iter([b"abc"]), length=10)
    assert "only 3 of the 10 bytes" in info.value.why
    assert "changed" in info.value.hint


def test_a_body_longer_than_announced_is_refused_before_it_corrupts_the_stream(server, make_client):
    with pytest.raises(PkmError) as info:
        make_client().post(server.url + "/upload", body=iter([b"abc", b"defgh"]), length=4)
    assert "more bytes than the 4 announced" in info.value.why


def test_length_is_required_for_a_stream(server, make_client):
    with pytest.raises(ValueError, match="length"):
        make_client().post(server.url + "/upload", body=io.BytesIO(b"x"))


def test_connection_refused_is_retried_because_no_body_byte_left(make_client, sleeps):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chunks = iter([b"payload"])
    with pytest.raises(NetworkError, match="POST http://127.0.0.1") as info:
        make_client(retries=2).post(f"http://127.0.0.1:{port}/upload", body=chunks, length=7)
    assert "refused" in info.value.why and "gave up after 3 attempts" in info.value.why
    assert len(sleeps) == 2
    assert next(chunks) == b"payload"  # the body was never touched, so nothing was half-sent


def test_a_reset_after_the_whole_body_is_never_repeated(server, make_client, sleeps):
    server.misbehave("reset", paths="/upload")
    with pytest.raises(NetworkError) as info:
        make_client(retries=3).post(server.url + "/upload", body=BODY)
    assert "after the whole body (262144 bytes) was sent" in info.value.why
    assert "not repeated" in info.value.why
    assert len(_posts(server)) == 1 and sleeps == []


def test_an_answer_cut_short_is_an_error_that_names_the_status(server, make_client):
    server.misbehave("truncate", paths="/upload")
    with pytest.raises(NetworkError) as info:
        make_client().post(server.url + "/upload", body=b"x" * 100)
    assert "answered HTTP 200" in info.value.why and "cut" in info.value.why
    assert len(_posts(server)) == 1


def test_server_errors_and_redirects_are_answers_returned_unrepeated(server, make_client, sleeps):
    server.misbehave("error", paths="/upload")  # 503 with Retry-After
    response = make_client().post(server.url + "/upload", body=b"data")
    assert response.status == 503 and len(_posts(server)) == 1 and sleeps == []
    server.misbehave("none")
    server.add("/moved", redirect("/upload", 307))
    response = make_client().post(server.url + "/moved", body=b"data")
    assert response.status == 307 and response.headers["location"] == "/upload"
    assert len(_posts(server)) == 2  # the redirect was not followed


def test_each_post_takes_a_fresh_connection(server, make_client):
    client = make_client()
    client.get(server.url + "/upload")
    client.post(server.url + "/upload", body=b"a")
    client.post(server.url + "/upload", body=b"b")
    assert server.connections == 3


def test_post_sends_netrc_credentials_and_a_given_authorization_wins(server, make_client, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret-pw\n")
    client = make_client(netrc_path=netrc)
    client.post(server.url + "/upload", body=b"a")
    client.post(server.url + "/upload", body=b"b", headers={"Authorization": "Basic Ym9iOnB3"})
    first, second = _posts(server)
    assert first.headers["authorization"] == "Basic YWxpY2U6czNjcmV0LXB3"
    assert second.headers["authorization"] == "Basic Ym9iOnB3"


def test_post_offline_is_refused(make_client):
    with pytest.raises(OfflineError):
        make_client(offline=True).post("http://127.0.0.1:9/upload", body=b"x")


def test_an_early_answer_is_read_when_the_server_stops_reading_the_body(make_raw_server, make_client):
    server = make_raw_server([b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                              b"too large"])
    chunk = b"x" * 65536
    response = make_client().post(server.url + "/up", body=(chunk for _ in range(256)), length=65536 * 256)
    assert (response.status, response.body) == (413, b"too large")
    assert server.requests == 1


def test_a_cut_in_the_middle_of_the_body_says_how_far_it_got(make_client, sleeps):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def cut_after_a_little():
        conn, _ = listener.accept()
        conn.recv(100_000)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        conn.close()

    thread = threading.Thread(target=cut_after_a_little, daemon=True)
    thread.start()
    length = 65536 * 512  # 32 MiB from one reused chunk: more than the socket buffers can swallow
    try:
        with pytest.raises(NetworkError) as info:
            make_client().post("http://127.0.0.1:%d/up" % listener.getsockname()[1],
                               body=(b"y" * 65536 for _ in range(512)), length=length)
    finally:
        thread.join(5)
        listener.close()
    assert f" of {length} body bytes were sent" in info.value.why and "not repeated" in info.value.why
    assert sleeps == []
