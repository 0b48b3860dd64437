"""The HTTP cache: one file per (redacted URL, Accept), revalidated with ETag / Last-Modified, fresh for max-age.

File format (version 1): the line `pkm-http-cache 1`, one line of JSON
(status, a subset of the headers, when it was stored, the body's size and
sha256, the redacted final URL after redirects), then the body bytes. No
credentials ever reach a file: its name hashes the redacted URL, and the
stored headers are a fixed list that excludes anything request-specific.
A file that does not parse or whose body does not match its digest is treated
as absent (and replaced by the next store).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional
from urllib.parse import urlsplit, urlunsplit

from pkm._used import mark_used

from ._redact import redact
from ._response import Headers, Response

__all__ = ["HttpCache", "CacheEntry", "cache_control"]

_MAGIC = b"pkm-http-cache 1\n"
# What a revalidation or a cache hit needs; nothing that identifies the client.
_KEPT = ("content-type", "etag", "last-modified", "cache-control", "date", "age", "expires", "vary")


def cache_control(value: Optional[str]) -> Dict[str, Optional[str]]:
    """Directives of a Cache-Control value, names lower-cased: {'max-age': '60', 'no-cache': None}."""
    out: Dict[str, Optional[str]] = {}
    for item in (value or "").split(","):
        name, eq, arg = item.strip().partition("=")
        if name:
            out[name.strip().lower()] = arg.strip().strip('"') if eq else None
    return out


@dataclass
class CacheEntry:
    """A stored 200 answer."""

    key: str
    status: int
    headers: Dict[str, str]
    body: bytes
    stored_at: float
    redirected_to: Optional[str] = None  # final URL (no userinfo, redacted) when the answer came through redirects

    def fresh(self, now: float) -> bool:
        """True while max-age allows serving it without asking the server (never with no-cache)."""
        directives = cache_control(self.headers.get("cache-control"))
        if "no-cache" in directives or "no-store" in directives:
            return False
        try:
            max_age = int(directives.get("max-age") or "")
            initial_age = int(self.headers.get("age") or 0)
        except ValueError:
            return False
        return (now - self.stored_at) + initial_age < max_age

    def validators(self) -> Dict[str, str]:
        """Conditional-request headers for a revalidation (empty when the server gave no validator)."""
        out = {}
        if self.headers.get("etag"):
            out["If-None-Match"] = self.headers["etag"]
        if self.headers.get("last-modified"):
            out["If-Modified-Since"] = self.headers["last-modified"]
        return out

    def response(self, url: str) -> Response:
        return Response(url=self.redirected_to or url, status=self.status, headers=Headers(self.headers.items()),
                        body=self.body, from_cache=True)


class HttpCache:
    """Cache files under `root`; safe for concurrent threads and processes (temp file + rename)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def key(self, url: str, accept: str) -> str:
        return hashlib.sha256(f"{redact(url)}\n{accept}".encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.root / f"{key}.http"

    def load(self, url: str, accept: str) -> Optional[CacheEntry]:
        """The entry for `url` (as asked with `accept`), or None when absent or corrupt."""
        key = self.key(url, accept)
        try:
            raw = self.path(key).read_bytes()
        except OSError:
            return None
        try:
            if not raw.startswith(_MAGIC):
                return None
            meta_line, _, body = raw[len(_MAGIC):].partition(b"\n")
            meta = json.loads(meta_line)
            if len(body) != meta["size"] or hashlib.sha256(body).hexdigest() != meta["sha256"]:
                return None
            headers = {str(k).lower(): str(v) for k, v in meta["headers"].items()}
            entry = CacheEntry(key, int(meta["status"]), headers, body, float(meta["stored_at"]),
                               meta.get("redirected_to"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        mark_used(self.path(key))  # freshness comes from `stored_at`, not the mtime
        return entry

    def store(self, url: str, accept: str, response: Response, *, now: Optional[float] = None) -> Optional[CacheEntry]:
        """Keep a 200 answer unless it says no-store; returns the entry.

        A no-store 200, a 404 or a 410 removes an older entry; other failures
        leave it, so that a server's bad moment does not empty the offline cache.
        """
        key = self.key(url, accept)
        if response.status in (404, 410) or (
                response.status == 200 and "no-store" in cache_control(response.headers.get("cache-control"))):
            self._remove(key)
            return None
        if response.status != 200:
            return None
        headers = {name: response.headers[name] for name in _KEPT if name in response.headers}
        redirected = _without_userinfo(response.url) if response.url != url else None
        entry = CacheEntry(key, 200, headers, response.body, time.time() if now is None else now, redirected)
        self._write(entry)
        return entry

    def refresh(self, entry: CacheEntry, headers: Mapping[str, str], *, now: Optional[float] = None) -> CacheEntry:
        """After a 304: take the new validators and freshness headers, restart the entry's age."""
        for name in _KEPT:
            value = headers.get(name)
            if value is not None and name not in ("content-type",):
                entry.headers[name] = value
        if "age" not in headers:
            entry.headers.pop("age", None)
        entry.stored_at = time.time() if now is None else now
        self._write(entry)
        return entry

    def _write(self, entry: CacheEntry) -> None:
        """Write `entry` atomically; a failure to write (read-only or full disk) only costs the caching."""
        try:
            self._write_file(entry)
        except OSError:
            pass

    def _write_file(self, entry: CacheEntry) -> None:
        meta = {
            "status": entry.status,
            "headers": entry.headers,
            "stored_at": entry.stored_at,
            "size": len(entry.body),
            "sha256": hashlib.sha256(entry.body).hexdigest(),
            "redirected_to": entry.redirected_to,
        }
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".http")
        except FileNotFoundError:  # the first entry (asking first would cost every store a call)
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".http")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + json.dumps(meta, sort_keys=True).encode("utf-8") + b"\n")
                f.write(entry.body)  # apart: pages are megabytes, not worth a copy
            os.replace(tmp, self.path(entry.key))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _remove(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except OSError:
            pass


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return redact(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))

