"""Reading a remote wheel's METADATA or member names by HTTP range requests on its zip central directory.

Costs two or three requests whatever the wheel's size: the tail (end of
central directory, usually the central directory itself), the central
directory if it did not fit, and the METADATA member (often already in the
tail for small wheels); member names need only the first two. A server that
ignores `Range` answers 200 with the whole file; then the zip is read from
memory. Pure apart from the `fetch` callable; malformed archives raise
BadWheel (a ValueError) with the reason.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

from packaging.utils import canonicalize_name

__all__ = ["BadWheel", "RangeAnswer", "metadata_from_ranges", "metadata_from_zip", "members_from_ranges",
           "members_from_zip", "TAIL_BYTES", "MAX_METADATA_BYTES"]

# The end-of-central-directory record is 22 bytes plus a comment of at most 65,535.
TAIL_BYTES = 65536 + 22
MAX_METADATA_BYTES = 16 * 1024 * 1024
MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_LENGTHS = struct.Struct("<4s24x3H")  # a central header's signature, name, extra and comment lengths
_METADATA_SUFFIX = b".dist-info/METADATA"

# (status, Content-Range header or "", body) for one GET with a Range header.
RangeAnswer = Tuple[int, str, bytes]


class BadWheel(ValueError):
    """The bytes are not a wheel we can read METADATA or member names from; the message says why."""


def metadata_from_ranges(fetch: Callable[[str], RangeAnswer], project: str) -> Tuple[bytes, Optional[bytes]]:
    """(METADATA bytes, the whole file when the server ignored ranges, else None).

    `fetch(range_header_value)` performs the GET; `project` picks the right
    `.dist-info` directory.
    """
    remote = _Remote(fetch)
    status, tail_start, tail = remote.first(f"bytes=-{TAIL_BYTES}")
    if status == 200:
        return metadata_from_zip(tail, project), tail
    members = _read_central_directory(remote, tail_start, tail, only=_METADATA_SUFFIX)
    name = _pick_metadata(list(members), project)
    offset, method, csize, usize, crc, flags = members[name]
    if flags & 0x1:
        raise BadWheel(f"{name} is encrypted")
    # One request for header + data: the local extra field is usually as long as the central one.
    guess_end = min(offset + _LOCAL.size + len(name.encode()) + 256 + csize, remote.total)
    if offset + _LOCAL.size > guess_end:
        raise BadWheel(f"the local header of {name} lies outside the file")
    remote.prefetch(offset, guess_end)
    head = remote.read(offset, offset + _LOCAL.size)
    if head[:4] != b"PK\x03\x04":
        raise BadWheel(f"the local header of {name} is missing")
    nlen, xlen = _LOCAL.unpack(head)[9:11]
    start = offset + _LOCAL.size + nlen + xlen
    if start + csize > remote.total:
        raise BadWheel(f"{name} extends past the end of the file")
    data = remote.read(start, start + csize)
    return _inflate(name, method, data, usize, crc), None


def metadata_from_zip(source: Union[bytes, Path], project: str) -> bytes:
    """The METADATA member of a whole wheel: its bytes in memory, or a local file."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            name = _pick_metadata(archive.namelist(), project)
            info = archive.getinfo(name)
            if info.file_size > MAX_METADATA_BYTES:
                raise BadWheel(f"{name} is implausibly large ({info.file_size} bytes)")
            return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise BadWheel(f"not a readable zip archive: {exc}") from None


def members_from_ranges(fetch: Callable[[str], RangeAnswer]) -> Tuple[List[str], Optional[bytes]]:
    """(the wheel's member names in archive order, the whole file when the server ignored ranges, else None).

    Only the central directory is read: one request when it fits the tail
    (most wheels), two otherwise; no member data is fetched.
    """
    remote = _Remote(fetch)
    status, tail_start, tail = remote.first(f"bytes=-{TAIL_BYTES}")
    if status == 200:
        return members_from_zip(tail), tail
    return list(_read_central_directory(remote, tail_start, tail)), None


