"""Local helpers of the index client: per-key memo for threads, hash checks, verified copies, find-links."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import urllib.parse
from concurrent.futures import Future
from pathlib import Path
from typing import Callable, Dict, Hashable, List, Mapping, Optional, Tuple, TypeVar

from packaging.version import InvalidVersion, Version

from pkm.errors import HashMismatchError, NotFoundError

from ._model import Artifact, parse_artifact_filename, redact_url

__all__ = ["Memo", "check_hashes", "check_file_hashes", "best_hash", "copy_verified", "local_path", "scan_directory", "sort_versions",
           "write_cache_file"]

T = TypeVar("T")

# Strongest first; anything else hashlib knows comes after, and unknown names are ignored.
_PREFERRED = ("sha256", "sha384", "sha512", "sha3_256", "blake2b", "sha224", "sha1", "md5")


class Memo:
    """Computes each key once even when threads ask together; results and exceptions are both remembered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: Dict[Hashable, Future] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if owner:
                slot = self._slots[key] = Future()
        assert slot is not None
        if owner:
            try:
                slot.set_result(compute())
            except Exception as exc:
                slot.set_exception(exc)
            except BaseException:  # interrupted: let a later caller try again
                with self._lock:
                    self._slots.pop(key, None)
                slot.cancel()
                raise
        return slot.result()


def best_hash(hashes: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """The strongest (algorithm, hex digest) pair of `hashes` that hashlib can compute, or None."""
    known = [a for a in _PREFERRED if a in hashes]
    known += sorted(a for a in hashes if a not in _PREFERRED and a in hashlib.algorithms_available)
    return (known[0], hashes[known[0]].lower()) if known else None


def check_hashes(data: bytes, hashes: Mapping[str, str], *, what: str, url: str) -> None:
    """Raise HashMismatchError when `data` does not match the strongest known hash in `hashes`."""
    pair = best_hash(hashes)
    if pair is not None:
        _compare(pair, hashlib.new(pair[0], data).hexdigest(), what=what, url=url)


def check_file_hashes(path: Path, hashes: Mapping[str, str], *, what: str, url: str) -> None:
    """check_hashes for a file, read in blocks."""
    pair = best_hash(hashes)
    if pair is None:
        return
    digest = hashlib.new(pair[0])
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    _compare(pair, digest.hexdigest(), what=what, url=url)


def _compare(pair: Tuple[str, str], got: str, *, what: str, url: str) -> None:
    algorithm, expected = pair
    if got != expected:
        raise HashMismatchError(
            f"{what} does not match its {algorithm} hash",
            why=f"expected {expected}\n     got {got}\nfrom {redact_url(url)}",
            hint="the index served inconsistent data; retry, and report it to the index's maintainers if it persists",
        )


def local_path(url: str) -> Path:
    """The filesystem path of a `file:` URL."""
    from urllib.request import url2pathname  # ~5 ms of imports that only local sources need

    return Path(url2pathname(urllib.parse.urlsplit(url).path))


def copy_verified(source: Path, dest: Path, *, tmp_dir: Path, hashes: Mapping[str, str], size: Optional[int]) -> Path:
    """Copy a local artifact to `dest` through a temp file in `tmp_dir`, checking size and hash first."""
    pair = best_hash(hashes)
    digest = hashlib.new(pair[0]) if pair else None
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=".pkm-", suffix=".part")
    try:
        written = 0
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                out.write(block)
                written += len(block)
                if digest is not None:
                    digest.update(block)
            out.flush()
            os.fsync(out.fileno())
        if size is not None and written != size:
            raise HashMismatchError(f"{source.name} has {written} bytes, expected {size}",
                                    hint="the file changed after it was listed; list it again")
        if pair is not None and digest is not None and digest.hexdigest() != pair[1]:
            raise HashMismatchError(f"{source.name} does not match its {pair[0]} hash",
                                    why=f"expected {pair[1]}\n     got {digest.hexdigest()}",
                                    hint="the file changed after it was listed, or the link's hash is wrong")
        os.replace(tmp_name, dest)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    return dest


def scan_directory(directory: Path) -> List[Artifact]:
    """Wheels and sdists in a find-links directory (not recursive), sorted by file name."""
    if not directory.is_dir():
        raise NotFoundError(f"the find-links directory {directory} does not exist",
                            hint="fix the --find-links path (a directory, an HTML file, or an http(s) URL)")
    found = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_file():
            continue
        try:
            parse_artifact_filename(entry.name)
        except ValueError:
            continue
        found.append(Artifact(entry.name, Path(entry.path).absolute().as_uri(), {}, size=entry.stat().st_size,
                              index_url=directory.absolute().as_uri()))
    return found


def sort_versions(versions) -> Tuple[str, ...]:
    """Distinct version strings, oldest first; ones that do not parse go first, alphabetically."""
    def key(text: str):
        try:
            return (1, Version(text), "")
        except InvalidVersion:
            return (0, Version("0"), text)
    return tuple(sorted(set(versions), key=key))


def write_cache_file(path: Path, data: bytes) -> None:
    """Write a cache entry whole (temp file + rename), its folder made on demand; failing quietly."""
    tmp = None
    try:
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pkm-", suffix=".part")
        except FileNotFoundError:  # the first file of its folder (asking first would cost every write a call)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pkm-", suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written is only slower
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
