"""Crash-safe writes: temp file, fsync, atomic rename."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import BinaryIO, Iterator, Union

__all__ = ["atomic_write", "fsync_dir", "copy_hashed", "hash_file", "publish_dir", "remove_tree", "unlink_missing_ok"]

Data = Union[bytes, str]


@contextmanager
def publish_dir(tmp: Path, final: Path, prefix: str) -> Iterator[Path]:
    """A new directory in `tmp` for the block to fill; then made 0755 and renamed to `final` in one
    step (readers see all of it or nothing), or removed if the block raises. The caller writes
    the completion marker after (no per-file fsync: the marker is what makes it count)."""
    staging = Path(tempfile.mkdtemp(dir=str(tmp), prefix=prefix))
    try:
        yield staging
        os.chmod(staging, 0o755)
        os.replace(staging, final)
    except BaseException:
        remove_tree(staging)
        raise
    fsync_dir(final.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; its renames are durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: Data, *, mode: int = 0o644, tmp_dir: Path | None = None) -> Path:
    """Write `data` to `path` so that readers see the old content or the new, never a part.

    The temp file sits next to `path`, or in `tmp_dir` (which must be on the
    same filesystem, so the rename is atomic), and is fsynced before the
    rename; the directory is fsynced after. Creates missing parent
    directories. Cost: one fsync of the file and one of the directory.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    where = str(tmp_dir) if tmp_dir is not None else str(path.parent)
    fd, tmp = tempfile.mkstemp(dir=where, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, str(path))
    except BaseException:
        unlink_missing_ok(tmp)
        raise
    fsync_dir(path.parent)
    return path


def copy_hashed(source: BinaryIO, dest: Path, *, limit: int | None = None) -> tuple[str, int]:
    """Copy a stream into a new file `dest`, fsync it; returns (sha256 hex, size).

    Stops with ValueError once more than `limit` bytes arrive (when given).
    """
    digest = hashlib.sha256()
    size = 0
    with open(dest, "xb") as out:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if limit is not None and size > limit:
                raise ValueError(f"more than {limit} bytes")
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def hash_file(path: Path) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            digest.update(chunk)
    return digest.hexdigest(), size


def remove_tree(path: Path) -> None:
    """Delete a directory tree even where files or directories were made read-only."""

    def make_writable_and_retry(func, target, _exc):
        parent = os.path.dirname(target)
        try:
            os.chmod(parent, 0o755)
            if os.path.isdir(target) and not os.path.islink(target):
                os.chmod(target, 0o755)
            func(target)
        except FileNotFoundError:
            pass

    if path.is_dir() and not path.is_symlink():
        if sys.version_info >= (3, 12):  # `onerror` is deprecated there; the handler fits both
            shutil.rmtree(str(path), onexc=make_writable_and_retry)
        else:
            shutil.rmtree(str(path), onerror=make_writable_and_retry)
    else:
        unlink_missing_ok(str(path))


def unlink_missing_ok(path) -> None:
    """Remove a file; one already gone is fine."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