def members_from_zip(source: Union[bytes, Path]) -> List[str]:
    """The member names of a whole wheel (its bytes in memory, or a local file), in archive order."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise BadWheel(f"not a readable zip archive: {exc}") from None


class _Remote:
    """A remote file read by ranges; chunks already fetched are reused."""

    def __init__(self, fetch: Callable[[str], RangeAnswer]):
        self._fetch = fetch
        self._chunks: List[Tuple[int, bytes]] = []
        self.total = 0

    def first(self, spec: str) -> Tuple[int, int, bytes]:
        status, content_range, body = self._fetch(spec)
        if status == 200:
            return 200, 0, body
        start = self._store(status, content_range, body, require_total=True)
        return status, start, body

    def prefetch(self, start: int, end: int) -> None:
        if not self._covered(start, end):
            self._get(start, end)

    def read(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file."""
        if start < 0 or end > self.total or end < start:
            raise BadWheel(f"offsets {start}-{end} lie outside the file ({self.total} bytes)")
        found = self._covered(start, end)
        return found if found is not None else self._get(start, end)

    def _covered(self, start: int, end: int) -> Optional[bytes]:
        for at, chunk in self._chunks:
            if at <= start and end <= at + len(chunk):
                return chunk[start - at : end - at]
        return None

    def _get(self, start: int, end: int) -> bytes:
        if end == start:
            return b""
        status, content_range, body = self._fetch(f"bytes={start}-{end - 1}")
        if status == 200:
            # The server stopped honouring ranges midway: the body is the whole file.
            self._chunks.append((0, body))
            if len(body) != self.total:
                raise BadWheel("the file changed size between requests")
            return body[start:end]
        self._store(status, content_range, body, require_total=False)
        found = self._covered(start, end)
        if found is None:
            raise BadWheel(f"the server answered range {content_range!r} for bytes {start}-{end - 1}")
        return found

    def _store(self, status: int, content_range: str, body: bytes, *, require_total: bool) -> int:
        if status != 206:
            raise BadWheel(f"the server answered HTTP {status} to a range request")
        unit, _, spec = content_range.strip().partition(" ")
        span, _, total = spec.partition("/")
        first, _, last = span.partition("-")
        try:
            start, end = int(first), int(last)
            size = int(total) if total.strip() != "*" else None
        except ValueError:
            raise BadWheel(f"unreadable Content-Range {content_range!r}") from None
        if unit.lower() != "bytes" or end - start + 1 != len(body) or (size is None and require_total):
            raise BadWheel(f"Content-Range {content_range!r} does not describe the {len(body)} bytes sent")
        if require_total:
            self.total = size or 0
        elif size is not None and size != self.total:
            raise BadWheel("the file changed size between requests")
        self._chunks.append((start, body))
        return start


def _read_central_directory(remote: _Remote, tail_start: int, tail: bytes,
                            only: Optional[bytes] = None) -> Dict[str, Tuple[int, int, int, int, int, int]]:
    """The central directory of a file whose last bytes, from `tail_start`, are `tail`; fetched when the tail lacks it.
    With `only`, just the members whose raw name ends with those bytes (see `_central_directory`)."""
    eocd_at = _find_eocd(tail)
    _, _, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, eocd_at)
    if 0xFFFFFFFF in (cd_size, cd_offset) or count == 0xFFFF:
        locator = tail[eocd_at - _ZIP64_LOCATOR.size : eocd_at] if eocd_at >= _ZIP64_LOCATOR.size else b""
        if len(locator) != _ZIP64_LOCATOR.size or locator[:4] != b"PK\x06\x07":
            raise BadWheel("zip64 end of central directory locator is missing")
        record_at = _ZIP64_LOCATOR.unpack(locator)[2]
        record = remote.read(record_at, record_at + _ZIP64_EOCD.size)
        if record[:4] != b"PK\x06\x06":
            raise BadWheel("zip64 end of central directory record is missing")
        cd_size, cd_offset = _ZIP64_EOCD.unpack(record)[8:10]
    if cd_size > MAX_CENTRAL_DIRECTORY_BYTES or cd_offset + cd_size > tail_start + eocd_at:
        raise BadWheel("the central directory lies outside the file or is implausibly large")
    return _central_directory(remote.read(cd_offset, cd_offset + cd_size), only)


