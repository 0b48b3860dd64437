"""Parsing Simple API pages (PEP 691 JSON, PEP 503 HTML) into artifacts; pure, no I/O.

Every entry goes through the same checks whatever the page's flavour: a URL
of an allowed scheme (http/https; `file` only on a local page), a file name
that is a plain base name (no `/`, `..`, `%2F` once decoded), a wheel or sdist
whose project name matches the page. An entry failing a check is skipped
and the reason kept in `ProjectPage.skipped`; a page that cannot be read as
a whole (malformed, truncated, too large, unknown major API version) raises
NetworkError naming the page.
"""

from __future__ import annotations

import json
import urllib.parse
from html.parser import HTMLParser
from typing import Any, Dict, List, Optional, Tuple, Union

from packaging.utils import canonicalize_name
from pkm.errors import NetworkError

from ._lazy import PLAIN_FILENAME, grouped_page
from ._model import Artifact, ProjectPage, name_and_version, page_artifact, redact_url, unsafe_filename_reason

__all__ = ["ACCEPT", "MAX_PAGE_BYTES", "parse_project_page", "parse_links_page", "page_flavour", "derived_versions"]

ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

# The largest real project pages are tens of MiB; far past that is an attack or a broken server.
MAX_PAGE_BYTES = 256 * 1024 * 1024

_JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json", "application/json")
_HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html", "text/html")


def _bad_page(page_url: str, problem: str, why: Optional[str] = None) -> NetworkError:
    return NetworkError(
        f"the index page {redact_url(page_url)} {problem}",
        why=why,
        hint="the index (or a proxy in front of it) served a broken page; retry later, or check --index-url",
    )


def page_flavour(content_type: str, body: bytes, page_url: str) -> str:
    """"json" or "html" for a page served as `content_type`; sniffs the body when the type says nothing."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in _JSON_TYPES:
        return "json"
    if kind in _HTML_TYPES:
        return "html"
    if kind.startswith("application/vnd.pypi.simple.v"):
        version = kind[len("application/vnd.pypi.simple.v"):].split("+")[0]
        raise _bad_page(page_url, f"uses Simple API version {version}, which pkm does not support",
                        why=f"served as {kind}; pkm speaks version 1 (PEP 691 JSON, PEP 503 HTML)")
    return "json" if body.lstrip()[:1] == b"{" else "html"


def _check_api_version(value: Any, page_url: str) -> None:
    text = str(value).strip()
    try:
        major = int(text.split(".")[0])
    except ValueError:
        raise _bad_page(page_url, f"declares an unreadable API version {text!r}") from None
    if major != 1:
        # A newer minor version only adds fields we may ignore (PEP 629); a new major changes meaning.
        raise _bad_page(page_url, f"uses Simple API version {text}, which pkm does not support",
                        why="pkm understands major version 1 of the Simple API (PEP 629)")


def parse_project_page(
    body: bytes,
    *,
    content_type: str,
    page_url: str,
    project: str,
    index_url: str,
    max_bytes: int = MAX_PAGE_BYTES,
) -> ProjectPage:
    """The ProjectPage of `project` from a page's bytes; relative URLs resolve against `page_url` (final URL)."""
    if len(body) > max_bytes:
        raise _bad_page(page_url, f"is too large ({len(body)} bytes; the limit is {max_bytes})")
    name = canonicalize_name(project)
    if page_flavour(content_type, body, page_url) == "json":
        files, versions = _json_files(body, page_url)
        return _json_page(files, versions, page_url=page_url, project=name, index_url=index_url)
    entries, versions = _html_entries(_decode(body, content_type), page_url), None
    artifacts, skipped = _build(entries, page_url=page_url, index_url=index_url, project=name)
    if versions is None:
        versions = derived_versions(artifacts)
    return ProjectPage(name, tuple(artifacts), index_url, versions, tuple(skipped))


def parse_links_page(body: bytes, *, content_type: str, page_url: str, max_bytes: int = MAX_PAGE_BYTES) -> Tuple[List[Artifact], List[str]]:
    """Artifacts (of any project) linked from an HTML page of links (find-links), and the skipped entries."""
    if len(body) > max_bytes:
        raise _bad_page(page_url, f"is too large ({len(body)} bytes; the limit is {max_bytes})")
    entries = _html_entries(_decode(body, content_type), page_url)
    return _build(entries, page_url=page_url, index_url=page_url, project=None)


def _decode(body: bytes, content_type: str) -> str:
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


# -- JSON (PEP 691, PEP 700) ---------------------------------------------------

