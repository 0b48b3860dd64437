"""RECORD files: hashing, parsing and writing the inventory a wheel ships and an install leaves."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from pkm.errors import PkmError

__all__ = ["RecordRow", "STRONG_ALGORITHMS", "encode_digest", "hash_bytes", "hash_file", "hash_stream", "parse_record", "render_record"]

# PEP 376/427: md5 and sha1 are refused; these are the algorithms a RECORD may use.
STRONG_ALGORITHMS = ("sha256", "sha384", "sha512")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RecordRow:
    """One RECORD line: a path (relative to the RECORD's root directory), `algo=digest` or "", size or None."""

    path: str
    hash: str = ""
    size: int | None = None


def encode_digest(algorithm: str, digest: bytes) -> str:
    """`sha256=<urlsafe base64 without padding>`, the RECORD spelling of a digest."""
    return f"{algorithm}=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_bytes(data: bytes, algorithm: str = "sha256") -> str:
    return encode_digest(algorithm, hashlib.new(algorithm, data).digest())


def hash_stream(stream: BinaryIO, algorithm: str = "sha256", *, limit: int | None = None) -> tuple[str, int]:
    """(RECORD digest, byte count) of everything `stream` yields; reads at most `limit + 1` bytes.

    Cost: one pass over the data in 1 MiB chunks. With `limit`, reading stops as soon as the
    stream proves longer than the limit, so a lying archive cannot make us read without end.
    """
    h = hashlib.new(algorithm)
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        h.update(chunk)
        if limit is not None and size > limit:
            break
    return encode_digest(algorithm, h.digest()), size


def hash_file(path: Path, algorithm: str = "sha256") -> tuple[str, int]:
    with open(path, "rb") as f:
        return hash_stream(f, algorithm)


def parse_record(data: bytes, *, where: str) -> list[RecordRow]:
    """The rows of a RECORD file, in order. `where` names the file in errors.

    Lenient about what installers write (empty hash or size), strict about shape: a row has
    three fields, a size is a non-negative integer, a hash is `algo=value`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PkmError(f"{where} is not valid UTF-8", why=str(exc), hint="the wheel is damaged; rebuild it") from None
    rows = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields:
            continue
        if len(fields) != 3 or not fields[0]:
            raise PkmError(
                f"{where}: line {number} is not `path,hash,size`",
                why=f"found {fields!r}",
                hint="the wheel's RECORD is malformed; rebuild the wheel",
            )
        path, digest, size_text = fields
        size = None
        if size_text:
            if not size_text.isdigit():
                raise PkmError(f"{where}: line {number} has a bad size {size_text!r}", hint="rebuild the wheel")
            size = int(size_text)
        if digest and "=" not in digest:
            raise PkmError(f"{where}: line {number} has a bad hash {digest!r}", hint="rebuild the wheel")
        rows.append(RecordRow(path, digest, size))
    return rows


def render_record(rows: Iterable[RecordRow]) -> bytes:
    """RECORD bytes, rows sorted by path (deterministic output), `\\n` line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in sorted(rows, key=lambda r: r.path):
        writer.writerow((row.path, row.hash, "" if row.size is None else row.size))
    return out.getvalue().encode("utf-8")
