"""Redirects, credentials (userinfo, netrc) and redaction: secrets go only where they belong, and never into text."""

from __future__ import annotations

import pytest

from pkm.errors import NetworkError
from pkm.http import redact
from support.server import LoopbackServer, Resource, redirect

USER, PASSWORD = "alice", "s3cret-Pa55"


def test_redirects_of_every_kind_are_followed_to_the_final_url(loopback_server, make_client):
    s = loopback_server
    s.add("/a", redirect("/b", 301))
    s.add("/b", redirect(s.url + "/c", 302))
    s.add("/c", redirect("/d", 303))
    s.add("/d", redirect("/e", 307))
    s.add("/e", redirect("/final", 308))
    s.add("/final", Resource(b"landed"))
    response = make_client().get(s.url + "/a")
    assert (response.status, response.body, response.url) == (200, b"landed", s.url + "/final")
    assert [hit.path for hit in s.log] == ["/a", "/b", "/c", "/d", "/e", "/final"]


def test_ten_redirects_are_followed_and_the_eleventh_is_refused(loopback_server, make_client):
    s = loopback_server
    for i in range(11):
        s.add(f"/r{i}", redirect(f"/r{i + 1}"))
    s.add("/r11", Resource(b"end"))
    assert make_client().get(s.url + "/r1").body == b"end"  # r1 -> r11: 10 redirects
    with pytest.raises(NetworkError) as caught:
        make_client().get(s.url + "/r0")
    assert "more than 10 redirects" in caught.value.why


def test_a_redirect_loop_is_a_clear_error(loopback_server, make_client):
    loopback_server.add("/loop", redirect("/loop"))
    with pytest.raises(NetworkError, match="failed") as caught:
        make_client().get(loopback_server.url + "/loop")
    assert "redirect loop" in caught.value.why
    assert len(loopback_server.log) == 11


def test_credentials_and_cookies_are_dropped_when_a_redirect_changes_origin(loopback_server, make_client):
    with LoopbackServer({"/land": Resource(b"other origin")}) as other:
        loopback_server.add("/same", redirect("/hop"))
        loopback_server.add("/hop", redirect(other.url + "/land"))
        sent = {"Authorization": "Bearer tok-123", "Cookie": "session=abc", "Proxy-Authorization": "Basic eA==",
                "X-Keep": "yes"}
        response = make_client().get(loopback_server.url + "/same", headers=sent)
        assert response.body == b"other origin"
        same_origin_hop = loopback_server.log[1].headers
        assert same_origin_hop["authorization"] == "Bearer tok-123" and same_origin_hop["cookie"] == "session=abc"
        landed = other.log[0].headers
        assert "authorization" not in landed and "cookie" not in landed and "proxy-authorization" not in landed
        assert landed["x-keep"] == "yes"


def test_userinfo_is_sent_as_basic_auth_and_never_in_the_request_line(make_client):
    with LoopbackServer({"/private": Resource(b"ok")}, auth=(USER, PASSWORD)) as server:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@") + "/private"
        response = make_client().get(url)
        assert (response.status, response.body) == (200, b"ok")
        hit = server.log[0]
        assert hit.path == "/private"
        assert USER not in hit.headers["host"]


def test_userinfo_credentials_follow_same_origin_redirects_only(make_client):
    with LoopbackServer({"/land": Resource(b"elsewhere")}) as other, \
            LoopbackServer({"/private": Resource(b"ok")}, auth=(USER, PASSWORD)) as server:
        server.add("/old", redirect(server.url + "/private"))  # absolute, without userinfo
        server.add("/away", redirect(other.url + "/land"))
        base = server.url.replace("http://", f"http://{USER}:{PASSWORD}@")
        assert make_client().get(base + "/old").body == b"ok"
        assert make_client().get(base + "/away").body == b"elsewhere"
        assert "authorization" not in other.log[0].headers


