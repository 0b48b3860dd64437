"""TLS verification (a self-signed loopback server) and proxies from the environment (a loopback proxy)."""

from __future__ import annotations

import base64
import subprocess

import pytest

from pkm.errors import NetworkError, PkmError
from support.server import LoopbackServer, Resource


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- TLS ----------------------------------------------------------------------


def test_an_unknown_certificate_fails_at_once_with_a_hint(tls_server, make_client, sleeps):
    with pytest.raises(NetworkError) as caught:
        make_client(retries=3).get(tls_server.url + "/hello")
    error = caught.value
    assert "certificate could not be verified" in error.why
    assert "gave up" not in error.why and sleeps == []  # not retried
    assert "PKM_CA_BUNDLE" in error.hint
    assert tls_server.hits == []  # and nothing was sent over the unverified connection


@pytest.mark.parametrize("variable", ["PKM_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_ca_bundle_from_the_environment_is_trusted(tls_server, tls_cert, make_client, variable):
    client = make_client(environ={variable: str(tls_cert[0])})
    response = client.get(tls_server.url + "/hello")
    assert (response.status, response.body) == (200, b"hello over tls")
    assert client.get(tls_server.url + "/hello").status == 200
    assert tls_server.connections == 1  # kept alive over TLS too


def test_the_ca_bundle_argument_is_trusted(tls_server, tls_cert, make_client):
    assert make_client(ca_bundle=str(tls_cert[0])).get(tls_server.url + "/hello").body == b"hello over tls"


def test_a_missing_ca_bundle_is_a_clear_error(tls_server, tmp_path, make_client):
    with pytest.raises(PkmError) as caught:
        make_client(environ={"PKM_CA_BUNDLE": str(tmp_path / "nope.pem")}).get(tls_server.url + "/hello")
    assert "CA bundle" in caught.value.what and "PKM_CA_BUNDLE" in caught.value.hint


def test_a_certificate_for_another_host_is_refused_even_when_trusted(tmp_path, make_client, make_tls_server):
    cert, key = tmp_path / "other.pem", tmp_path / "other.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=other.example",
                    "-addext", "subjectAltName=DNS:other.example"], check=True, capture_output=True)
    server = make_tls_server(cert, key, {"/hello": (200, {}, b"hi")})
    with pytest.raises(NetworkError, match="failed") as caught:
        make_client(ca_bundle=str(cert)).get(server.url + "/hello")
    assert server.hits == []
    assert "certificate could not be verified" in caught.value.why


# -- proxies ------------------------------------------------------------------


@pytest.fixture
def origin(loopback_server):
    loopback_server.add("/page", Resource(b"through the proxy"))
    return loopback_server


def test_http_goes_through_the_proxy_in_absolute_form(origin, make_proxy, make_client):
    proxy = make_proxy()
    client = make_client(environ={"HTTP_PROXY": proxy.url})
    assert client.get(origin.url + "/page").body == b"through the proxy"
    assert client.get(origin.url + "/page").body == b"through the proxy"
    line, headers = proxy.requests[0]
    assert line == f"GET {origin.url}/page HTTP/1.1"
    assert headers["host"] == origin.url[len("http://"):]
    assert len(proxy.requests) == 2 and origin.log[0].path == "/page"


def test_proxy_credentials_come_from_the_proxy_url(origin, make_proxy, make_client):
    proxy = make_proxy(auth=_basic("bob", "proxy-pw"))
    with_auth = proxy.url.replace("http://", "http://bob:proxy-pw@")
    assert make_client(environ={"http_proxy": with_auth}).get(origin.url + "/page").status == 200
    assert "proxy-authorization" not in origin.log[0].headers  # the proxy's secret stays with the proxy
    assert make_client(environ={"http_proxy": proxy.url}).get(origin.url + "/page").status == 407


def test_lower_case_proxy_variables_win(origin, make_proxy, make_client):
    used, unused = make_proxy(), make_proxy()
    make_client(environ={"http_proxy": used.url, "HTTP_PROXY": unused.url}).get(origin.url + "/page")
    assert len(used.requests) == 1 and unused.requests == []


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost, 127.0.0.1", ".0.0.1"])
def test_no_proxy_bypasses_the_proxy(origin, make_proxy, make_client, no_proxy):
    proxy = make_proxy()
    client = make_client(environ={"HTTP_PROXY": proxy.url, "NO_PROXY": no_proxy})
    assert client.get(origin.url + "/page").status == 200
    assert proxy.requests == []


def test_no_proxy_for_another_port_does_not_bypass(origin, make_proxy, make_client):
    proxy = make_proxy()
    make_client(environ={"HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1:1"}).get(origin.url + "/page")
    assert len(proxy.requests) == 1


def test_https_goes_through_a_connect_tunnel(tls_server, tls_cert, make_proxy, make_client):
    proxy = make_proxy(auth=_basic("bob", "proxy-pw"))
    environ = {"HTTPS_PROXY": proxy.url.replace("http://", "http://bob:proxy-pw@"), "PKM_CA_BUNDLE": str(tls_cert[0])}
    client = make_client(environ=environ)
    assert client.get(tls_server.url + "/hello").body == b"hello over tls"
    assert client.get(tls_server.url + "/hello").body == b"hello over tls"  # the tunnel is kept alive
    line, headers = proxy.requests[0]
    assert line.startswith(f"CONNECT 127.0.0.1:{tls_server.port} HTTP/1.")  # 1.0 before Python 3.12
    assert headers["proxy-authorization"] == _basic("bob", "proxy-pw")
    assert len(proxy.requests) == 1
    assert all("proxy-authorization" not in h for _, h in tls_server.hits)


def test_a_refused_tunnel_fails_at_once_without_leaking_the_password(tls_server, tls_cert, make_proxy, make_client,
                                                                     sleeps):
    proxy = make_proxy(auth=_basic("bob", "right-pw"))
    environ = {"HTTPS_PROXY": proxy.url.replace("http://", "http://bob:wrong-pw@"), "PKM_CA_BUNDLE": str(tls_cert[0])}
    with pytest.raises(NetworkError) as caught:
        make_client(environ=environ).get(tls_server.url + "/hello")
    error = caught.value
    assert "407" in error.why and "HTTPS_PROXY" in error.hint
    assert sleeps == []
    assert "wrong-pw" not in f"{error.what} {error.why} {error.hint}"


def test_an_unreachable_proxy_is_a_network_error(make_client):
    with LoopbackServer() as gone:
        dead = gone.url
    with pytest.raises(NetworkError, match="failed") as caught:
        make_client(environ={"HTTP_PROXY": dead}, retries=1).get("http://index.example/simple/")
    assert "refused" in caught.value.why


def test_unsupported_proxy_schemes_are_a_clear_error(make_client):
    with pytest.raises(NetworkError, match="unsupported proxy URL") as caught:
        make_client(environ={"HTTPS_PROXY": "socks5://u:pw@127.0.0.1:1080"}).get("https://index.example/")
    assert "pw" not in caught.value.what
