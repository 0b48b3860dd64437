"""Sending one request with a streamed body, and knowing how much of it left before a failure."""

from __future__ import annotations

import http.client
from typing import BinaryIO, Callable, Iterable, Iterator, List, Optional, Tuple, Union

from pkm.errors import PkmError

from ._connect import Connector, Target
from ._exchange import CHUNK, Reply
from ._pool import Pool
from ._redact import redact

__all__ = ["Body", "NotSent", "Cut", "body_chunks", "send_with_body"]

Body = Union[bytes, BinaryIO, Iterable[bytes]]
Progress = Callable[[int, Optional[int]], None]


class NotSent(Exception):
    """The request failed before any byte of its body left: repeating it cannot do anything twice."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class Cut(Exception):
    """The request failed after `sent` bytes of its body left: it must not be repeated blindly."""

    def __init__(self, cause: BaseException, sent: int, length: int):
        super().__init__(str(cause))
        self.cause = cause
        self.sent = sent
        self.length = length


def body_chunks(body: Body) -> Iterator[bytes]:
    """The body as an iterator of chunks; a file is read CHUNK bytes at a time, never whole.

    Nothing is read until the first chunk is asked for, so an attempt that
    fails before the body is due leaves the iterator untouched for the next.
    """
    if isinstance(body, (bytes, bytearray, memoryview)):
        return iter([bytes(body)])
    read = getattr(body, "read", None)
    if read is not None:
        return iter(lambda: read(CHUNK), b"")
    return iter(body)


def send_with_body(pool: Pool, connector: Connector, target: Target, method: str,
                   headers: List[Tuple[str, str]], chunks: Iterator[bytes], length: int,
                   progress: Optional[Progress]) -> Reply:
    """One exchange on a fresh connection: the request line and headers, `length` body bytes, the reply.

    Raises NotSent when connecting or sending the headers failed, Cut when a
    body byte had been handed to the socket (a server that answered early, say
    401 or 413, and closed is read and its reply returned instead), and
    PkmError when `chunks` did not add up to `length` (the connection is then
    dropped, so the server never sees a complete request). The connection is
    fresh because a kept-alive one may have been closed by the server while
    idle, which would only show once the body had gone.
    """
    request_target, proxy_auth = connector.request_line_target(target)
    if proxy_auth is not None:
        headers = headers + [("Proxy-Authorization", proxy_auth)]
    try:
        lease = pool.acquire(target.origin, fresh=True)
    except Exception as exc:
        raise NotSent(exc) from None
    conn = lease.conn
    try:
        try:
            conn.putrequest(method, request_target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders()
        except Exception as exc:
            raise NotSent(exc) from None
        sent = 0
        for chunk in chunks:  # errors reading the body (a local file) propagate as they are
            if sent + len(chunk) > length:
                raise _length_error(target, method, length, "more")
            try:
                conn.send(chunk)
            except Exception as exc:
                early = _early_reply(conn, target, lease)
                if early is not None:
                    return early
                raise Cut(exc, sent, length) from None
            sent += len(chunk)
            if progress is not None:
                progress(sent, length)
        if sent != length:
            raise _length_error(target, method, length, f"only {sent}")
        try:
            resp = conn.getresponse()
        except Exception as exc:
            raise Cut(exc, sent, length) from None
    except BaseException:
        lease.release(reusable=False)
        raise
    return Reply(target.url, resp, lease)


def _early_reply(conn: http.client.HTTPConnection, target: Target, lease) -> Optional[Reply]:
    """The reply a server sent before it stopped reading the body, if one can still be read."""
    try:
        return Reply(target.url, conn.getresponse(), lease)
    except Exception:
        return None


def _length_error(target: Target, method: str, length: int, given: str) -> PkmError:
    return PkmError(f"{method} {redact(target.url)} failed",
                    why=f"the body gave {given} bytes than the {length} announced" if given == "more"
                    else f"the body gave {given} of the {length} bytes announced",
                    hint="the file changed while it was being sent; run the command again")
