"""A PEP 503 / 691 / 658 / 700 package index on the loopback server, fed with files from the dist factory.

    with IndexServer() as index:
        index.add_file(make_wheel(tmp_path, "foo", "1.0"))
        # index.simple_url + "foo/" lists it (HTML or JSON by Accept);
        # index.url + "/files/foo-1.0-py3-none-any.whl(.metadata)" serves it;
        # index.find_links_url is a flat page of every file (--find-links);
        # index.upload_url takes twine-style uploads (PyPI's legacy API)

Pages are built on each request from the current state, so a test may add
files or flip a switch (`serve_json`, `serve_html`, `metadata_files`,
`ranges`, `page_max_age`) between two requests. Resources registered with
`add()` take precedence over everything generated here.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import html
import io
import json
import re
import tarfile
import threading
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from support.server import Handler, Hit, LoopbackServer, Resource, redirect

__all__ = ["IndexServer", "JSON_TYPE", "HTML_TYPE", "DEFAULT_UPLOAD_TIME"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
LATEST_JSON = "application/vnd.pypi.simple.latest+json"
LATEST_HTML = "application/vnd.pypi.simple.latest+html"
API_VERSION = "1.1"
DEFAULT_UPLOAD_TIME = "2024-01-01T00:00:00.000000Z"

_METADATA_RE = re.compile(r"^[^/]+\.dist-info/METADATA$")


@dataclass
class _File:
    filename: str
    project: str  # canonical name
    version: str
    body: bytes
    sha256: str
    yanked: Union[str, bool, None]
    requires_python: Optional[str]
    metadata: Optional[bytes]
    upload_time: str

    @property
    def metadata_sha256(self) -> Optional[str]:
        return hashlib.sha256(self.metadata).hexdigest() if self.metadata is not None else None


def _strong_etag(body: bytes, content_type: str = "") -> str:
    # the content type is part of the tag: two variants with one body are still two representations
    return '"%s"' % hashlib.sha256(content_type.encode() + b"\0" + body).hexdigest()[:32]


def _wheel_metadata(body: bytes, filename: str) -> Optional[bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                if _METADATA_RE.match(name):
                    return archive.read(name)
    except zipfile.BadZipFile:
        return None  # a deliberately broken wheel: serve it, just without PEP 658 metadata
    return None


def _requires_python_of(metadata: Optional[bytes]) -> Optional[str]:
    if metadata is None:
        return None
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # end of the headers
        key, _, value = line.partition(":")
        if key.strip().lower() == "requires-python":
            return value.strip()
    return None


class IndexServer(LoopbackServer):
    """A simple-API index: `/simple/`, `/simple/<name>/`, `/files/<filename>[.metadata]`."""

    def __init__(self, resources: Optional[Dict[str, Handler]] = None, *, auth: Optional[Tuple[str, str]] = None):
        super().__init__(resources, auth=auth)
        self.serve_json = True
        self.serve_html = True
        self.metadata_files = True
        self.ranges = True
        self.page_max_age: Optional[int] = None
        self.upload_auth: Optional[Tuple[str, str]] = None
        self.uploads: List[Dict[str, str]] = []
        self._files: Dict[str, _File] = {}
        self._pages: Dict[str, Resource] = {}
        self._index_lock = threading.Lock()

    @property
    def simple_url(self) -> str:
        """The index URL to give a client: `url + "/simple/"`."""
        return self.url + "/simple/"

    @property
    def find_links_url(self) -> str:
        """A flat HTML page linking every file (for `--find-links`): `url + "/links/"`."""
        return self.url + "/links/"

    @property
    def upload_url(self) -> str:
        """PyPI's legacy upload API (what twine posts to): `url + "/legacy/"`.

        A good upload is published at once; `uploads` records each accepted
        upload's form fields (the file's bytes left out). Errors answer 400
        with the message in the status line's reason, as PyPI does; with
        `upload_auth` set, no credentials give 401 and wrong ones 403.
        """
        return self.url + "/legacy/"

    # -- publishing ----------------------------------------------------------

    def add_file(
        self,
        path: Union[Path, str],
        *,
        yanked: Union[str, bool, None] = None,
        requires_python: Optional[str] = None,
        metadata: bool = True,
        upload_time: Optional[str] = None,
    ) -> str:
        """Publish the wheel or sdist at `path`; returns its absolute URL on this server.

        `yanked`: True, or a reason string. `requires_python`: None takes the
        wheel's or sdist's own Requires-Python (as PyPI does), "" publishes
        none. `metadata=False` serves no PEP 658 file for this wheel.
        """
        path = Path(path)
        options = dict(yanked=yanked, requires_python=requires_python, metadata=metadata, upload_time=upload_time)
        return self.publish(path.name, path.read_bytes(), **options)

    def publish(
        self,
        filename: str,
        body: bytes,
        *,
        yanked: Union[str, bool, None] = None,
        requires_python: Optional[str] = None,
        metadata: bool = True,
        upload_time: Optional[str] = None,
    ) -> str:
        """`add_file` for bytes in memory; raises ValueError when `filename` is not a wheel or sdist name."""
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
        core = _wheel_metadata(body, filename) if filename.endswith(".whl") else None
        if requires_python is None:
            requires_python = _requires_python_of(core if core is not None else _sdist_pkg_info(body, filename))
        entry = _File(
            filename=filename,
            project=canonicalize_name(name),
            version=str(version),
            body=body,
            sha256=hashlib.sha256(body).hexdigest(),
            yanked=yanked,
            requires_python=requires_python or None,
            metadata=core if metadata else None,
            upload_time=upload_time or DEFAULT_UPLOAD_TIME,
        )
        with self._index_lock:
            self._files[filename] = entry
        return f"{self.url}/files/{filename}"

    def set_page(self, name: str, body: bytes, content_type: str = "text/html") -> None:
        """Serve `body` verbatim as the project page of `name`, whatever the Accept header."""
        with self._index_lock:
            self._pages[canonicalize_name(name)] = Resource(body, content_type=content_type)

    def projects(self) -> List[str]:
        """Canonical names of the projects with at least one file (or a raw page), sorted."""
        with self._index_lock:
            return sorted({f.project for f in self._files.values()} | set(self._pages))

    # -- serving -------------------------------------------------------------

    def lookup(self, path: str, hit: Hit) -> Optional[Resource]:
        found = super().lookup(path, hit)
        if found is not None:
            return found
        if path == "/legacy/" and hit.method == "POST":
            return _upload(self, hit)
        if path == "/links/":
            return self._find_links_page()
        if path == "/simple":
            return redirect("/simple/", 301)
        if path == "/simple/":
            return self._root_page()
        if path.startswith("/simple/"):
            name = path[len("/simple/") :]
            bare = name[:-1] if name.endswith("/") else name
            if not bare or "/" in bare:
                return None
            canonical = canonicalize_name(bare)
            if bare != canonical or not name.endswith("/"):
                return redirect(f"/simple/{canonical}/", 301)
            return self._project_page(canonical)
        if path.startswith("/files/"):
            return self._file(path[len("/files/") :])
        return None

    def _file(self, filename: str) -> Optional[Resource]:
        with self._index_lock:
            entry = self._files.get(filename)
            if entry is not None:
                return Resource(entry.body, etag=f'"{entry.sha256[:32]}"', ranges=self.ranges)
            if filename.endswith(".metadata") and self.metadata_files:
                entry = self._files.get(filename[: -len(".metadata")])
                if entry is not None and entry.metadata is not None:
                    return Resource(entry.metadata, etag=_strong_etag(entry.metadata), ranges=self.ranges)
        return None

    def _variants(self, html_body: bytes, json_body: bytes) -> Resource:
        """A page negotiated by Accept: JSON and/or HTML as switched on, 406 when the client takes neither."""

        def page(body: bytes, content_type: str) -> Resource:
            etag = _strong_etag(body, content_type)
            return Resource(body, content_type=content_type, etag=etag, max_age=self.page_max_age)

        variants: Dict[str, Resource] = {}
        if self.serve_html:
            variants["text/html"] = page(html_body, "text/html; charset=utf-8")
            variants[HTML_TYPE] = page(html_body, HTML_TYPE)
            variants[LATEST_HTML] = page(html_body, HTML_TYPE)
        if self.serve_json:
            variants[JSON_TYPE] = page(json_body, JSON_TYPE)
            variants[LATEST_JSON] = page(json_body, JSON_TYPE)
        return Resource(b"not acceptable\n", content_type="text/plain", status=406, negotiate=variants)

    def _find_links_page(self) -> Resource:
        with self._index_lock:
            files = sorted(self._files.values(), key=lambda f: f.filename)
        anchors = "".join(_anchor(f, False, prefix="../files/") for f in files)
        body = _html_document("Links", anchors)
        return Resource(body, content_type="text/html; charset=utf-8", etag=_strong_etag(body))

    def contains(self, filename: str) -> bool:
        """Whether a file of this name is published."""
        with self._index_lock:
            return filename in self._files

    def _root_page(self) -> Resource:
        names = self.projects()
        links = "".join(f'    <a href="/simple/{n}/">{html.escape(n)}</a><br />\n' for n in names)
        html_body = _html_document("Simple index", links)
        json_body = _json_document({"projects": [{"name": n} for n in names]})
        return self._variants(html_body, json_body)

    def _project_page(self, canonical: str) -> Optional[Resource]:
        with self._index_lock:
            raw = self._pages.get(canonical)
            files = sorted((f for f in self._files.values() if f.project == canonical), key=_file_order)
        if raw is not None:
            return raw
        if not files:
            return None
        show_metadata = self.metadata_files
        anchors = "".join(_anchor(f, show_metadata) for f in files)
        html_body = _html_document(f"Links for {canonical}", anchors)
        versions = sorted({f.version for f in files}, key=Version)
        json_body = _json_document(
            {"name": canonical, "versions": versions, "files": [_json_file(f, show_metadata) for f in files]}
        )
        return self._variants(html_body, json_body)


def _upload(index: IndexServer, hit: Hit) -> Resource:
    """Accept one legacy-API upload (multipart/form-data) into `index`; errors are 4xx with a reason."""
    if index.upload_auth is not None:
        expected = "Basic " + base64.b64encode("{}:{}".format(*index.upload_auth).encode()).decode("ascii")
        given = hit.headers.get("authorization")
        if given != expected:
            if given is None:
                return Resource(b"", status=401, headers={"WWW-Authenticate": 'Basic realm="pypi"'})
            return _refuse(403, "Invalid or non-existent authentication information.")
    fields, files = _parse_form(hit.headers.get("content-type", ""), hit.body)
    if fields.get(":action") != "file_upload":
        return _refuse(400, "Unknown or missing ':action'.")
    if "content" not in files:
        return _refuse(400, "Upload has no 'content' file.")
    filename, body = files["content"]
    for key in ("name", "version"):
        if not fields.get(key):
            return _refuse(400, f"'{key}' is a required field.")
    try:
        if filename.endswith(".whl"):
            name, version = parse_wheel_filename(filename)[:2]
        else:
            name, version = parse_sdist_filename(filename)
    except ValueError:
        return _refuse(400, f"Invalid distribution file name {filename!r}.")
    if canonicalize_name(fields["name"]) != name or Version(fields["version"]) != version:
        return _refuse(400, f"File {filename!r} does not match name {fields['name']!r} version {fields['version']!r}.")
    digest = fields.get("sha256_digest")
    if digest and digest.lower() != hashlib.sha256(body).hexdigest():
        return _refuse(400, "The digest supplied does not match a digest calculated from the uploaded file.")
    if index.contains(filename):
        return _refuse(400, f"File already exists ({filename!r}).")
    index.publish(filename, body)
    index.uploads.append(dict(fields, filename=filename))
    return Resource(b"OK\n", content_type="text/plain")


def _refuse(status: int, message: str) -> Resource:
    return Resource(message.encode() + b"\n", content_type="text/plain", status=status, reason=message)


def _parse_form(content_type: str, body: bytes) -> Tuple[Dict[str, str], Dict[str, Tuple[str, bytes]]]:
    """(text fields, {field: (filename, bytes)}) of a multipart/form-data body; empty when it is not one."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}, {}
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: Dict[str, str] = {}
    files: Dict[str, Tuple[str, bytes]] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if not name:
            continue
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, payload)
        else:  # repeated fields (classifiers, requires_dist) are kept one per line
            value = payload.decode("utf-8")
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value
    return fields, files


