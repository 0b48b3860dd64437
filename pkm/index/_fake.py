"""FakeIndex: an in-memory Index for the tests of later layers (resolver, installer, CLI)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from packaging.metadata import Metadata
from packaging.utils import canonicalize_name

from pkm.errors import NotFoundError, PkmError

from ._local import sort_versions
from ._model import Artifact, NotFound, Offline, ProjectPage, Progress, unsafe_filename_reason

__all__ = ["FakeIndex"]

FAKE_INDEX_URL = "fake://index/"
_EPOCH = (1980, 1, 1, 0, 0, 0)


class FakeIndex:
    """Projects declared with `add()`, served from memory; records every call in `calls`.

        index = FakeIndex()
        index.add("app", "1.0", dependencies=["lib>=2"])
        index.add("lib", "2.1", requires_python=">=3.8")

    Wheels it hands out are real (a module, METADATA, WHEEL, RECORD), so an
    installer can consume them. `offline=True` makes every page an Offline.
    """

    def __init__(self, *, offline: bool = False):
        self.offline = offline
        self.calls: List[Tuple[str, str]] = []
        self._lock = threading.Lock()
        self._artifacts: Dict[str, List[Artifact]] = {}
        self._metadata: Dict[str, bytes] = {}
        self._content: Dict[str, bytes] = {}

    def add(
        self,
        name: str,
        version: str,
        *,
        dependencies: Sequence[str] = (),
        requires_python: Optional[str] = None,
        extras: Sequence[str] = (),
        metadata: Optional[str] = None,
        filenames: Optional[Sequence[str]] = None,
        yanked: Optional[str] = None,
        content: Optional[Mapping[str, bytes]] = None,
    ) -> Tuple[Artifact, ...]:
        """Declare `name` `version`; returns its artifacts (default: one `py3-none-any` wheel).

        `metadata` replaces the generated METADATA text; `content` gives the
        bytes of some files (others are generated).
        """
        key = canonicalize_name(name)
        stem = f"{key.replace('-', '_')}-{version}"
        text = metadata if metadata is not None else _metadata_text(name, version, dependencies, requires_python, extras)
        meta_bytes = text.encode("utf-8")
        made = []
        for filename in filenames or [f"{stem}-py3-none-any.whl"]:
            body = (content or {}).get(filename)
            if body is None:
                body = _wheel(stem, meta_bytes) if filename.endswith(".whl") else _sdist(stem, meta_bytes)
            artifact = Artifact(
                filename, f"fake://{key}/{filename}", {"sha256": hashlib.sha256(body).hexdigest()},
                requires_python, yanked, {"sha256": hashlib.sha256(meta_bytes).hexdigest()},
                len(body), None, FAKE_INDEX_URL,
            )
            made.append(artifact)
            with self._lock:
                self._metadata[artifact.url] = meta_bytes
                self._content[artifact.url] = body
        with self._lock:
            self._artifacts.setdefault(key, []).extend(made)
        return tuple(made)

    def project_page(self, name: str) -> Union[ProjectPage, NotFound, Offline]:
        key = canonicalize_name(name)
        with self._lock:
            self.calls.append(("project_page", key))
            artifacts = tuple(self._artifacts.get(key, ()))
        if self.offline:
            return Offline(key, "the fake index is offline")
        if not artifacts:
            return NotFound(key, (FAKE_INDEX_URL,))
        versions = sort_versions(str(a.version) for a in artifacts)
        return ProjectPage(key, artifacts, FAKE_INDEX_URL, versions)

    def core_metadata(self, artifact: Artifact) -> Metadata:
        with self._lock:
            self.calls.append(("core_metadata", artifact.filename))
            raw = self._metadata.get(artifact.url)
        if raw is None:
            raise NotFoundError(f"the fake index has no metadata for {artifact.filename}",
                                hint="add the project with FakeIndex.add()")
        return Metadata.from_email(raw, validate=False)

    def fetch_artifact(self, artifact: Artifact, dest_dir: Path, *, progress: Optional[Progress] = None) -> Path:
        with self._lock:
            self.calls.append(("fetch_artifact", artifact.filename))
            body = self._content.get(artifact.url)
        reason = unsafe_filename_reason(artifact.filename)
        if reason is not None:
            raise PkmError(f"refusing to save {artifact.filename!r}: unsafe file name ({reason})")
        if body is None:
            raise NotFoundError(f"the fake index has no file {artifact.filename}")
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".pkm-", suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        if progress is not None:
            progress(len(body), len(body))
        dest = dest_dir / artifact.filename
        os.replace(tmp, dest)
        return dest

    def prefetch(self, names: Iterable[str], *, metadata_for: Iterable[Artifact] = ()) -> None:
        with self._lock:
            self.calls.extend(("prefetch", canonicalize_name(n)) for n in names)
            self.calls.extend(("prefetch_metadata", a.filename) for a in metadata_for)


def _metadata_text(name: str, version: str, dependencies: Sequence[str], requires_python: Optional[str],
                   extras: Sequence[str]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in extras]
    lines += [f"Requires-Dist: {dep}" for dep in dependencies]
    return "\n".join(lines) + "\n"


def _wheel(stem: str, metadata: bytes) -> bytes:
    package = stem.split("-")[0]
    files = {
        f"{package}/__init__.py": f'__version__ = "{stem.split("-", 1)[1]}"\n'.encode(),
        f"{stem}.dist-info/METADATA": metadata,
        f"{stem}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: pkm-fake\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{stem}.dist-info/RECORD,,")
    files[f"{stem}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, _EPOCH), data)
    return buffer.getvalue()


def _sdist(stem: str, metadata: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size = len(metadata)
        archive.addfile(info, io.BytesIO(metadata))
    return buffer.getvalue()
