"""A loopback HTTP/1.1 server for tests: keep-alive, ranges, ETags, gzip, auth, and on-demand misbehaviour.

The server speaks just enough HTTP/1.1 by hand (not `http.server`) so that a
test can make it fail in exactly the ways real servers and proxies fail:
close a kept-alive connection unannounced, reset it, truncate a body, answer
503/429, stall, or send garbage. Misbehaviour is deterministic: every N-th
matching request, at most `count` times.

    with LoopbackServer({"/a": Resource(b"hello", etag='"v1"')}) as server:
        server.misbehave("close", every=2)
        ...  # talk to server.url + "/a"
        assert server.connections == 2

Every request is recorded in `server.log` as a `Hit`. A resource may also be a
callable `(Hit) -> Resource`, for endpoints that answer depending on the
request (an upload, say).
"""

from __future__ import annotations

import base64
import gzip as _gzip
import socket
import struct
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Callable, Dict, List, Optional, Tuple, Union

__all__ = ["LoopbackServer", "Resource", "Hit", "redirect", "MODES"]

MODES = ("none", "close", "reset", "truncate", "error", "slow", "garbage", "ratelimit")

# the answers of the "error" and "ratelimit" modes: status, Retry-After, body
_CANNED = {"error": (503, "0", b"unavailable\n"), "ratelimit": (429, "1", b"slow down\n")}
_MAX_LINE = 65536
_MAX_HEADERS = 200


@dataclass
class Resource:
    """What the server answers for one path.

    - `etag` / `last_modified`: sent when set; `If-None-Match` (weak
      comparison, `*`) or an equal `If-Modified-Since` gives 304.
    - `max_age`: `Cache-Control: max-age=N`.
    - `ranges`: honour one `Range: bytes=a-b | a- | -n` with 206 and
      `Content-Range` (416 when unsatisfiable; multi-range and malformed
      headers are ignored); `If-Range` must equal the ETag (strongly) or
      Last-Modified, else the whole body is sent. False: Range is ignored.
    - `gzip`: gzip the body (deterministically) for clients that accept it;
      a honoured Range is served from the identity body.
    - `negotiate`: media type -> variant; the Accept header picks one (see
      `_negotiate`), this resource is the fallback; adds `Vary: Accept`.
    - `status`, `headers`, `reason`: anything else (redirects, errors).
    - `chunked`: `Transfer-Encoding: chunked` instead of Content-Length.
    Conditional requests, ranges and gzip apply only when `status` is 200.
    """

    body: bytes
    content_type: str = "application/octet-stream"
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    max_age: Optional[int] = None
    ranges: bool = True
    gzip: bool = False
    status: int = 200
    headers: Dict[str, str] = field(default_factory=dict)
    negotiate: Optional[Dict[str, "Resource"]] = None
    chunked: bool = False  # send Transfer-Encoding: chunked (no Content-Length) on full 200 answers
    reason: Optional[str] = None  # the status line's phrase (PyPI's upload API puts its error message there)


@dataclass
class Hit:
    """One request the server saw: headers are lower-cased; `connection` numbers TCP connections from 1."""

    method: str
    path: str
    headers: Dict[str, str]
    connection: int
    body: bytes = b""
    version: str = "HTTP/1.1"


Handler = Union[Resource, Callable[[Hit], Resource]]


def redirect(to: str, status: int = 302) -> Resource:
    """A resource that redirects to `to` (absolute URL or path) with `status`."""
    return Resource(b"", content_type="text/plain", status=status, headers={"Location": to})


@dataclass
class _Misbehaviour:
    mode: str = "none"
    every: int = 1
    count: Optional[int] = None
    paths: Optional[str] = None
    delay: float = 0.5
    seen: int = 0
    applied: int = 0


