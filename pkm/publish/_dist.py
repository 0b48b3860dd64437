"""Reading a wheel or sdist for upload: its kind, its name and version, its core metadata and its digests."""

from __future__ import annotations

import hashlib
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from packaging.metadata import RawMetadata, parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

__all__ = ["Distribution", "NotADistribution", "read_distribution", "older_than_2_4", "SDIST_SUFFIXES"]

SDIST_SUFFIXES = (".tar.gz", ".zip")
_CHUNK = 1 << 20
# A core metadata file carries the readme; anything bigger than this is not one.
_MAX_METADATA = 32 * 1024 * 1024
_WHEEL_METADATA = re.compile(r"^[^/]+\.dist-info/METADATA$")


class NotADistribution(Exception):
    """The file cannot be uploaded as it is: `what` says why, `hint` how to fix it."""

    def __init__(self, what: str, hint: str):
        super().__init__(what)
        self.what = what
        self.hint = hint


@dataclass(frozen=True)
class Distribution:
    """One file to upload, read and hashed; `raw` is its core metadata as `packaging.metadata` parsed it.

    `name` and `version` come from the file name; `raw["name"]`/`raw["version"]`
    from the metadata inside (the checks compare them). `unparsed` holds the
    metadata fields packaging did not recognise or could not parse.
    """

    path: Path
    filename: str
    filetype: str  # "bdist_wheel" or "sdist", as the upload API names them
    name: str  # canonical (PEP 503) form
    version: Version
    pyversion: str  # the wheel's python tag ("py3", "cp312"), "source" for an sdist
    size: int
    sha256: str
    blake2_256: str
    md5: Optional[str]  # None where MD5 is unavailable (FIPS builds)
    raw: RawMetadata = field(repr=False)
    unparsed: Dict[str, List[str]] = field(repr=False, default_factory=dict)


def read_distribution(path: Path) -> Distribution:
    """Read `path` (a wheel, or a .tar.gz / .zip sdist): file name, core metadata, digests.

    Raises NotADistribution for a file that does not exist, is not named like
    a wheel or sdist, is not a readable archive, or lacks its metadata file.
    Cost: one streaming pass over the file for the digests, plus opening the
    archive to read one member; nothing is extracted to disk.
    """
    filename = path.name
    if not path.is_file():
        raise NotADistribution(f"{path} does not exist" if not path.exists() else f"{path} is not a file",
                               "check the path; `pkm build` writes distributions to dist/")
    if filename.endswith(".whl"):
        try:
            name, version, _, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            raise NotADistribution(f"{filename} is not a valid wheel file name ({exc})",
                                   "rebuild it; do not rename wheels by hand") from None
        filetype = "bdist_wheel"
        pyversion = ".".join(sorted({tag.interpreter for tag in tags}))
        metadata = _wheel_metadata(path)
    elif filename.endswith(SDIST_SUFFIXES):
        try:
            name, version = parse_sdist_filename(filename)
        except InvalidSdistFilename as exc:
            raise NotADistribution(f"{filename} is not a valid sdist file name ({exc})",
                                   "an sdist is named NAME-VERSION.tar.gz (PEP 625); rebuild it") from None
        filetype, pyversion = "sdist", "source"
        metadata = _sdist_metadata(path, filename)
    else:
        raise NotADistribution(f"{filename} is neither a wheel nor an sdist",
                               "upload .whl and .tar.gz files only (e.g. `pkm publish dist/*.whl dist/*.tar.gz`)")
    raw, unparsed = parse_email(metadata)
    size, sha256, blake2, md5 = _digests(path)
    return Distribution(path=path, filename=filename, filetype=filetype, name=str(name),
                        version=version, pyversion=pyversion, size=size, sha256=sha256, blake2_256=blake2,
                        md5=md5, raw=raw, unparsed=dict(unparsed))


def older_than_2_4(metadata_version: str) -> bool:
    """Whether License-File must be left out: setuptools writes it into older metadata, where it is not defined."""
    try:
        return Version(metadata_version) < Version("2.4")
    except InvalidVersion:
        return False  # the checks report the bad version


def _digests(path: Path) -> Tuple[int, str, str, Optional[str]]:
    sha256 = hashlib.sha256()
    blake2 = hashlib.blake2b(digest_size=32)
    try:
        md5 = hashlib.md5(usedforsecurity=False)
    except (ValueError, TypeError):  # FIPS mode: the index accepts uploads without it
        md5 = None
    size = 0
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            size += len(chunk)
            sha256.update(chunk)
            blake2.update(chunk)
            if md5 is not None:
                md5.update(chunk)
    return size, sha256.hexdigest(), blake2.hexdigest(), md5.hexdigest() if md5 is not None else None


def _broken(filename: str, kind: str, exc: BaseException) -> NotADistribution:
    return NotADistribution(f"{filename} is not a readable {kind} ({type(exc).__name__}: {exc})",
                            "the file is damaged or was not built completely; build it again")


def _wheel_metadata(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            found = [info for info in archive.infolist() if _WHEEL_METADATA.match(info.filename)]
            if len(found) != 1:
                what = "no .dist-info/METADATA" if not found else "several .dist-info/METADATA files"
                raise NotADistribution(f"{path.name} has {what}", "this is not a valid wheel; build it again")
            if found[0].file_size > _MAX_METADATA:
                raise NotADistribution(f"{path.name}: its METADATA is larger than {_MAX_METADATA >> 20} MiB",
                                       "shorten the readme")
            return archive.read(found[0])
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _broken(path.name, "wheel (zip archive)", exc) from None


def _sdist_metadata(path: Path, filename: str) -> bytes:
    """PKG-INFO from the sdist's single top-level directory."""
    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                names = [i for i in archive.infolist() if _is_top_pkg_info(i.filename) and not i.is_dir()]
                if len(names) == 1 and names[0].file_size <= _MAX_METADATA:
                    return archive.read(names[0])
        else:
            with tarfile.open(path, mode="r:gz") as archive:
                members = [m for m in archive.getmembers() if _is_top_pkg_info(m.name) and m.isfile()]
                if len(members) == 1 and members[0].size <= _MAX_METADATA:
                    handle = archive.extractfile(members[0])
                    if handle is not None:
                        return handle.read()
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _broken(filename, "sdist archive", exc) from None
    raise NotADistribution(f"{filename} has no NAME-VERSION/PKG-INFO at its top level",
                           "an sdist must carry its core metadata in PKG-INFO (PEP 643); build it with a "
                           "current backend")


def _is_top_pkg_info(name: str) -> bool:
    parts = name.strip("/").split("/")
    return len(parts) == 2 and parts[1] == "PKG-INFO" and parts[0] not in ("", ".", "..")