def _find_eocd(tail: bytes) -> int:
    at = len(tail)
    while True:
        at = tail.rfind(b"PK\x05\x06", 0, at)
        if at < 0:
            raise BadWheel("no end of central directory record: not a zip archive")
        if at + _EOCD.size <= len(tail):
            comment = _EOCD.unpack_from(tail, at)[7]
            if at + _EOCD.size + comment == len(tail):  # the comment ends the file
                return at


def _central_directory(data: bytes, only: Optional[bytes] = None) -> Dict[str, Tuple[int, int, int, int, int, int]]:
    """name -> (local header offset, method, compressed size, size, crc, flags) for each member.

    With `only` (ASCII), just the members whose raw name ends with it: a wheel's METADATA is
    looked for among thousands of members (botocore), and the rest need no decoding. ASCII
    bytes decode to themselves in both zip encodings (UTF-8, cp437), so the filter agrees with
    one on decoded names."""
    members = {}
    at = 0
    size = len(data)
    while at + _CENTRAL.size <= size:
        if only is not None:
            signature, nlen, xlen, clen = _LENGTHS.unpack_from(data, at)
            if signature != b"PK\x01\x02":
                raise BadWheel("corrupt central directory")
            if not data.endswith(only, at + _CENTRAL.size, at + _CENTRAL.size + nlen):
                at += _CENTRAL.size + nlen + xlen + clen
                continue
        fields = _CENTRAL.unpack_from(data, at)
        if fields[0] != b"PK\x01\x02":
            raise BadWheel("corrupt central directory")
        flags, method, crc, csize, usize, nlen, xlen, clen, offset = (
            fields[3], fields[4], fields[7], fields[8], fields[9], fields[10], fields[11], fields[12], fields[16])
        raw_name = data[at + _CENTRAL.size : at + _CENTRAL.size + nlen]
        extra = data[at + _CENTRAL.size + nlen : at + _CENTRAL.size + nlen + xlen]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        usize, csize, offset = _zip64_extra(extra, usize, csize, offset)
        members[name] = (offset, method, csize, usize, crc, flags)
        at += _CENTRAL.size + nlen + xlen + clen
    return members


def _zip64_extra(extra: bytes, usize: int, csize: int, offset: int) -> Tuple[int, int, int]:
    at = 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<2H", extra, at)
        if kind == 0x0001:
            values = list(struct.unpack_from(f"<{min(size, 24) // 8}Q", extra, at + 4))
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        at += 4 + size
    return usize, csize, offset


def _pick_metadata(names: List[str], project: str) -> str:
    """The `<name>-<version>.dist-info/METADATA` member for `project` (lenient if only one exists)."""
    candidates = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
    wanted = canonicalize_name(project)
    ours = [n for n in candidates if canonicalize_name(n.split("/")[0][: -len(".dist-info")].rsplit("-", 1)[0]) == wanted]
    if len(ours) == 1:
        return ours[0]
    if len(candidates) == 1 and not ours:
        return candidates[0]
    if not candidates:
        raise BadWheel("it has no .dist-info/METADATA")
    raise BadWheel(f"it has several .dist-info directories: {', '.join(sorted(candidates))}")


def _inflate(name: str, method: int, data: bytes, usize: int, crc: int) -> bytes:
    if usize > MAX_METADATA_BYTES:
        raise BadWheel(f"{name} is implausibly large ({usize} bytes)")
    if method == 0:
        out = data
    elif method == 8:
        try:
            inflater = zlib.decompressobj(-15)
            out = inflater.decompress(data, MAX_METADATA_BYTES + 1)
        except zlib.error as exc:
            raise BadWheel(f"{name} does not inflate: {exc}") from None
    else:
        raise BadWheel(f"{name} uses compression method {method}; wheels use stored or deflate")
    if len(out) != usize or zlib.crc32(out) != crc:
        raise BadWheel(f"{name} fails its size or CRC check")
    return out