def _json_page(files: List[Any], versions: Optional[Tuple[str, ...]], *, page_url: str, project: str,
               index_url: str) -> ProjectPage:
    """A LazyPage over the raw `files`: each entry becomes what `_build` would make of it, when read."""
    local_ok = urllib.parse.urlsplit(page_url).scheme == "file"

    def build(raw: Any) -> Any:
        entry = _json_entry(raw, project, index_url)
        if type(entry) is Artifact:
            return entry
        if isinstance(entry, str):
            return f"skipped {entry}"
        return _artifact(*entry, page_url=page_url, index_url=index_url, project=project, local_ok=local_ok)

    def every() -> Tuple[Artifact, ...]:
        entries = [_json_entry(raw, project, index_url) for raw in files]
        return tuple(_build(entries, page_url=page_url, index_url=index_url, project=project)[0])

    return grouped_page(project, files, versions, index_url, build, every)


def _json_files(body: bytes, page_url: str) -> Tuple[List[Any], Optional[Tuple[str, ...]]]:
    """The page's raw file entries and its PEP 700 versions (None when absent); NetworkError for a
    page that is not a PEP 691 JSON object of a supported API version."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_page(page_url, "is not valid JSON (malformed or truncated)", why=str(exc)) from None
    if not isinstance(data, dict):
        raise _bad_page(page_url, "is not a JSON object")
    meta = data.get("meta")
    _check_api_version(meta.get("api-version", "1.0") if isinstance(meta, dict) else "1.0", page_url)
    files = data.get("files")
    if not isinstance(files, list):
        raise _bad_page(page_url, "has no list of files")
    versions = data.get("versions")
    return files, (tuple(v for v in versions if isinstance(v, str)) if isinstance(versions, list) else None)


def _json_entries(body: bytes, page_url: str, *, project: Optional[str] = None,
                  index_url: str = "") -> Tuple[List[Any], Optional[Tuple[str, ...]]]:
    """The page's entries (see `_build`) and its PEP 700 versions (None when absent)."""
    files, versions = _json_files(body, page_url)
    return [_json_entry(raw, project, index_url) for raw in files], versions


def _json_entry(raw: Any, project: Optional[str], index_url: str) -> Any:
    """One file entry of a JSON page as `_build` takes it.

    An entry in the shape PyPI sends (an https URL without fragment, a file name of
    `project`, one lower-case sha256, no metadata hashes) comes out as its Artifact already,
    the same `_artifact` would make: pages list tens of thousands of files."""
    if type(raw) is not dict:
        return f"an entry that is not an object: {str(raw)[:80]!r}"
    get = raw.get
    filename, href, hashes = get("filename"), get("url"), get("hashes")
    metadata = get("core-metadata", get("dist-info-metadata", False))
    yanked = get("yanked", False)
    # PEP 691: a true value (True or a non-empty reason) means yanked.
    yanked = (yanked if isinstance(yanked, str) else "") if yanked else None
    if project is not None and type(filename) is str and type(href) is str and href.startswith("https://") \
            and "#" not in href and type(metadata) is bool and type(hashes) is dict and len(hashes) == 1:
        digest = hashes.get("sha256")
        requires_python, size, upload_time = get("requires-python"), get("size"), get("upload-time")
        if (type(digest) is str and digest.isalnum() and digest.islower()
                and (requires_python is None or type(requires_python) is str)
                and (size is None or (type(size) is int and size >= 0))
                and (upload_time is None or type(upload_time) is str)
                and PLAIN_FILENAME.fullmatch(filename) is not None):
            try:
                parsed = name_and_version(filename)
            except ValueError:
                parsed = None
            if parsed is not None and parsed[0] == project:
                return page_artifact(filename, href, hashes,  # {"sha256": digest}, fresh from json.loads
                                     None if requires_python is None else requires_python.strip() or None,
                                     yanked, metadata, size, upload_time, index_url, parsed)
    return (filename, href, hashes if isinstance(hashes, dict) else {}, get("requires-python"), yanked,
            metadata if isinstance(metadata, (dict, bool)) else False, get("size"), get("upload-time"))


# -- HTML (PEP 503, 592, 658, 714) ---------------------------------------------


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # attribute values arrive unescaped either way
        self.anchors: List[Dict[str, Optional[str]]] = []
        self.base: Optional[str] = None
        self.api_version: Optional[str] = None
        self.saw_html_start = False
        self.saw_html_end = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.anchors.append(values)
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "meta" and values.get("name") == "pypi:repository-version":
            self.api_version = values.get("content") or ""
        elif tag == "html":
            self.saw_html_start = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "html":
            self.saw_html_end = True


def _html_entries(text: str, page_url: str) -> List[Any]:
    parser = _LinkParser()
    parser.feed(text)
    # html.parser keeps an unfinished tag in `rawdata`; a page cut mid-tag or before </html> is truncated.
    leftover = parser.rawdata.lstrip()
    if leftover.startswith("<") or (parser.saw_html_start and not parser.saw_html_end):
        raise _bad_page(page_url, "is truncated (HTML ends before the document does)")
    parser.close()
    if parser.api_version is not None:
        _check_api_version(parser.api_version, page_url)
    base = urllib.parse.urljoin(page_url, parser.base) if parser.base else page_url
    entries = []
    for attrs in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        yanked = attrs.get("data-yanked", False)
        entries.append((
            None,  # the file name is taken from the URL, as PEP 503 says the anchor text mirrors it
            urllib.parse.urljoin(base, href.strip()), {}, attrs.get("data-requires-python"),
            None if yanked is False else (yanked or ""), _html_metadata(metadata), None, None,
        ))
    return entries