def test_the_response_repr_hides_the_userinfo(make_client):
    with LoopbackServer({"/private": Resource(b"ok")}, auth=(USER, PASSWORD)) as server:
        response = make_client().get(server.url.replace("http://", f"http://{USER}:{PASSWORD}@") + "/private")
    assert PASSWORD not in repr(response) and "***@127.0.0.1" in repr(response)


def test_netrc_supplies_credentials_by_host(tmp_path, make_client):
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    with LoopbackServer({"/private": Resource(b"ok")}, auth=(USER, PASSWORD)) as server:
        assert make_client(netrc_path=netrc).get(server.url + "/private").status == 200
        assert make_client().get(server.url + "/private").status == 401  # no netrc given, none found


def test_the_default_netrc_is_the_one_in_home_from_environ(tmp_path, make_client):
    (tmp_path / ".netrc").write_text(f"machine 127.0.0.1\n  login {USER}\n  password {PASSWORD}\n")
    with LoopbackServer({"/private": Resource(b"ok")}, auth=(USER, PASSWORD)) as server:
        assert make_client(environ={"HOME": str(tmp_path)}).get(server.url + "/private").status == 200


def test_a_malformed_netrc_means_no_credentials(tmp_path, make_client):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login\n")
    with LoopbackServer({"/private": Resource(b"ok")}, auth=(USER, PASSWORD)) as server:
        assert make_client(netrc_path=netrc).get(server.url + "/private").status == 401


def test_https_to_http_redirects_are_refused(tls_server, tls_cert, make_client):
    with LoopbackServer({"/x": Resource(b"plain")}) as plain:
        tls_server.routes["/down"] = (302, {"Location": plain.url + "/x"}, b"")
        with pytest.raises(NetworkError, match="from https to plain http"):
            make_client(ca_bundle=str(tls_cert[0])).get(tls_server.url + "/down")
        assert plain.log == []


def test_redirects_to_other_schemes_are_refused(loopback_server, make_client):
    loopback_server.add("/file", redirect("file:///etc/passwd"))
    with pytest.raises(NetworkError, match="not an http"):
        make_client().get(loopback_server.url + "/file")


def test_credentials_never_appear_in_errors(make_client, tmp_path):
    with LoopbackServer() as server:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@") + "/x?token=tok-9876"
    with pytest.raises(NetworkError) as caught:  # the server is gone: connection refused
        make_client(retries=1).get(url)
    error = caught.value
    text = " ".join(str(part) for part in (error, error.what, error.why, error.hint, repr(error)))
    assert PASSWORD not in text and "tok-9876" not in text
    assert "***@127.0.0.1" in error.what


def test_credentials_never_appear_in_cache_files(make_client, tmp_path):
    cache = tmp_path / "cache"
    with LoopbackServer({"/private": Resource(b"page", etag='"e"')}, auth=(USER, PASSWORD)) as server:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@") + "/private"
        assert make_client(cache_dir=cache).get(url, cache=True).status == 200
        assert make_client(cache_dir=cache).get(url, cache=True).from_cache
    files = list(cache.rglob("*"))
    assert files
    for path in files:
        assert PASSWORD not in path.name and USER not in path.name
        assert PASSWORD.encode() not in path.read_bytes() and USER.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://user:pw@example.org/simple/", "https://***@example.org/simple/"),
        ("https://token@example.org:8443/x", "https://***@example.org:8443/x"),
        ("https://example.org/f.whl?X-Amz-Signature=abc&v=1", "https://example.org/f.whl?X-Amz-Signature=***&v=1"),
        ("https://example.org/x?access_token=t&api_key=k&page=2", "https://example.org/x?access_token=***&api_key=***&page=2"),
        ("https://example.org/simple/", "https://example.org/simple/"),
        ("http://u:p@[::1/x", "http://***@[::1/x"),
    ],
)
def test_redact_masks_userinfo_and_token_like_query_values(url, expected):
    assert redact(url) == expected
