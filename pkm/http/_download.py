"""Streaming a file to disk: hashed as it arrives, resumed after a cut, verified before an atomic rename."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Tuple

from pkm.errors import HashMismatchError, NetworkError, PkmError

from ._exchange import Reply
from ._redact import redact
from ._response import Response
from ._retry import Failure, classify, retryable_status

__all__ = ["Attempts", "download_to"]

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
Progress = Callable[[int, Optional[int]], None]


@dataclass(frozen=True)
class Attempts:
    """What a download needs from the client: one reply per attempt, the pause between attempts, the final error."""

    open: Callable[[str, Mapping[str, str]], Reply]  # redirects followed; transport errors raised as they are
    pause: Callable[[int, Optional[str]], None]  # (attempt just failed, Retry-After or None)
    failed: Callable[[str, Failure, int], NetworkError]  # (url, failure, attempts made)
    limit: int
    timeout: float


class _Partial:
    """The bytes received so far: the temp file, its running sha256, and how to resume it."""

    def __init__(self, file, where: Path):
        self.file = file
        self.where = where  # the temp directory, for messages
        self.hasher = hashlib.sha256()
        self.received = 0
        self.total: Optional[int] = None
        self.validator: Optional[str] = None  # strong ETag or Last-Modified: what If-Range compares

    def restart(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.hasher = hashlib.sha256()
        self.received = 0

    def add(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as exc:  # a local failure: not the network's, and not worth a retry
            raise _write_error(self.where, exc) from None
        self.hasher.update(data)
        self.received += len(data)


def download_to(client: Attempts, url: str, dest: Path, *, tmp_dir: Path, sha256: Optional[str],
                size: Optional[int], progress: Optional[Progress]) -> Path:
    """See HttpClient.download. Each cut, reset or retryable status is one attempt."""
    try:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=".download-", suffix=".part")
    except OSError as exc:
        raise _write_error(tmp_dir, exc) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as file:
            partial = _Partial(file, tmp_dir)
            _fetch(client, url, partial, size, progress)
            file.flush()
            os.fsync(file.fileno())
        _verify(url, partial, sha256, size)
        _move_into_place(tmp, dest)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    return dest


def _fetch(client: Attempts, url: str, partial: _Partial, size: Optional[int], progress: Optional[Progress]) -> None:
    for attempt in range(1, client.limit + 1):
        headers = {"Accept-Encoding": "identity"}
        resuming = partial.received > 0 and partial.validator is not None
        if resuming:
            headers["Range"] = f"bytes={partial.received}-"
            headers["If-Range"] = partial.validator  # type: ignore[assignment]
        elif partial.received:
            partial.restart()  # nothing to prove the server's file is the same one: start over
        retry_after = None
        try:
            with client.open(url, headers) as reply:
                if retryable_status(reply.status) and attempt < client.limit:
                    retry_after = reply.headers.get("retry-after")
                else:
                    _start(url, reply, partial, resuming, size)
                    for data in reply.chunks():
                        partial.add(data)
                        if size is not None and partial.received > size:
                            raise HashMismatchError(
                                f"{redact(url)} is larger than the expected {size} bytes",
                                hint="the index metadata and the file disagree; report it to the index")
                        if progress is not None:
                            progress(partial.received, partial.total)
                    return
        except PkmError:
            raise
        except _RangeMismatch:
            partial.restart()
            partial.validator = None
            if attempt == client.limit:
                raise client.failed(url, Failure(True, "the server resumed the download at the wrong offset"),
                                    attempt) from None
        except Exception as exc:
            failure = classify(exc, timeout=client.timeout)
            if not failure.retryable or attempt == client.limit:
                raise client.failed(url, failure, attempt) from None
        client.pause(attempt, retry_after)


def _start(url: str, reply: Reply, partial: _Partial, resuming: bool, size: Optional[int]) -> None:
    """Check the status and position the partial file for this reply's body."""
    if reply.status == 206 and resuming:
        span = _content_range(reply.headers.get("content-range"))
        if span is None or span[0] != partial.received:
            raise _RangeMismatch()
        if span[1] is not None:
            partial.total = span[1]
        return
    if reply.status == 200:
        if partial.received:
            partial.restart()  # the server ignored the range (or the file changed): take it all again
        partial.total = _int(reply.headers.get("content-length"))
        if partial.total is None:
            partial.total = size
        partial.validator = _validator(reply.headers)
        return
    with reply:
        body = reply.read()
    Response(url, reply.status, reply.headers, body).raise_for_status()
    raise NetworkError(f"GET {redact(url)} failed", why=f"unexpected HTTP {reply.status} for a download",
                       hint="the server answered something other than the file; check the URL")


class _RangeMismatch(Exception):
    """A 206 that does not continue where the partial file ends (retried from scratch)."""


def _content_range(value: Optional[str]) -> Optional[Tuple[int, Optional[int]]]:
    match = _CONTENT_RANGE.match((value or "").strip())
    if match is None:
        return None
    total = match.group(3)
    return int(match.group(1)), (int(total) if total != "*" else None)


def _validator(headers) -> Optional[str]:
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):  # If-Range needs a strong validator
        return etag
    return headers.get("last-modified") or None


def _int(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _verify(url: str, partial: _Partial, sha256: Optional[str], size: Optional[int]) -> None:
    if size is not None and partial.received != size:
        raise HashMismatchError(f"{redact(url)} is {partial.received} bytes, expected {size}",
                                hint="the index metadata and the file disagree; retry, and report it to the index if it persists")
    if sha256 is not None:
        got = partial.hasher.hexdigest()
        if got != sha256.lower():
            raise HashMismatchError(f"hash mismatch for {redact(url)}",
                                    why=f"expected sha256:{sha256.lower()}\n     got sha256:{got}",
                                    hint="the file changed on the server or was corrupted in transit; retry, "
                                         "and report it to the index if it persists")


def _move_into_place(tmp: Path, dest: Path) -> None:
    """Rename `tmp` to `dest` atomically; across filesystems, copy next to `dest` first, then rename."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(tmp, dest)
            return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        fd, near_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        near = Path(near_name)
        try:
            with os.fdopen(fd, "wb") as out, open(tmp, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.replace(near, dest)
            tmp.unlink()
        except BaseException:
            try:
                near.unlink()
            except OSError:
                pass
            raise
    except OSError as exc:
        raise _write_error(dest.parent, exc) from None


def _write_error(where: Path, exc: OSError) -> PkmError:
    return PkmError(f"cannot write a download into {where}", why=exc.strerror or str(exc),
                    hint="check the free space and the permissions of that directory")
