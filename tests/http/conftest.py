"""Fixtures for the HTTP client tests: clients that never sleep, a loopback TLS server, a loopback proxy."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest

from pkm.http import HttpClient


class Sleeps(list):
    """Records the delays the client asked for instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps, tmp_path) -> Iterator[Callable[..., HttpClient]]:
    """`make_client(**kwargs)`: an HttpClient with no environment, no netrc and no sleeping; closed afterwards."""
    made: List[HttpClient] = []

    def make(**kwargs) -> HttpClient:
        kwargs.setdefault("environ", {})
        kwargs.setdefault("backoff", 0)
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("timeout", 5.0)
        client = HttpClient(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# -- TLS ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> Tuple[Path, Path]:
    """(cert.pem, key.pem): a self-signed certificate for 127.0.0.1, made with the openssl command line."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=pkm-test",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
        check=True, capture_output=True,
    )
    return cert, key


class TlsServer:
    """An HTTPS server on 127.0.0.1 answering `routes[path] = (status, headers, body)`; records (path, headers)."""

    def __init__(self, cert: Path, key: Path, routes: Dict[str, Tuple[int, Dict[str, str], bytes]]):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.routes = routes
        self.hits: List[Tuple[str, Dict[str, str]]] = []
        self.connections = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                outer.hits.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = outer.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output quiet
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                outer.connections += 1
                # handshake in the handler thread, so a client that rejects us cannot stall accept()
                return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

            def handle_error(self, request, client_address):
                pass  # rejected handshakes are what some tests expect

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "TlsServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def tls_server(tls_cert) -> Iterator[TlsServer]:
    cert, key = tls_cert
    with TlsServer(cert, key, {"/hello": (200, {"Content-Type": "text/plain"}, b"hello over tls")}) as server:
        yield server


@pytest.fixture
def make_tls_server() -> Iterator[Callable[..., TlsServer]]:
    """`make_tls_server(cert, key, routes)`: a started TlsServer, stopped afterwards."""
    made: List[TlsServer] = []

    def make(cert: Path, key: Path, routes) -> TlsServer:
        server = TlsServer(cert, key, routes).__enter__()
        made.append(server)
        return server

    yield make
    for server in made:
        server.__exit__(None, None, None)


# -- a proxy ------------------------------------------------------------------


class Proxy:
    """A tiny HTTP proxy on 127.0.0.1: CONNECT tunnels, and absolute-URI requests forwarded one per connection.

    `requests` records (request line, headers) of every request it got;
    with `auth` set, requests without that exact Proxy-Authorization get 407.
    """

    def __init__(self, auth: Optional[str] = None):
        self.auth = auth
        self.requests: List[Tuple[str, Dict[str, str]]] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._sockets: List[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(self._track(client),), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            reader = client.makefile("rb")
            line = reader.readline().decode("latin-1").strip()
            headers: Dict[str, str] = {}
            raw_headers = []
            while True:
                raw = reader.readline()
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
                raw_headers.append((name.strip(), value.strip()))
            self.requests.append((line, headers))
            if self.auth is not None and headers.get("proxy-authorization") != self.auth:
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n"
                               b"Connection: close\r\n\r\n")
                return
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = self._track(socket.create_connection((host, int(port))))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
                _pipe(client, upstream)  # the client waits for our 200: nothing of it is buffered in `reader`
                return
            parts = urlsplit(target)
            upstream = self._track(socket.create_connection((parts.hostname, parts.port or 80)))
            kept = [(k, v) for k, v in raw_headers if k.lower() not in ("proxy-authorization", "connection")]
            head = f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in kept) + "Connection: close\r\n\r\n"
            upstream.sendall(head.encode("latin-1"))
            _pipe(upstream, client)
        except OSError:
            pass
        finally:
            client.close()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    """Copy src to dst until EOF, then half-close dst."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@pytest.fixture
def make_proxy() -> Iterator[Callable[..., Proxy]]:
    made: List[Proxy] = []

    def make(auth: Optional[str] = None) -> Proxy:
        proxy = Proxy(auth)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


# -- canned raw answers ----------------------------------------------------------


class RawServer:
    """A server on 127.0.0.1 that reads one request per connection, sends the next canned bytes, and closes.

    For answers LoopbackServer cannot give (chunked bodies, no Content-Length).
    The last answer repeats once the list is used up; `requests` counts them.
    """

    def __init__(self, answers: List[bytes]):
        self.answers = list(answers)
        self.requests = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with sock:
                try:
                    reader = sock.makefile("rb")
                    while reader.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    answer = self.answers[min(self.requests, len(self.answers) - 1)]
                    self.requests += 1
                    sock.sendall(answer)
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def make_raw_server() -> Iterator[Callable[[List[bytes]], RawServer]]:
    made: List[RawServer] = []

    def make(answers: List[bytes]) -> RawServer:
        server = RawServer(answers)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()
