"""The legacy upload API's request: form fields from core metadata, and a multipart body streamed from disk."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

from ._dist import Distribution, older_than_2_4

__all__ = ["upload_fields", "MultipartForm"]

_CHUNK = 64 * 1024
# RawMetadata keys whose form field has another name (the names PyPI's upload form has always used).
_RENAMED = {"platforms": "platform", "supported_platforms": "supported_platform", "license_files": "license_file"}


def upload_fields(dist: Distribution) -> List[Tuple[str, str]]:
    """The form fields of one upload, in order: the core metadata, the file's kind and digests, the action.

    Multiple-use metadata fields repeat (one form field per value); project
    URLs are sent as "label, url"; keywords as the one comma-joined line the
    metadata holds. License-File is left out below metadata 2.4.
    """
    raw = dict(dist.raw)
    if older_than_2_4(raw.get("metadata_version", "")):
        raw.pop("license_files", None)
    fields: List[Tuple[str, str]] = []
    for key, value in raw.items():
        name = _RENAMED.get(key, key)
        if key == "keywords" and isinstance(value, list):
            fields.append((name, ", ".join(value)))
        elif isinstance(value, dict):
            fields += [(name, f"{label}, {url}") for label, url in value.items()]
        elif isinstance(value, list):
            fields += [(name, str(item)) for item in value]
        else:
            fields.append((name, str(value)))
    fields += [("pyversion", dist.pyversion), ("filetype", dist.filetype), ("sha256_digest", dist.sha256),
               ("blake2_256_digest", dist.blake2_256)]
    if dist.md5 is not None:
        fields.append(("md5_digest", dist.md5))
    fields += [(":action", "file_upload"), ("protocol_version", "1")]
    return fields


class MultipartForm:
    """A multipart/form-data body: the text fields, then one file part read from disk as it is sent.

    Iterable again and again (each pass reopens the file), so a request that
    may be repeated can be sent twice; `length` is exact for an unchanged file.
    """

    def __init__(self, fields: Sequence[Tuple[str, str]], file_field: str, path: Path, filename: str, size: int):
        self.boundary = secrets.token_hex(16)
        while any(self.boundary in value for _, value in fields):  # astronomically unlikely; cheap to rule out
            self.boundary = secrets.token_hex(16)
        self.path = path
        head = b"".join(self._part(name, value.encode("utf-8")) for name, value in fields)
        head += (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{_quote(file_field)}\"; "
                 f"filename=\"{_quote(filename)}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode("utf-8")
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self.length = len(head) + size + len(self._tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        with open(self.path, "rb") as file:
            for chunk in iter(lambda: file.read(_CHUNK), b""):
                yield chunk
        yield self._tail

    def _part(self, name: str, value: bytes) -> bytes:
        head = f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{_quote(name)}\"\r\n\r\n"
        return head.encode("utf-8") + value + b"\r\n"


def _quote(text: str) -> str:
    """A quoted-string inside Content-Disposition, escaped the way browsers do (HTML form encoding)."""
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
