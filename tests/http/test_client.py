"""HttpClient.get against the loopback server: keep-alive, the pool bound, retries, misbehaving servers, gzip."""

from __future__ import annotations

import gzip
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pkm.errors import NetworkError, NotFoundError, PkmError, UsageError
from pkm.http import BodyTooLarge, HttpClient, Response
from support.server import LoopbackServer, Resource

BODY = b"0123456789" * 300


@pytest.fixture
def server(loopback_server: LoopbackServer) -> LoopbackServer:
    loopback_server.add("/file", Resource(BODY, etag='"f1"', content_type="text/plain; charset=utf-8"))
    loopback_server.add("/json", Resource(b'{"a": [1, 2]}', content_type="application/json"))
    return loopback_server


def test_get_returns_status_headers_and_body(server, make_client):
    response = make_client().get(server.url + "/file")
    assert (response.status, response.body, response.from_cache) == (200, BODY, False)
    assert response.url == server.url + "/file"
    assert response.headers.get("etag") == response.headers["ETag"] == '"f1"'
    assert response.headers.get("x-missing", "none") == "none"
    assert response.text() == BODY.decode()
    assert make_client().get(server.url + "/json").json() == {"a": [1, 2]}


def test_json_of_a_non_json_body_is_a_clear_network_error(server, make_client):
    with pytest.raises(NetworkError, match="did not answer valid JSON"):
        make_client().get(server.url + "/file").json()


def test_sequential_gets_reuse_one_kept_alive_connection(server, make_client):
    client = make_client()
    for _ in range(50):
        assert client.get(server.url + "/file").body == BODY
    assert len(server.log) == 50
    assert server.connections == 1


def test_concurrent_gets_never_exceed_the_per_host_bound(server, make_client):
    client = make_client(max_per_host=2)
    server.misbehave("slow", delay=0.02)  # keep requests in flight long enough to overlap
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: client.get(server.url + "/file").body, range(40)))
    assert bodies == [BODY] * 40
    assert server.connections <= 2


def test_server_closing_every_connection_unannounced_loses_no_sequential_request(server, make_client):
    server.misbehave("close")  # answers, then closes without "Connection: close"
    client = make_client(retries=0)  # a stale connection must not cost an attempt
    failures = sum(client.get(server.url + "/file").body != BODY for _ in range(1000))
    assert failures == 0
    assert server.connections >= 1000


def test_server_closing_every_connection_unannounced_loses_no_concurrent_request(server, make_client):
    server.misbehave("close")
    client = make_client(retries=0)
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: client.get(server.url + "/file").body, range(200)))
    assert bodies.count(BODY) == 200


def test_a_reset_on_a_reused_connection_is_repeated_at_once_without_counting_as_an_attempt(server, make_client):
    server.misbehave("reset", every=2)  # after the first, every request on a reused connection is reset
    client = make_client(retries=0)
    for _ in range(10):
        assert client.get(server.url + "/file").body == BODY
    assert len(server.log) == 19  # 1 + 9 reset + 9 repeated on fresh connections
    assert server.connections == 10


def test_a_reset_on_a_fresh_connection_counts_as_an_attempt(server, make_client, sleeps):
    server.misbehave("reset", count=2)
    response = make_client(retries=2, backoff=0.5).get(server.url + "/file")
    assert response.body == BODY
    assert len(server.log) == 3
    assert len(sleeps) == 2 and all(0 < s <= 10 for s in sleeps)  # jittered backoff between attempts


@pytest.mark.parametrize("mode", ["error", "reset", "truncate", "close"])
def test_a_quarter_of_requests_failing_still_delivers_every_body_intact(server, make_client, mode):
    server.misbehave(mode, every=4)
    client = make_client()
    bodies = [client.get(server.url + "/file").body for _ in range(60)]
    assert bodies == [BODY] * 60