class _ConnectionDone(Exception):
    """The connection must end now (client went away, or a misbehaviour closed it)."""


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (port 0) serving Resources, with keep-alive.

    One daemon thread accepts, one daemon thread serves each connection.
    `stop()` closes the listener and every open client socket, so it never
    waits for a client that keeps a connection open.
    """

    def __init__(self, resources: Optional[Dict[str, Handler]] = None, *, auth: Optional[Tuple[str, str]] = None):
        self.resources: Dict[str, Handler] = dict(resources or {})
        self.auth = auth
        self.log: List[Hit] = []
        self.connections = 0
        self.url = ""
        self._lock = threading.Lock()
        self._misbehaviour = _Misbehaviour()
        self._listener: Optional[socket.socket] = None
        self._accept_thread: Optional[threading.Thread] = None
        self._clients: Dict[socket.socket, threading.Thread] = {}
        self._threads: List[threading.Thread] = []  # every connection thread, for stop() to join
        self._stopping = threading.Event()

    # -- configuration -------------------------------------------------------

    def add(self, path: str, resource: Handler) -> None:
        """Serve `resource` at `path` (exact match on the path, query string ignored unless registered)."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        self.resources[path] = resource

    def misbehave(
        self,
        mode: str,
        *,
        every: int = 1,
        count: Optional[int] = None,
        paths: Optional[str] = None,
        delay: float = 0.5,
    ) -> None:
        """Misbehave in `mode` on every `every`-th request whose path starts with `paths`, `count` times at most.

        Counting restarts at each call; `misbehave("none")` turns it off.
        """
        if mode not in MODES:
            raise ValueError(f"unknown misbehaviour {mode!r}; expected one of {', '.join(MODES)}")
        if every < 1:
            raise ValueError("every must be >= 1")
        with self._lock:
            self._misbehaviour = _Misbehaviour(mode, every, count, paths, delay)

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "LoopbackServer":
        """Bind 127.0.0.1 on a free port and start serving; returns self."""
        if self._listener is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        self._listener = listener
        self._stopping.clear()
        self.url = "http://127.0.0.1:%d" % listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop, name="loopback-accept", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every open connection, and wait (briefly) for the threads."""
        listener = self._listener
        if listener is None:
            return
        self._stopping.set()
        _shutdown(listener)
        listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        with self._lock:
            clients = list(self._clients.items())
        for sock, _ in clients:
            _shutdown(sock)
        # A thread may have left `_clients` already and still be closing its socket: join them all.
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener = None

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # listener shut down by stop()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                number = self.connections
                name = f"loopback-{self.url.rsplit(':', 1)[1]}-conn-{number}"
                thread = threading.Thread(target=self._serve_connection, args=(sock, number), name=name, daemon=True)
                self._clients[sock] = thread
                self._threads.append(thread)
            if self._stopping.is_set():
                _shutdown(sock)
            thread.start()

    def _serve_connection(self, sock: socket.socket, number: int) -> None:
        reader = sock.makefile("rb")
        try:
            while not self._stopping.is_set():
                hit = _read_request(reader, sock, number)
                if hit is None:
                    return
                self.log.append(hit)
                if not self._answer(sock, hit):
                    return
        except (_ConnectionDone, OSError, ValueError):
            return
        finally:
            with self._lock:
                self._clients.pop(sock, None)
            reader.close()
            sock.close()

    def _answer(self, sock: socket.socket, hit: Hit) -> bool:
        """Send the response to `hit`; False when the connection must close afterwards."""
        mode, delay = self._pick_misbehaviour(hit.path)
        keep_alive = _wants_keep_alive(hit)
        if mode == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raise _ConnectionDone()
        if mode == "garbage":
            sock.sendall(b"SPDY/9 what is this\r\n\r\n")
            _shutdown(sock)
            raise _ConnectionDone()
        if mode == "slow" and self._stopping.wait(delay):
            raise _ConnectionDone()  # stop() during the stall: give up rather than make stop() wait
        if mode in _CANNED:
            status, retry_after, body = _CANNED[mode]
            headers, reason = {"Retry-After": retry_after, "Content-Type": "text/plain"}, None
        else:
            status, headers, body, reason = self._respond(hit)
        if status not in (204, 304) and "Transfer-Encoding" not in headers:
            headers.setdefault("Content-Length", str(len(body)))
        if not keep_alive:
            headers["Connection"] = "close"
        head = _status_line(status, reason) + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        payload = head.encode("latin-1")
        if hit.method != "HEAD" and status not in (204, 304):
            payload += body[: len(body) // 2] if mode == "truncate" else body
        sock.sendall(payload)
        if mode in ("truncate", "close") or not keep_alive:
            _shutdown(sock)
            return False
        return True

    def _pick_misbehaviour(self, target: str) -> Tuple[str, float]:
        with self._lock:
            m = self._misbehaviour
            if m.mode == "none" or (m.paths is not None and not target.startswith(m.paths)):
                return "none", 0.0
            m.seen += 1
            if m.seen % m.every or (m.count is not None and m.applied >= m.count):
                return "none", 0.0
            m.applied += 1
            return m.mode, m.delay

    def hits(self, prefix: str = "/") -> List[Hit]:
        """The logged requests whose path (query included) starts with `prefix`, oldest first."""
        return [hit for hit in list(self.log) if hit.path.startswith(prefix)]

    def lookup(self, path: str, hit: Hit) -> Optional[Resource]:
        """The resource for `path` (query string removed), or None for 404. Subclasses add dynamic pages."""
        handler = self.resources.get(hit.path) or self.resources.get(path)
        if handler is None:
            return None
        return handler(hit) if callable(handler) else handler

    def _respond(self, hit: Hit) -> Tuple[int, Dict[str, str], bytes, Optional[str]]:
        if self.auth is not None and not _authorized(hit, self.auth):
            headers = {"WWW-Authenticate": 'Basic realm="test"', "Content-Type": "text/plain"}
            return 401, headers, b"unauthorized\n", None
        path = hit.path.split("?", 1)[0]
        try:
            resource = self.lookup(path, hit)
        except Exception as exc:  # noqa: BLE001 - a broken test handler should fail loudly, not hang a client
            return 500, {"Content-Type": "text/plain"}, f"handler failed: {exc!r}\n".encode(), None
        if resource is None:
            return 404, {"Content-Type": "text/plain"}, b"not found\n", None
        status, headers, body = _render(resource, hit.headers)
        return status, headers, body, resource.reason if status == resource.status else None


# -- request parsing ---------------------------------------------------------


def _read_request(reader, sock: socket.socket, number: int) -> Optional[Hit]:
    line = reader.readline(_MAX_LINE)
    while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between requests (RFC 9112 2.2)
        line = reader.readline(_MAX_LINE)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return None
    method, target, version = parts
    headers: Dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        raw = reader.readline(_MAX_LINE)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if headers.get("expect", "").lower() == "100-continue":
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunked(reader)
    elif headers.get("content-length"):
        body = reader.read(int(headers["content-length"]))
    return Hit(method.upper(), target, headers, number, body, version)


def _read_chunked(reader) -> bytes:
    chunks = []
    while True:
        size = int(reader.readline(_MAX_LINE).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(reader.read(size))
        reader.readline(_MAX_LINE)


def _wants_keep_alive(hit: Hit) -> bool:
    tokens = {t.strip().lower() for t in hit.headers.get("connection", "").split(",")}
    if hit.version == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


def _authorized(hit: Hit, auth: Tuple[str, str]) -> bool:
    expected = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
    return hit.headers.get("authorization", "") == expected


def _status_line(status: int, reason: Optional[str] = None) -> str:
    try:
        phrase = reason or HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"HTTP/1.1 {status} {phrase}\r\n"


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# -- rendering a resource ----------------------------------------------------


def _render(resource: Resource, request: Dict[str, str]) -> Tuple[int, Dict[str, str], bytes]:
    """Status, headers and body for `resource` given the request headers (negotiation, 304, ranges, gzip)."""
    vary = []
    if resource.negotiate:
        vary.append("Accept")
        resource = _negotiate(resource, request.get("accept"))
    headers: Dict[str, str] = {"Content-Type": resource.content_type}
    if resource.etag is not None:
        headers["ETag"] = resource.etag
    if resource.last_modified is not None:
        headers["Last-Modified"] = resource.last_modified
    if resource.max_age is not None:
        headers["Cache-Control"] = f"max-age={resource.max_age}"
    if resource.gzip:
        vary.append("Accept-Encoding")
    if vary:
        headers["Vary"] = ", ".join(vary)
    headers.update(resource.headers)
    body = resource.body
    status = resource.status
    if status == 200:
        if _not_modified(resource, request):
            return 304, _without_entity(headers), b""
        if resource.ranges:
            headers["Accept-Ranges"] = "bytes"
            spec = request.get("range")
            if spec and _if_range_holds(resource, request.get("if-range")):
                span = _parse_range(spec, len(body))
                if span == "unsatisfiable":
                    headers = _without_entity(headers)
                    headers.update({"Content-Range": f"bytes */{len(body)}", "Content-Length": "0"})
                    return 416, headers, b""
                if span is not None:
                    start, end = span
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    headers["Content-Length"] = str(end - start + 1)
                    return 206, headers, body[start : end + 1]
        if resource.gzip and _accepts_gzip(request.get("accept-encoding", "")):
            body = _gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
    if resource.chunked and status == 200:
        headers["Transfer-Encoding"] = "chunked"
        return status, headers, _chunk(body)
    headers["Content-Length"] = str(len(body))
    return status, headers, body


def _chunk(body: bytes, size: int = 1000) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def _without_entity(headers: Dict[str, str]) -> Dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length", "content-encoding")}


def _etag_list(value: str) -> List[str]:
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def _weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def _not_modified(resource: Resource, request: Dict[str, str]) -> bool:
    inm = request.get("if-none-match")
    if inm is not None:
        if resource.etag is None:
            return False
        tags = _etag_list(inm)
        return "*" in tags or _weak(resource.etag) in {_weak(t) for t in tags}
    ims = request.get("if-modified-since")
    return ims is not None and resource.last_modified is not None and ims.strip() == resource.last_modified


def _if_range_holds(resource: Resource, if_range: Optional[str]) -> bool:
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        # a strong comparison is required: weak tags never match
        return resource.etag is not None and not if_range.startswith("W/") and if_range == resource.etag
    return resource.last_modified is not None and if_range == resource.last_modified


def _parse_range(spec: str, length: int):
    """(start, end) inclusive, "unsatisfiable", or None to ignore the header (malformed or multi-range)."""
    unit, _, ranges = spec.partition("=")
    if unit.strip().lower() != "bytes" or "," in ranges:
        return None
    first, dash, last = ranges.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return "unsatisfiable"
            return (max(0, length - suffix), length - 1) if length else "unsatisfiable"
        start = int(first)
        end = int(last) if last else length - 1
    except ValueError:
        return None
    if start < 0 or (last and end < start):
        return None
    if start >= length:
        return "unsatisfiable"
    return start, min(end, length - 1)


def _accepts_gzip(value: str) -> bool:
    for coding, q in _parse_q_list(value):
        if coding in ("gzip", "x-gzip", "*"):
            return q > 0
    return False


def _parse_q_list(value: str) -> List[Tuple[str, float]]:
    out = []
    for item in value.split(","):
        name, *params = [p.strip() for p in item.split(";")]
        if not name:
            continue
        q = 1.0
        for param in params:
            key, _, val = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        out.append((name.lower(), q))
    return out


def _negotiate(resource: Resource, accept: Optional[str]) -> Resource:
    """The variant of `resource` that `accept` prefers (no header means */*).

    Candidates are `resource` itself (only when its status is 200; a non-200
    base is just the fallback) under its own content type, then the variants
    in declaration order. Each gets the q of the most specific media range
    that matches it; ties go to the more specific match, then to the earlier
    candidate. When nothing is acceptable, `resource` itself is the answer.
    """
    assert resource.negotiate is not None
    ranges = _parse_q_list(accept or "*/*")
    candidates = [(resource.content_type, resource)] if resource.status == 200 else []
    candidates += list(resource.negotiate.items())
    best, best_key = resource, (0.0, 0)
    for media_type, variant in candidates:
        kind = media_type.lower().split(";")[0].strip()
        major = kind.split("/")[0]
        q, specificity = 0.0, 0
        for pattern, pq in ranges:
            pattern = pattern.split(";")[0].strip()
            level = 3 if pattern == kind else 2 if pattern == f"{major}/*" else 1 if pattern == "*/*" else 0
            if level > specificity:
                q, specificity = pq, level
        if q > 0 and (q, specificity) > best_key:
            best, best_key = variant, (q, specificity)
    return best