def _file_order(entry: _File) -> Tuple[Version, str]:
    return Version(entry.version), entry.filename


def _sdist_pkg_info(body: bytes, filename: str) -> Optional[bytes]:
    if not filename.endswith(".tar.gz"):
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            for member in archive.getmembers():
                if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO") and member.isfile():
                    handle = archive.extractfile(member)
                    return handle.read() if handle is not None else None
    except (tarfile.TarError, OSError, EOFError):
        return None
    return None


def _html_document(title: str, body: str) -> bytes:
    text = (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}  </body>\n</html>\n"
    )
    return text.encode("utf-8")


def _json_document(payload: dict) -> bytes:
    return json.dumps({"meta": {"api-version": API_VERSION}, **payload}, indent=1, sort_keys=False).encode("utf-8")


def _anchor(entry: _File, show_metadata: bool, prefix: str = "../../files/") -> str:
    attrs = [f'href="{prefix}{html.escape(entry.filename)}#sha256={entry.sha256}"']
    if entry.requires_python is not None:
        attrs.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
    if entry.yanked is not None and entry.yanked is not False:
        reason = "" if entry.yanked is True else str(entry.yanked)
        attrs.append(f'data-yanked="{html.escape(reason)}"')
    if show_metadata and entry.metadata is not None:
        value = f"sha256={entry.metadata_sha256}"
        attrs.append(f'data-dist-info-metadata="{value}" data-core-metadata="{value}"')
    return f"    <a {' '.join(attrs)}>{html.escape(entry.filename)}</a><br />\n"


def _json_yanked(yanked: Union[str, bool, None]) -> Union[str, bool]:
    # PEP 691: a reason must be non-empty, so an empty reason is plain True
    if isinstance(yanked, str):
        return yanked or True
    return bool(yanked)


def _json_file(entry: _File, show_metadata: bool) -> dict:
    item: dict = {
        "filename": entry.filename,
        "url": f"../../files/{entry.filename}",
        "hashes": {"sha256": entry.sha256},
    }
    if entry.requires_python is not None:
        item["requires-python"] = entry.requires_python
    if show_metadata and entry.metadata is not None:
        item["dist-info-metadata"] = {"sha256": entry.metadata_sha256}
        item["core-metadata"] = {"sha256": entry.metadata_sha256}
    item["yanked"] = _json_yanked(entry.yanked)
    item["size"] = len(entry.body)
    item["upload-time"] = entry.upload_time
    return item
