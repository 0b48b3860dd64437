"""One request/response exchange on a pooled connection, with the body left on the wire until asked for."""

from __future__ import annotations

import http.client
from typing import Iterator, List, Optional, Tuple

from pkm.errors import PkmError

from ._connect import Connector, Target
from ._pool import Lease, Pool
from ._redact import redact
from ._response import Headers
from ._retry import STALE_ERRORS, Truncated

__all__ = ["BodyTooLarge", "Reply", "Transport"]

CHUNK = 64 * 1024


class BodyTooLarge(PkmError):
    """An answer's body is larger than the caller's limit (`Reply.read(limit)`); none of it was kept."""

    def __init__(self, url: str, status: int, limit: int):
        super().__init__(f"GET {redact(url)} answered with more than {limit} bytes", why=f"HTTP {status}",
                         hint="the server ignored the request's Range header")
        self.status = status


class Reply:
    """A response whose status line and headers have arrived; the body is read by `read` or `chunks`.

    Always `close` it (or use it as a context manager): that gives the
    connection back to the pool, for reuse only when the whole body was read.
    """

    def __init__(self, url: str, resp: http.client.HTTPResponse, lease: Lease):
        self.url = url
        self.status = resp.status
        self.reason = resp.reason
        self.headers = Headers(resp.getheaders())
        self._resp = resp
        self._lease = lease
        self._length = resp.length  # from Content-Length; None when chunked or read until close
        self._complete = False

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The body as it arrives. Raises Truncated when it ends before Content-Length (and
        http.client's IncompleteRead when a chunked body is cut); never ends quietly short."""
        received = 0
        while True:
            data = self._resp.read(size)
            if not data:
                break
            received += len(data)
            yield data
        # http.client's read(amt) returns b"" at a premature EOF instead of raising: check ourselves.
        if self._length is not None and received < self._length:
            raise Truncated(received, self._length)
        self._complete = True

    def read(self, limit: Optional[int] = None) -> bytes:
        """The whole raw body (still content-encoded). With `limit`, BodyTooLarge as soon as the
        body is known to be larger (from Content-Length, else while reading)."""
        if limit is None:
            return b"".join(self.chunks())
        if self._length is not None and self._length > limit:
            raise BodyTooLarge(self.url, self.status, limit)
        parts, size = [], 0
        for chunk in self.chunks():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(self.url, self.status, limit)
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        self._lease.release(reusable=self._complete and not self._resp.will_close)
        if not self._complete:
            self._resp.close()

    def __enter__(self) -> "Reply":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Transport:
    """Sends one GET on a pooled connection; repeats it once, at once, if a reused connection was found closed.

    That repeat is not an attempt in the retry sense: a server may close an
    idle keep-alive connection at any moment (RFC 9112 9.3.1), and the request
    never reached it. A failure on a fresh connection propagates to the caller.
    """

    def __init__(self, pool: Pool, connector: Connector):
        self.pool = pool
        self.connector = connector

    def send(self, target: Target, headers: List[Tuple[str, str]]) -> Reply:
        request_target, proxy_auth = self.connector.request_line_target(target)
        if proxy_auth is not None:
            headers = headers + [("Proxy-Authorization", proxy_auth)]
        fresh = False
        while True:
            lease = self.pool.acquire(target.origin, fresh=fresh)
            try:
                conn = lease.conn
                conn.putrequest("GET", request_target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.endheaders()
                resp = conn.getresponse()
            except STALE_ERRORS:
                lease.release(reusable=False)
                if lease.reused and not fresh:
                    fresh = True
                    continue
                raise
            except BaseException:
                lease.release(reusable=False)
                raise
            return Reply(target.url, resp, lease)
