"""Reproducible archives: a wheel (zip + RECORD) and an sdist (pax tar.gz) from in-memory entries.

Entries are sorted, modes are 0644 or 0755, every timestamp is the build epoch, and owners are blank,
so the same entries give byte-identical files. Archives are written to a temporary name and renamed,
so a reader never sees half of one.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import os
import tarfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Mapping, Tuple

from ._pyproject import ConfigError

__all__ = ["Entry", "build_epoch", "write_wheel", "write_sdist", "record_hash"]

Entry = Tuple[bytes, bool]  # (content, executable)
_ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z: the earliest time a zip entry can carry, and our default


def build_epoch() -> int:
    """The timestamp for every archive member: `SOURCE_DATE_EPOCH` if set, else 1980-01-01 (never earlier)."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return _ZIP_EPOCH
    try:
        value = int(text)
    except ValueError:
        raise ConfigError("SOURCE_DATE_EPOCH", f"{text!r} is not an integer number of seconds",
                          "set it to a Unix timestamp, e.g. `git log -1 --format=%ct`") from None
    return max(value, _ZIP_EPOCH)


def record_hash(data: bytes) -> str:
    """The `sha256=<urlsafe base64, unpadded>` form RECORD uses."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # unique per build
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_wheel(path: Path, entries: Mapping[str, Entry], dist_info: str, epoch: int) -> None:
    """Write a wheel: `entries` sorted (the .dist-info folder last), then `<dist_info>/RECORD` with sha256."""
    record_name = f"{dist_info}/RECORD"
    names = sorted(entries, key=lambda n: (n.startswith(dist_info + "/"), n))
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    buffer = io.BytesIO()
    stamp = time.gmtime(epoch)[:6]
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names + [record_name]:
            if name == record_name:
                writer.writerow([record_name, "", ""])
                data, executable = rows.getvalue().encode("utf-8"), False
            else:
                data, executable = entries[name]
                writer.writerow([name, record_hash(data), len(data)])
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.create_system = 3  # Unix, so installers honour the mode bits
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    _replace(path, buffer.getvalue())


def write_sdist(path: Path, top: str, entries: Mapping[str, Entry], epoch: int) -> None:
    """Write `top/<entry>` for each entry into a pax-format tar.gz (sdist format of the packaging specs)."""
    raw = io.BytesIO()
    # filename="" and a fixed mtime keep the gzip header free of the temp name and the wall clock.
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(entries):
                data, executable = entries[name]
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                info.mtime = epoch
                info.mode = 0o755 if executable else 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(data))
    _replace(path, raw.getvalue())
