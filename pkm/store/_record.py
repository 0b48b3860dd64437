"""RECORD files: hashing, parsing, writing, and the policy a wheel's RECORD must meet.

RECORD policy (PEP 427/491), applied when the store unpacks a wheel, when the
installer reads a `.whl` or a store tree, and by `pkm store verify`:

- every regular file of the wheel must be listed in RECORD with a strong hash
  (sha256, sha384 or sha512) and its size, and both must match the bytes; the
  exceptions are RECORD itself and its signatures (`RECORD.jws`, `RECORD.p7s`);
  a file missing from RECORD is an error;
- a file listed in RECORD but absent from the wheel is an error, and so is a
  path listed twice;
- directories (zip entries ending in `/`) are not files and need no row.

A store tree may also hold `__pycache__/*.pyc` the store compiled after
unpacking (never over a file the wheel shipped); those are the only unlisted
files a tree may have.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Mapping, Optional, Tuple

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pkm.errors import PkmError
from pkm.store._members import refuse

__all__ = ["RecordRow", "STRONG_ALGORITHMS", "encode_digest", "hash_bytes", "hash_stream", "hash_path",
           "parse_record", "render_record", "render_record_rows", "is_signature", "is_bytecode", "parse_dist_info",
           "find_dist_info", "check_record", "algorithm_of"]

# PEP 376/427: md5 and sha1 are refused; these are the algorithms a RECORD may use.
STRONG_ALGORITHMS = ("sha256", "sha384", "sha512")
_CHUNK = 1 << 20
_first = itemgetter(0)


@dataclass(frozen=True)
class RecordRow:
    """One RECORD line: a path (relative to the RECORD's root directory), `algo=digest` or "", size or None."""

    path: str
    hash: str = ""
    size: Optional[int] = None


def encode_digest(algorithm: str, digest: bytes) -> str:
    """`sha256=<urlsafe base64 without padding>`, the RECORD spelling of a digest."""
    return f"{algorithm}=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_bytes(data: bytes, algorithm: str = "sha256") -> str:
    return encode_digest(algorithm, hashlib.new(algorithm, data).digest())


def hash_stream(stream: BinaryIO, algorithm: str = "sha256", *, limit: Optional[int] = None,
                sink: Optional[Callable[[bytes], object]] = None) -> Tuple[str, int]:
    """(RECORD digest, byte count) of everything `stream` yields; reads at most `limit + 1` bytes.

    Cost: one pass over the data in 1 MiB chunks. With `limit`, reading stops as soon as the
    stream proves longer than the limit, so a lying archive cannot make us read without end.
    `sink` receives every chunk (to write while hashing).
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
        if sink is not None:
            sink(chunk)
    return encode_digest(algorithm, h.digest()), size


def hash_path(path: Path, algorithm: str = "sha256") -> Tuple[str, int]:
    """(RECORD digest, size) of the file at `path`."""
    with open(path, "rb") as f:
        return hash_stream(f, algorithm)


def algorithm_of(row: Optional[RecordRow]) -> str:
    """The hashlib algorithm to hash a file with for `row` (sha256 when the row names none we have)."""
    algorithm = row.hash.partition("=")[0] if row is not None else ""
    return algorithm if algorithm in hashlib.algorithms_available else "sha256"


def parse_record(data: bytes, *, where: str) -> list:
    """The RecordRows of a RECORD file, in order. `where` names the file in errors.

    Lenient about what installers write (empty hash or size), strict about shape: a row has
    three fields, a size is a non-negative integer, a hash is `algo=value`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PkmError(f"{where} is not valid UTF-8", why=str(exc), hint="the wheel is damaged; rebuild it") from None
    rows = []
    try:
        for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not fields:
                continue
            if len(fields) != 3 or not fields[0]:
                raise PkmError(f"{where}: line {number} is not `path,hash,size`", why=f"found {fields!r}",
                               hint="the wheel's RECORD is malformed; rebuild the wheel")
            path, digest, size_text = fields
            size = None
            if size_text:
                if not size_text.isdigit():
                    raise PkmError(f"{where}: line {number} has a bad size {size_text!r}", hint="rebuild the wheel")
                size = int(size_text)
            if digest and "=" not in digest:
                raise PkmError(f"{where}: line {number} has a bad hash {digest!r}", hint="rebuild the wheel")
            rows.append(RecordRow(path, digest, size))
    except csv.Error as exc:
        raise PkmError(f"{where} is not a valid CSV file", why=str(exc), hint="rebuild the wheel") from None
    return rows


def render_record(rows: Iterable[RecordRow]) -> bytes:
    """RECORD bytes, rows sorted by path (deterministic output), `\\n` line ends."""
    return render_record_rows([(row.path, row.hash, row.size) for row in rows])


def render_record_rows(rows: Iterable[Tuple[str, str, Optional[int]]]) -> bytes:
    """`render_record` of (path, hash, size or None) tuples: the same bytes, without a RecordRow each.

    Cost: one string per row. The CSV writer runs only when a field needs quoting (it holds
    a `,`, `"` or a line end), which no conforming wheel's file names do.
    """
    ordered = sorted(rows, key=_first)
    text = "".join([f"{path},{digest},{'' if size is None else size}\n" for path, digest, size in ordered])
    if text.count(",") == 2 * len(ordered) and text.count("\n") == len(ordered) and '"' not in text \
            and "\r" not in text:
        return text.encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for path, digest, size in ordered:
        writer.writerow((path, digest, "" if size is None else size))
    return out.getvalue().encode("utf-8")


def is_signature(path: str, dist_info: str) -> bool:
    return path in (f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s")


def is_bytecode(path: str) -> bool:
    """A `.pyc` inside a `__pycache__` directory (what an interpreter or the store compiles)."""
    return path.endswith(".pyc") and "/__pycache__/" in f"/{path}"


def parse_dist_info(dirname: str) -> Optional[Tuple[str, str]]:
    """(name, version) of a `<name>-<version>.dist-info` directory name, or None if it is not one.

    Conforming names escape `-` in the name as `_`; older tools left it, so the name
    ends at the first `-` after which a valid version follows ("foo-bar-1.0" is foo-bar
    1.0, never foo). Without a valid version the split is at the first `-`.
    """
    if not dirname.endswith(".dist-info"):
        return None
    stem = dirname[: -len(".dist-info")]
    dashes = [i for i, c in enumerate(stem) if c == "-"]
    if not dashes or dashes[0] == 0:
        return None
    for i in dashes:
        try:
            Version(stem[i + 1:])
        except InvalidVersion:
            continue
        return stem[:i], stem[i + 1:]
    return stem[: dashes[0]], stem[dashes[0] + 1:]


def find_dist_info(wheel: str, paths: Iterable[str], name: Optional[str], version: Optional[str], *,
                   verb: str = "install") -> str:
    """The one `.dist-info` directory among the top-level directories of `paths`.

    Checks its name and version against the expected ones if given, and refuses a
    top-level `.data` directory that does not belong to this distribution.
    """
    tops = {p.split("/", 1)[0] for p in paths if "/" in p}
    infos = sorted(t for t in tops if t.endswith(".dist-info"))
    if len(infos) != 1:
        why = "it has none" if not infos else "it has " + ", ".join(infos)
        raise refuse(verb, wheel, "a wheel holds exactly one .dist-info directory", why=why)
    info = infos[0]
    parsed = parse_dist_info(info)
    if parsed is None:
        raise refuse(verb, wheel, f"{info!r} is not named NAME-VERSION.dist-info")
    if name is not None and version is not None:
        try:
            same = canonicalize_name(parsed[0]) == canonicalize_name(name) and Version(parsed[1]) == Version(version)
        except InvalidVersion:
            same = False
        if not same:
            raise refuse(verb, wheel, f"its metadata directory {info!r} is for another distribution",
                         why=f"the wheel is {name} {version}")
    stem = info[: -len(".dist-info")]
    for top in sorted(tops):
        if top.endswith(".data") and top != f"{stem}.data":
            raise refuse(verb, wheel, f"stray data directory {top!r}", why=f"only {stem}.data is allowed")
    return info


def check_record(wheel: str, dist_info: str, rows: list, actual: Mapping[str, Tuple[str, int]], *,
                 extra_ok: Callable[[str], bool] = lambda path: False, verb: str = "install") -> dict:
    """Apply the RECORD policy (see the module docstring). `actual` maps path -> (digest, size).

    An entry of `actual` with an empty digest is checked for size only (a trusted store
    tree). `extra_ok(path)` allows an unlisted file. Returns the rows by path. Raises
    UnsafeArchiveError. Cost: pure, linear in the rows.
    """
    by_path: dict = {}
    for row in rows:
        if row.path.endswith("/"):
            continue
        if row.path in by_path:
            raise refuse(verb, wheel, f"RECORD lists {row.path!r} twice")
        by_path[row.path] = row
    record_path = f"{dist_info}/RECORD"
    for path, (digest, size) in sorted(actual.items()):
        if path == record_path or is_signature(path, dist_info):
            continue
        row = by_path.get(path)
        if row is None:
            if extra_ok(path):
                continue
            raise refuse(verb, wheel, f"{path!r} is not listed in RECORD", why="every file must be listed with its hash")
        algorithm = row.hash.partition("=")[0]
        if algorithm not in STRONG_ALGORITHMS:
            why = "it has no hash" if not row.hash else \
                f"{algorithm!r} is not an accepted algorithm ({', '.join(STRONG_ALGORITHMS)})"
            raise refuse(verb, wheel, f"RECORD entry for {path!r} is unusable", why=why)
        if row.size is None:
            raise refuse(verb, wheel, f"RECORD entry for {path!r} has no size")
        if row.size != size:
            raise refuse(verb, wheel, f"{path!r} does not match RECORD",
                         why=f"RECORD says {row.size} bytes, the file has {size}")
        if digest and algorithm == digest.partition("=")[0] and digest != row.hash:
            raise refuse(verb, wheel, f"{path!r} does not match RECORD", why=f"RECORD says {row.hash}, the file has {digest}")
    missing = sorted(p for p in by_path if p not in actual and p != record_path and not is_signature(p, dist_info))
    if missing:
        raise refuse(verb, wheel, "RECORD lists files the wheel does not have",
                     why=", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
    return by_path