@pytest.mark.parametrize("mode", ["reset", "truncate", "garbage"])
def test_persistent_transport_failures_raise_a_clear_error_after_the_retries(server, make_client, mode):
    server.misbehave(mode)
    with pytest.raises(NetworkError) as caught:
        make_client(retries=3).get(server.url + "/file")
    assert len(server.log) == 4
    error = caught.value
    assert error.what == f"GET {server.url}/file failed"
    assert "gave up after 4 attempts" in error.why
    assert error.hint


def test_a_truncated_body_is_never_returned_as_complete(server, make_client):
    server.misbehave("truncate")
    with pytest.raises(NetworkError, match="failed") as caught:
        make_client(retries=1).get(server.url + "/file")
    assert "body bytes" in caught.value.why


def test_garbage_instead_of_a_status_line_is_retried(server, make_client):
    server.misbehave("garbage", count=1)
    assert make_client().get(server.url + "/file").body == BODY
    server.misbehave("garbage")
    with pytest.raises(NetworkError) as caught:
        make_client(retries=1).get(server.url + "/file")
    assert "not HTTP" in caught.value.why


def test_a_503_still_failing_after_the_retries_is_returned_as_the_final_answer(server, make_client, sleeps):
    server.misbehave("error")
    response = make_client(retries=2).get(server.url + "/file")
    assert response.status == 503
    assert len(server.log) == 3
    assert sleeps == [0.0, 0.0]  # the server's Retry-After: 0
    with pytest.raises(NetworkError, match="HTTP 503"):
        response.raise_for_status()


def test_retry_after_is_honoured(server, make_client, sleeps):
    server.misbehave("ratelimit", count=1)  # 429 with Retry-After: 1
    assert make_client().get(server.url + "/file").body == BODY
    assert sleeps == [1.0]


def test_retry_after_is_capped(server, make_client, sleeps):
    server.add("/busy", Resource(b"busy", status=503, headers={"Retry-After": "3600"}))
    response = make_client(retries=1, retry_after_cap=2.5).get(server.url + "/busy")
    assert response.status == 503
    assert sleeps == [2.5]


def test_401_is_final_and_not_retried(make_client):
    with LoopbackServer({"/p": Resource(b"secret")}, auth=("alice", "pw")) as server:
        response = make_client().get(server.url + "/p")
        assert response.status == 401
        assert len(server.log) == 1
    with pytest.raises(PkmError) as caught:
        response.raise_for_status()
    assert "refused access (HTTP 401)" in caught.value.what
    assert "netrc" in caught.value.hint


@pytest.mark.parametrize("status", [400, 404, 410])
def test_other_client_errors_are_final(server, make_client, status):
    server.add("/gone", Resource(b"no", status=status))
    response = make_client().get(server.url + "/gone")
    assert response.status == status
    assert len(server.log) == 1


def test_raise_for_status_maps_not_found_and_passes_success(server, make_client):
    with pytest.raises(NotFoundError, match="was not found"):
        make_client().get(server.url + "/nothing-here").raise_for_status()
    ok = make_client().get(server.url + "/file")
    assert ok.raise_for_status() is ok


def test_a_slow_server_hits_the_read_timeout(server, make_client):
    server.misbehave("slow", delay=0.6)
    with pytest.raises(NetworkError) as caught:
        make_client(timeout=0.2, retries=1).get(server.url + "/file")
    assert "timed out after 0.2 s" in caught.value.why
    assert "PKM_HTTP_TIMEOUT" in caught.value.hint


def test_one_slow_answer_is_retried(server, make_client):
    server.misbehave("slow", delay=1.0, count=1)
    assert make_client(timeout=0.4).get(server.url + "/file").body == BODY


def test_nothing_listening_is_a_clear_error(make_client, sleeps):
    with LoopbackServer() as server:
        url = server.url + "/x"
    with pytest.raises(NetworkError) as caught:
        make_client(retries=2).get(url)
    assert "refused" in caught.value.why
    assert len(sleeps) == 2


def test_pkm_http_timeout_from_the_environment_replaces_the_default():
    assert HttpClient(environ={"PKM_HTTP_TIMEOUT": "7.5"}).timeout == 7.5
    assert HttpClient(environ={"PKM_HTTP_TIMEOUT": "7.5"}, timeout=3).timeout == 3
    assert HttpClient(environ={}).timeout == 30.0
    with pytest.raises(UsageError, match="PKM_HTTP_TIMEOUT"):
        HttpClient(environ={"PKM_HTTP_TIMEOUT": "soon"})