def _html_metadata(value: Optional[str]) -> Union[Dict[str, str], bool]:
    if value is None:
        return False
    value = value.strip()
    if value.lower() == "false":
        return False
    algorithm, eq, digest = value.partition("=")
    if eq and algorithm and digest:
        return {algorithm.strip().lower(): digest.strip().lower()}
    return True  # "true", or a value we cannot read: the file exists, without a usable hash


# -- common checks --------------------------------------------------------------


def _build(
    entries: List[Any], *, page_url: str, index_url: str, project: Optional[str]
) -> Tuple[List[Artifact], List[str]]:
    """Entries are (filename or None, href, hashes, requires-python, yanked, core-metadata, size,
    upload-time) tuples, a string saying why an entry could not be read, or a finished Artifact."""
    local_ok = urllib.parse.urlsplit(page_url).scheme == "file"
    artifacts: List[Artifact] = []
    skipped: List[str] = []
    for entry in entries:
        if type(entry) is Artifact:  # made by `_json_entries` already
            artifacts.append(entry)
            continue
        if isinstance(entry, str):
            skipped.append(f"skipped {entry}")
            continue
        result = _artifact(*entry, page_url=page_url, index_url=index_url, project=project, local_ok=local_ok)
        if isinstance(result, str):
            skipped.append(result)
        elif result is not None:
            artifacts.append(result)
    return artifacts, skipped


def _artifact(filename: Any, href: Any, hashes: Dict[Any, Any], requires_python: Any, yanked: Optional[str],
              metadata: Any, size: Any, upload_time: Any, *, page_url: str, index_url: str,
              project: Optional[str], local_ok: bool):
    """An Artifact, a skip reason (str), or None for a link that is simply not a distribution.

    Called once per file of a page (botocore: 5,000; pydantic-core: 9,000), hence the fast
    paths for what real indexes send: absolute https URLs, one lower-case sha256."""
    if not isinstance(href, str) or not href:
        return f"skipped {filename!r}: it has no URL"
    if href.startswith(("https://", "http://")):  # the common case on real indexes: skip urljoin's parsing
        url, _, fragment = href.partition("#")
        scheme = href[: href.index(":")]
    else:
        url, fragment = urllib.parse.urldefrag(urllib.parse.urljoin(page_url, href))
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https") and not (scheme == "file" and local_ok):
        return f"skipped {redact_url(url)[:200]!r}: URL scheme {scheme or 'none'!r} is not allowed"
    if filename is None:
        filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    if not isinstance(filename, str):
        return f"skipped an entry of {redact_url(url)[:200]!r}: its file name is not a string"
    unsafe = unsafe_filename_reason(filename)
    if unsafe:
        return f"skipped {filename[:200]!r}: unsafe file name ({unsafe})"
    try:
        parsed = name_and_version(filename)
    except ValueError as exc:
        if filename.endswith((".whl", ".tar.gz", ".zip")):
            return f"skipped {filename!r}: {exc}"
        return None  # .egg, .exe, .tar.bz2...: old formats pkm does not install; not worth a line
    if project is not None and parsed[0] != project:
        return f"skipped {filename!r}: it belongs to project {parsed[0]!r}, not {project!r}"
    if hashes:
        digest = hashes.get("sha256")
        if len(hashes) == 1 and isinstance(digest, str) and digest.isalnum() and digest.islower():
            hashes = {"sha256": digest}  # already normal (what PyPI sends): kept as it is
        else:
            hashes = {str(k).lower(): v.strip().lower() for k, v in hashes.items() if isinstance(v, str) and v.strip()}
    else:
        hashes = {}
    if fragment:
        algorithm, eq, digest = fragment.partition("=")
        if eq and algorithm and digest:
            hashes.setdefault(algorithm.lower(), digest.lower())
    if isinstance(metadata, dict):
        metadata = {str(k).lower(): v.lower() for k, v in metadata.items() if isinstance(v, str)} or True
    requires_python = requires_python.strip() or None if isinstance(requires_python, str) else None
    size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
    upload_time = upload_time if isinstance(upload_time, str) else None
    return page_artifact(filename, url, hashes, requires_python, yanked, metadata, size, upload_time, index_url,
                         parsed)


def derived_versions(artifacts: List[Artifact]) -> Tuple[str, ...]:
    """The distinct versions of `artifacts`, oldest first (for pages without PEP 700's list)."""
    return tuple(str(v) for v in sorted({a.version for a in artifacts}))
