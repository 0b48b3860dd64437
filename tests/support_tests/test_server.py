"""The loopback server does what tests rely on: resources, HTTP semantics, and each misbehaviour."""

from __future__ import annotations

import base64
import gzip
import http.client
import socket
import threading
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from support.server import LoopbackServer, Resource, redirect

BODY = bytes(range(256)) * 4  # 1 KiB that survives no accidental text decoding


def connect(server: LoopbackServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(urlsplit(server.url).hostname, urlsplit(server.url).port, timeout=10)


def fetch(server: LoopbackServer, path: str = "/a", method: str = "GET", headers: dict | None = None):
    """One request on a fresh connection; returns (response, body)."""
    conn = connect(server)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


@pytest.fixture
def server(loopback_server: LoopbackServer) -> LoopbackServer:
    loopback_server.add("/a", Resource(BODY, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT"))
    return loopback_server


# -- plain serving -------------------------------------------------------------


def test_serves_a_resource_and_records_the_hit(server):
    response, body = fetch(server, headers={"X-Probe": "yes"})
    assert (response.status, body) == (200, BODY)
    assert response.getheader("Content-Length") == str(len(BODY))
    assert response.getheader("ETag") == '"v1"'
    assert server.log[-1].method == "GET" and server.log[-1].path == "/a"
    assert server.log[-1].headers["x-probe"] == "yes"


def test_unknown_path_is_404(server):
    response, _ = fetch(server, "/missing")
    assert response.status == 404


def test_head_sends_headers_without_body(server):
    response, body = fetch(server, method="HEAD")
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Length") == str(len(BODY))


def test_keep_alive_reuses_one_connection(server):
    conn = connect(server)
    for _ in range(3):
        conn.request("GET", "/a")
        assert conn.getresponse().read() == BODY
    assert server.connections == 1
    assert {hit.connection for hit in server.log} == {1}


def test_query_string_is_recorded_and_ignored_for_routing(server):
    response, body = fetch(server, "/a?x=1")
    assert body == BODY and server.log[-1].path == "/a?x=1"


def test_request_body_is_recorded(loopback_server):
    loopback_server.add("/upload", lambda hit: Resource(b"got %d" % len(hit.body), status=201))
    conn = connect(loopback_server)
    conn.request("POST", "/upload", body=b"x" * 100)
    response = conn.getresponse()
    assert (response.status, response.read()) == (201, b"got 100")
    assert loopback_server.log[-1].body == b"x" * 100


def test_redirect_helper(server):
    server.add("/old", redirect("/a", 301))
    response, _ = fetch(server, "/old")
    assert response.status == 301 and response.getheader("Location") == "/a"
    assert urllib.request.urlopen(server.url + "/old").read() == BODY


def test_max_age_and_extra_headers(server):
    server.add("/c", Resource(b"x", max_age=60, headers={"X-Extra": "1"}))
    response, _ = fetch(server, "/c")
    assert response.getheader("Cache-Control") == "max-age=60"
    assert response.getheader("X-Extra") == "1"


def test_stop_does_not_wait_for_idle_keep_alive_clients():
    server = LoopbackServer({"/a": Resource(b"x")}).start()
    conn = connect(server)
    conn.request("GET", "/a")
    conn.getresponse().read()
    server.stop()  # the connection above is still open: stop must close it, not wait
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        conn.request("GET", "/a")
        conn.getresponse()


# -- conditional requests, ranges, gzip, auth -----------------------------------------


def test_if_none_match_gives_304(server):
    response, body = fetch(server, headers={"If-None-Match": '"other", "v1"'})
    assert (response.status, body) == (304, b"")
    assert response.getheader("ETag") == '"v1"'
    assert fetch(server, headers={"If-None-Match": '"v0"'})[0].status == 200


def test_if_modified_since_gives_304(server):
    response, _ = fetch(server, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert response.status == 304


@pytest.mark.parametrize(
    "spec, expected, content_range",
    [
        ("bytes=0-9", BODY[:10], "bytes 0-9/1024"),
        ("bytes=1000-", BODY[1000:], "bytes 1000-1023/1024"),
        ("bytes=-5", BODY[-5:], "bytes 1019-1023/1024"),
        ("bytes=1020-5000", BODY[1020:], "bytes 1020-1023/1024"),
    ],
)
def test_ranges_give_206(server, spec, expected, content_range):
    response, body = fetch(server, headers={"Range": spec})
    assert (response.status, body) == (206, expected)
    assert response.getheader("Content-Range") == content_range


def test_unsatisfiable_range_gives_416(server):
    response, _ = fetch(server, headers={"Range": "bytes=2000-"})
    assert response.status == 416
    assert response.getheader("Content-Range") == "bytes */1024"


def test_if_range_with_a_stale_etag_gives_the_whole_body(server):
    response, body = fetch(server, headers={"Range": "bytes=0-9", "If-Range": '"v0"'})
    assert (response.status, body) == (200, BODY)
    response, body = fetch(server, headers={"Range": "bytes=0-9", "If-Range": '"v1"'})
    assert (response.status, body) == (206, BODY[:10])


def test_ranges_off_ignores_range(server):
    server.add("/n", Resource(BODY, ranges=False))
    response, body = fetch(server, "/n", headers={"Range": "bytes=0-9"})
    assert (response.status, body) == (200, BODY)
    assert response.getheader("Accept-Ranges") is None


def test_gzip_only_when_asked(server):
    server.add("/z", Resource(BODY, gzip=True))
    response, body = fetch(server, "/z", headers={"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == BODY
    response, body = fetch(server, "/z")
    assert response.getheader("Content-Encoding") is None and body == BODY
    response, body = fetch(server, "/z", headers={"Accept-Encoding": "gzip;q=0"})
    assert body == BODY


def test_basic_auth():
    with LoopbackServer({"/a": Resource(b"secret")}, auth=("user", "pass")) as server:
        response, _ = fetch(server)
        assert response.status == 401
        assert response.getheader("WWW-Authenticate") == 'Basic realm="test"'
        wrong = base64.b64encode(b"user:nope").decode()
        assert fetch(server, headers={"Authorization": f"Basic {wrong}"})[0].status == 401
        right = base64.b64encode(b"user:pass").decode()
        response, body = fetch(server, headers={"Authorization": f"Basic {right}"})
        assert (response.status, body) == (200, b"secret")


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, b"html"),
        ("application/json", b"json"),
        ("application/json;q=0.5, text/html", b"html"),
        ("text/html;q=0.1, application/*", b"json"),
        ("image/png", b"html"),  # nothing acceptable: the resource itself
    ],
)
def test_negotiation_by_accept(server, accept, expected):
    json_variant = Resource(b"json", "application/json")
    server.add("/neg", Resource(b"html", content_type="text/html", negotiate={"application/json": json_variant}))
    response, body = fetch(server, "/neg", headers={"Accept": accept} if accept else {})
    assert body == expected
    assert response.getheader("Vary") == "Accept"


# -- misbehaviour ----------------------------------------------------------------


def test_close_answers_then_drops_the_kept_alive_connection(server):
    server.misbehave("close")
    conn = connect(server)
    conn.request("GET", "/a")
    response = conn.getresponse()
    assert response.getheader("Connection") is None  # unannounced
    assert response.read() == BODY
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        conn.request("GET", "/a")
        conn.getresponse().read()


def test_reset_sends_a_tcp_reset_before_any_byte(server):
    server.misbehave("reset")
    conn = connect(server)
    conn.request("GET", "/a")
    with pytest.raises(ConnectionResetError) as caught:
        conn.getresponse()
    # a RST, not an orderly close (RemoteDisconnected is what a FIN looks like)
    assert not isinstance(caught.value, http.client.RemoteDisconnected)


def test_truncate_sends_half_the_body(server):
    server.misbehave("truncate")
    conn = connect(server)
    conn.request("GET", "/a")
    response = conn.getresponse()
    assert response.getheader("Content-Length") == str(len(BODY))
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == BODY[:512]


@pytest.mark.parametrize("mode, status, retry_after", [("error", 503, "0"), ("ratelimit", 429, "1")])
def test_error_statuses_carry_retry_after_and_keep_the_connection(server, mode, status, retry_after):
    server.misbehave(mode, count=1)
    conn = connect(server)
    conn.request("GET", "/a")
    response = conn.getresponse()
    response.read()
    assert (response.status, response.getheader("Retry-After")) == (status, retry_after)
    conn.request("GET", "/a")
    assert conn.getresponse().read() == BODY
    assert server.connections == 1


def test_garbage_is_not_http(server):
    server.misbehave("garbage")
    conn = connect(server)
    conn.request("GET", "/a")
    with pytest.raises(http.client.BadStatusLine):
        conn.getresponse()


def test_slow_delays_then_answers(server):
    server.misbehave("slow", delay=0.3)
    conn = http.client.HTTPConnection(urlsplit(server.url).hostname, urlsplit(server.url).port, timeout=0.05)
    conn.request("GET", "/a")
    with pytest.raises(socket.timeout):
        conn.getresponse()
    server.misbehave("slow", delay=0.05)
    assert fetch(server)[1] == BODY


def test_every_count_and_paths_select_requests(server):
    server.add("/b", Resource(b"b"))
    server.misbehave("error", every=2, count=2, paths="/a")
    statuses = [fetch(server, path)[0].status for path in ["/a", "/b", "/a", "/a", "/b", "/a", "/a", "/a", "/a"]]
    # only /a requests count: the 2nd and 4th of them fail, then `count` is spent
    assert statuses == [200, 200, 503, 200, 200, 503, 200, 200, 200]


def test_none_clears_misbehaviour(server):
    server.misbehave("error")
    assert fetch(server)[0].status == 503
    server.misbehave("none")
    assert fetch(server)[0].status == 200


def test_unknown_mode_is_refused(server):
    with pytest.raises(ValueError):
        server.misbehave("explode")


def test_survives_a_thousand_closes_in_a_row(server):
    server.misbehave("close")
    for _ in range(1000):
        assert fetch(server)[1] == BODY
    assert server.connections == 1000


def test_survives_two_hundred_concurrent_closes(server):
    server.misbehave("close")
    results: list = []
    barrier = threading.Barrier(200)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(fetch(server)[1] == BODY)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 200
    assert urllib.request.urlopen(server.url + "/a").read() == BODY


def test_urllib_sees_http_errors(server):
    server.misbehave("ratelimit")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url + "/a")
    assert caught.value.code == 429


def test_chunked_transfer(server):
    server.add("/chunked", Resource(BODY * 3, chunked=True))
    response, body = fetch(server, "/chunked")
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert body == BODY * 3


def test_custom_reason_phrase(server):
    server.add("/r", Resource(b"", status=400, reason="File already exists"))
    response, _ = fetch(server, "/r")
    assert (response.status, response.reason) == (400, "File already exists")


def test_a_failing_handler_answers_500(server):
    def broken(hit):
        raise RuntimeError("boom")

    server.add("/broken", broken)
    response, body = fetch(server, "/broken")
    assert response.status == 500 and b"boom" in body
    assert fetch(server)[0].status == 200


def test_hits_filters_the_log_by_prefix(server):
    fetch(server, "/a")
    fetch(server, "/missing")
    fetch(server, "/a?x")
    assert [hit.path for hit in server.hits("/a")] == ["/a", "/a?x"]
    assert len(server.hits()) == 3


def test_connection_close_from_the_client_is_honoured(server):
    response, body = fetch(server, headers={"Connection": "close"})
    assert body == BODY and response.getheader("Connection") == "close"


def test_restart_after_stop(server):
    server.stop()
    server.stop()  # idempotent
    server.start()
    assert fetch(server)[1] == BODY


def test_stop_interrupts_a_stalled_answer():
    server = LoopbackServer({"/a": Resource(b"x")}).start()
    server.misbehave("slow", delay=60)
    conn = http.client.HTTPConnection(urlsplit(server.url).hostname, urlsplit(server.url).port, timeout=0.1)
    conn.request("GET", "/a")
    with pytest.raises(socket.timeout):
        conn.getresponse()
    prefix = f"loopback-{urlsplit(server.url).port}-conn-"
    server.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]