def test_gzip_bodies_are_asked_for_and_decompressed(server, make_client):
    server.add("/page", Resource(b"<html>" + b"x" * 5000, gzip=True))
    response = make_client().get(server.url + "/page")
    assert response.body == b"<html>" + b"x" * 5000
    assert server.log[-1].headers["accept-encoding"] == "gzip"
    assert response.headers.get("content-encoding") == "gzip"


def test_a_corrupt_gzip_body_is_a_clear_error(server, make_client):
    server.add("/bad", Resource(gzip.compress(b"abc")[:-6] + b"oops!!", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(NetworkError) as caught:
        make_client().get(server.url + "/bad")
    assert "gzip-encoded body is corrupt" in caught.value.why


def test_range_requests_get_206_or_the_whole_body(server, make_client):
    client = make_client()
    part = client.get(server.url + "/file", headers={"Range": "bytes=10-19"})
    assert (part.status, part.body) == (206, BODY[10:20])
    assert server.log[-1].headers["accept-encoding"] == "identity"
    server.add("/plain", Resource(BODY, ranges=False))
    whole = client.get(server.url + "/plain", headers={"Range": "bytes=10-19"})
    assert (whole.status, whole.body) == (200, BODY)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_max_bytes_is_dropped_unread_and_its_connection_closed(server, make_client, chunked):
    # A range request answered with the whole file: the caller said how much it will hold.
    client = make_client()
    server.add("/plain", Resource(BODY, ranges=False, chunked=chunked))
    with pytest.raises(BodyTooLarge) as caught:
        client.get(server.url + "/plain", headers={"Range": "bytes=-100"}, max_bytes=1000)
    assert caught.value.status == 200 and len(server.log) == 1  # an answer, not a failure: no retry
    small = client.get(server.url + "/file", headers={"Range": "bytes=0-99"}, max_bytes=1000)
    assert (small.status, small.body) == (206, BODY[:100])
    assert client.get(server.url + "/plain", max_bytes=len(BODY)).body == BODY  # exactly the limit is fine
    assert server.connections == 2  # the dropped answer's connection was not reused


def test_non_http_urls_are_refused(make_client):
    with pytest.raises(NetworkError, match="only http and https"):
        make_client().get("ftp://example.org/x")


def test_a_closed_client_still_answers_but_keeps_nothing_alive(server, make_client):
    client = make_client()
    client.get(server.url + "/file")
    client.close()
    assert client.get(server.url + "/file").body == BODY
    assert client.get(server.url + "/file").body == BODY
    assert server.connections == 3


def test_response_text_uses_the_declared_charset():
    headers = Response("u", 200, _headers({"Content-Type": "text/html; charset=latin-1"}), "é".encode("latin-1"))
    assert headers.text() == "é"


def _headers(mapping):
    from pkm.http import Headers

    return Headers(mapping.items())


def test_the_client_is_usable_from_many_threads_at_once(server, make_client):
    client = make_client(max_per_host=3)
    errors = []

    def worker():
        try:
            for _ in range(20):
                assert client.get(server.url + "/file").body == BODY
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert server.connections <= 3


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"


def test_chunked_bodies_are_read_whole(make_client, make_raw_server):
    server = make_raw_server([CHUNKED])
    assert make_client().get(server.url + "/").body == b"abcde"


def test_a_cut_chunked_body_is_never_returned(make_client, make_raw_server):
    server = make_raw_server([CHUNKED[:-12]])
    with pytest.raises(NetworkError) as caught:
        make_client(retries=1).get(server.url + "/")
    assert "before the end" in caught.value.why or "broke the HTTP protocol" in caught.value.why
    assert server.requests == 2


def test_a_body_without_length_is_read_until_the_server_closes(make_client, make_raw_server):
    server = make_raw_server([b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"])
    assert make_client().get(server.url + "/").body == b"all of it"
