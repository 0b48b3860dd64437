"""HttpClient: GETs with retries, redirects, credentials, gzip and the HTTP cache; POSTs of streamed bodies."""

from __future__ import annotations

import gzip
import os
import random
import sys
import time
import zlib
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from pkm import __version__
from pkm.errors import NetworkError, OfflineError, PkmError, UsageError

from ._auth import Credentials, default_netrc_path
from ._cache import HttpCache, cache_control
from ._connect import Connector, Target, basic_auth, parse_url
from ._download import Attempts, download_to
from ._exchange import Reply, Transport
from ._pool import Pool
from ._post import Body, Cut, NotSent, body_chunks, send_with_body
from ._redact import redact, scrub
from ._response import Headers, Response
from ._retry import Failure, backoff_delay, classify, retry_after, retryable_status

__all__ = ["HttpClient", "DEFAULT_TIMEOUT", "MAX_REDIRECTS"]

DEFAULT_TIMEOUT = 30.0
MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Dropped when a redirect leaves the origin they were meant for.
_ORIGIN_BOUND = ("authorization", "cookie", "proxy-authorization")


class HttpClient:
    """A pooled HTTP/1.1 client for GETs (and POSTs). Create one per command and pass it down; thread-safe.

    - `timeout` (seconds) bounds connecting and each wait for data; the
      environment's `PKM_HTTP_TIMEOUT` replaces it when it was left at 30.
    - `retries` is how many times a failed attempt is repeated (3: up to 4
      attempts), with jittered exponential backoff from `backoff` seconds, or
      the server's Retry-After capped at `retry_after_cap`.
    - `environ` (default `os.environ`) supplies proxies, CA bundle, timeout,
      and the default netrc path (`$NETRC` or `$HOME/.netrc`).
    - `sleep` is how the client waits between attempts (tests pass a recorder).
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        cache_dir: Optional[Path] = None,
        offline: bool = False,
        max_per_host: int = 10,
        ca_bundle: Optional[str] = None,
        netrc_path: Optional[Path] = None,
        environ: Optional[Mapping[str, str]] = None,
        user_agent: Optional[str] = None,
        backoff: float = 0.25,
        retry_after_cap: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        env: Mapping[str, str] = os.environ if environ is None else environ
        if timeout == DEFAULT_TIMEOUT and env.get("PKM_HTTP_TIMEOUT"):
            timeout = _env_timeout(env["PKM_HTTP_TIMEOUT"])
        self.timeout = timeout
        self.offline = offline
        self._attempts = max(1, retries + 1)
        self._backoff = backoff
        self._retry_after_cap = retry_after_cap
        self._sleep = sleep
        self._rng = random.Random()
        self._user_agent = user_agent or (
            f"pkm/{__version__} {sys.implementation.name}/{'.'.join(map(str, sys.version_info[:3]))}")
        self._connector = Connector(timeout=timeout, environ=env, ca_bundle=ca_bundle)
        self._pool = Pool(self._connector.open, max_per_host)
        self._transport = Transport(self._pool, self._connector)
        self._credentials = Credentials(netrc_path if netrc_path is not None else default_netrc_path(env))
        self._cache = HttpCache(cache_dir) if cache_dir is not None else None

    # -- public API ------------------------------------------------------------

    def get(self, url: str, *, headers: Optional[Mapping[str, str]] = None, cache: bool = False,
            max_bytes: Optional[int] = None) -> Response:
        """GET `url` and return the final answer with the whole body, decompressed.

        With `max_bytes`, a body larger than that is not read (BodyTooLarge, the
        connection dropped): e.g. a range request that a server answers with the
        whole file.

        Returns a Response for any final answer: 2xx, 4xx, or a 5xx/429 still
        failing after the retries; a cached answer revalidated by a 304 comes
        back as 200 with `from_cache`. Raises NetworkError when no complete
        answer could be had, OfflineError when offline and not cached.
        `cache=True` uses and refreshes the HTTP cache under `cache_dir`
        (a caller's `Cache-Control: no-cache` forces a revalidation).
        Cost: one round trip per redirect hop; none for a fresh cache hit.
        """
        asked = dict(headers or {})
        lowered = {k.lower(): v for k, v in asked.items()}
        store = self._cache if cache and "range" not in lowered else None
        accept = lowered.get("accept", "*/*")
        entry = store.load(url, accept) if store is not None else None
        if self.offline:
            if entry is not None:
                return entry.response(url)
            raise OfflineError(f"{redact(url)} is not in the cache and the network is off (--offline)",
                               hint="run once without --offline to fill the cache")
        if entry is not None:
            forced = cache_control(lowered.get("cache-control"))
            if entry.fresh(time.time()) and "no-cache" not in forced and forced.get("max-age") != "0":
                return entry.response(url)
            asked.update(entry.validators())
        response = self._follow(url, asked, max_bytes)
        if store is None:
            return response
        if response.status == 304 and entry is not None:
            return store.refresh(entry, response.headers).response(url)
        store.store(url, accept, response)
        return response

    def download(
        self,
        url: str,
        dest: Path,
        *,
        tmp_dir: Path,
        sha256: Optional[str] = None,
        size: Optional[int] = None,
        progress: Optional[Callable[[int, Optional[int]], None]] = None,
    ) -> Path:
        """Stream `url` to `dest` through a temp file in `tmp_dir`; returns `dest`.

        Hashes as bytes arrive, resumes after a cut with Range + If-Range (or
        starts over when the server ignores the range), checks `size`, verifies
        `sha256` (HashMismatchError, temp file removed), then renames into
        place atomically. `progress(bytes_so_far, total_or_None)` is called per
        chunk. Nothing is left in `tmp_dir` or at `dest` when it fails.
        """
        if self.offline:
            raise OfflineError(f"cannot download {redact(url)}: the network is off (--offline)",
                               hint="run without --offline, or use files already in the store")
        attempts = Attempts(self._open, self._wait, self._failed, self._attempts, self.timeout)
        return download_to(attempts, url, Path(dest), tmp_dir=Path(tmp_dir), sha256=sha256, size=size,
                           progress=progress)

    def post(
        self,
        url: str,
        *,
        body: Body,
        headers: Optional[Mapping[str, str]] = None,
        length: Optional[int] = None,
        progress: Optional[Callable[[int, Optional[int]], None]] = None,
    ) -> Response:
        """POST `body` to `url` and return the server's answer, whatever its status, with the whole reply body.

        `body` is bytes, a binary file (read in 64 KiB pieces, never whole) or
        an iterable of byte chunks consumed once; `length` is its size in
        bytes (required unless `body` is bytes), sent as Content-Length.
        `progress(bytes_sent, length)` is called per chunk.

        Retried, with the client's backoff, only when connecting or sending the
        headers failed: no byte of the body had left, so nothing can happen
        twice. Once a body byte was sent, a failure is a NetworkError saying how
        far it got, never a repeat: the caller decides whether repeating is
        safe. Statuses (5xx included) and redirects are answers, returned
        unfollowed: a redirect would need the body again. Credentials: a given
        Authorization header, else URL userinfo, else netrc, as for `get`.
        Each POST uses a fresh connection (a kept-alive one may have been
        closed by the server, which would only show once the body had gone).
        """
        if self.offline:
            raise OfflineError(f"cannot POST to {redact(url)}: the network is off (--offline)",
                               hint="run without --offline")
        if length is None:
            if not isinstance(body, (bytes, bytearray)):
                raise ValueError("post(): `length` is required unless `body` is bytes")
            length = len(body)
        target = parse_url(url)
        asked = dict(headers or {})
        asked["Content-Length"] = str(length)
        request_headers = self._request_headers(target, asked)
        chunks = body_chunks(body)
        for attempt in range(1, self._attempts + 1):
            try:
                reply = send_with_body(self._pool, self._connector, target, "POST", request_headers, chunks, length,
                                       progress)
            except NotSent as exc:
                failure = classify(exc.cause, timeout=self.timeout)
                if not failure.retryable or attempt == self._attempts:
                    raise self._failed(url, failure, attempt, method="POST") from None
                self._wait(attempt)
                continue
            except Cut as exc:
                raise self._cut(url, exc) from None
            try:
                with reply:
                    raw = reply.read()
            except PkmError:
                raise
            except Exception as exc:
                raise self._cut(url, Cut(exc, length, length), status=reply.status) from None
            return Response(url, reply.status, reply.headers, self._decode(url, reply.headers, raw),
                            reason=reply.reason or "")
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close idle connections (the client stays usable; new connections are not kept)."""
        self._pool.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------

    def _open(self, url: str, headers: Mapping[str, str]) -> Reply:
        """One attempt: the reply of the last redirect hop, body unread. Transport errors propagate raw;
        a refused redirect is a NetworkError."""
        current, asked = url, dict(headers)
        for _ in range(MAX_REDIRECTS + 1):
            target = parse_url(current)
            reply = self._transport.send(target, self._request_headers(target, asked))
            location = reply.headers.get("location")
            if reply.status not in REDIRECT_STATUSES or not location:
                return reply
            with reply:
                reply.read()
            current, asked = self._redirect(current, location, asked)
        raise self._too_many_redirects(url)

    def _wait(self, attempt: int, retry_after_value: Optional[str] = None) -> None:
        """Sleep before the attempt after `attempt`: the server's Retry-After (capped) or jittered backoff."""
        delay = retry_after(retry_after_value)
        if delay is None:
            delay = backoff_delay(self._backoff, attempt, self._rng)
        self._sleep(min(delay, self._retry_after_cap))

    def _failed(self, url: str, failure: Failure, attempts: int, method: str = "GET") -> NetworkError:
        """The NetworkError for a request that got no complete answer; secrets scrubbed."""
        plural = "s" if attempts != 1 else ""
        why = failure.why if not failure.retryable else f"{failure.why} (gave up after {attempts} attempt{plural})"
        secrets = self._secrets(url)
        return NetworkError(f"{method} {redact(url)} failed", why=scrub(why, secrets), hint=failure.hint)

    def _cut(self, url: str, cut: Cut, status: Optional[int] = None) -> NetworkError:
        """The NetworkError for a POST that failed after its body began to leave: how far it got, not retried."""
        failure = classify(cut.cause, timeout=self.timeout)
        if status is not None:
            why = f"the server answered HTTP {status}, but {failure.why} (the answer was cut)"
        elif cut.sent < cut.length:
            why = f"{failure.why}, after {cut.sent} of {cut.length} body bytes were sent"
        else:
            why = f"{failure.why}, after the whole body ({cut.length} bytes) was sent and before a complete answer"
        why += "; not repeated, since the server may have received it"
        return NetworkError(f"POST {redact(url)} failed", why=scrub(why, self._secrets(url)),
                            hint="check whether the server acted on the request before sending it again")

    def _follow(self, url: str, headers: Dict[str, str], max_bytes: Optional[int] = None) -> Response:
        current, asked = url, headers
        for _ in range(MAX_REDIRECTS + 1):
            response = self._with_retries(current, asked, max_bytes)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            current, asked = self._redirect(current, location, asked)
        raise self._too_many_redirects(url)

    def _with_retries(self, url: str, headers: Mapping[str, str], max_bytes: Optional[int] = None) -> Response:
        """One hop, attempted up to `attempts` times; the body read whole (up to `max_bytes`) and decoded."""
        target = parse_url(url)
        request_headers = self._request_headers(target, headers)
        for attempt in range(1, self._attempts + 1):
            try:
                with self._transport.send(target, request_headers) as reply:
                    raw = reply.read(max_bytes)
            except PkmError:
                raise
            except Exception as exc:
                failure = classify(exc, timeout=self.timeout)
                if not failure.retryable or attempt == self._attempts:
                    raise self._failed(url, failure, attempt) from None
                self._wait(attempt)
                continue
            if retryable_status(reply.status) and attempt < self._attempts:
                self._wait(attempt, reply.headers.get("retry-after"))
                continue
            return Response(url, reply.status, reply.headers, self._decode(url, reply.headers, raw),
                            reason=reply.reason or "")
        raise AssertionError("unreachable")  # pragma: no cover

    def _request_headers(self, target: Target, asked: Mapping[str, str]) -> List[Tuple[str, str]]:
        fields: Dict[str, Tuple[str, str]] = {}
        ranged = any(k.lower() == "range" for k in asked)
        defaults = [
            ("Host", target.host_header),
            ("User-Agent", self._user_agent),
            ("Accept", "*/*"),
            # a byte range of a gzip-encoded body would be a range of the compressed bytes
            ("Accept-Encoding", "identity" if ranged else "gzip"),
        ]
        for name, value in defaults + list(asked.items()):
            fields[name.lower()] = (name, value)
        if "authorization" not in fields:
            found = self._credentials.lookup(target)
            if found is not None:
                fields["authorization"] = ("Authorization", basic_auth(*found))
        return list(fields.values())

    def _redirect(self, current: str, location: str, headers: Mapping[str, str]) -> Tuple[str, Dict[str, str]]:
        nxt = urljoin(current, location.strip())
        old, new = urlsplit(current), urlsplit(nxt)
        scheme = new.scheme.lower()
        if scheme not in ("http", "https"):
            raise NetworkError(f"{redact(current)} redirected to {redact(nxt)}, which is not an http(s) URL",
                               hint="the server's redirect is wrong; use a direct http(s) URL")
        if old.scheme.lower() == "https" and scheme == "http":
            raise NetworkError(f"refused to follow a redirect from https to plain http: {redact(nxt)}",
                               why=f"{redact(current)} redirected there; that would expose the request",
                               hint="ask the server's operator to fix the redirect, or use an https URL")
        if _origin(old) != _origin(new):
            return nxt, {k: v for k, v in headers.items() if k.lower() not in _ORIGIN_BOUND}
        if "@" in old.netloc and "@" not in new.netloc:  # same origin: the URL's credentials still apply
            nxt = urlunsplit((new.scheme, old.netloc, new.path, new.query, new.fragment))
        return nxt, dict(headers)

    def _too_many_redirects(self, url: str) -> NetworkError:
        return NetworkError(f"GET {redact(url)} failed", why=f"more than {MAX_REDIRECTS} redirects (a redirect loop?)",
                            hint="check the URL; the server keeps redirecting")

    def _decode(self, url: str, headers: Headers, raw: bytes) -> bytes:
        coding = (headers.get("content-encoding") or "identity").strip().lower()
        if coding in ("identity", ""):
            return raw
        if coding in ("gzip", "x-gzip"):
            try:
                return gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as exc:
                raise NetworkError(f"GET {redact(url)} failed", why=f"the gzip-encoded body is corrupt ({exc})",
                                   hint="the server or a proxy in between is broken; retry later") from None
        raise NetworkError(f"GET {redact(url)} failed", why=f"unsupported Content-Encoding {coding!r}",
                           hint="the server sent an encoding pkm did not ask for")

    def _secrets(self, url: str) -> Tuple[str, ...]:
        try:
            target = parse_url(url)
        except PkmError:
            return ()
        found = self._credentials.lookup(target)
        secrets = (found[1],) if found else ()
        try:
            return secrets + self._connector.secrets(target.origin)
        except PkmError:  # a bad proxy URL: reported on its own when used
            return secrets


def _origin(parts) -> Tuple[str, Optional[str], Optional[int]]:
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _env_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UsageError(f"PKM_HTTP_TIMEOUT must be a positive number of seconds, not {value!r}",
                         hint="unset it, or set e.g. PKM_HTTP_TIMEOUT=60")
    return seconds
