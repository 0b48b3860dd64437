"""SimpleIndex: the Index over PEP 503/691 indexes and find-links, through one shared HttpClient.

Search order: the indexes as given (callers pass `--extra-index-url`
entries first, then `--index-url`); the first index whose page for the
project exists wins, and later indexes are not asked (no mixing, so a
public index cannot shadow a private name). 404/410 means "ask the next";
401/403 stops with an error. Find-links artifacts join the winning page
(they are the user's own files, so mixing them is safe); when no index has
the project, find-links alone make the page.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.parse
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from packaging.metadata import Metadata
from packaging.utils import InvalidName, canonicalize_name

from pkm._used import mark_used
from pkm.http import BodyTooLarge
from pkm.errors import HashMismatchError, NetworkError, NotFoundError, OfflineError, PkmError, UsageError

from ._local import (Memo, best_hash, check_file_hashes, check_hashes, copy_verified, local_path, scan_directory,
                     sort_versions, write_cache_file)
from ._model import (Artifact, NotFound, Offline, ProjectPage, Progress, name_and_version, page_artifact, redact_url,
                     unsafe_filename_reason)
from ._parse import ACCEPT, MAX_PAGE_BYTES, page_flavour, parse_links_page, parse_project_page
from ._wheelmeta import BadWheel, members_from_ranges, members_from_zip, metadata_from_ranges, metadata_from_zip

if TYPE_CHECKING:
    from pkm.http import HttpClient, Response

__all__ = ["SimpleIndex"]

PageResult = Union[ProjectPage, NotFound, Offline]
# A wheel a server sends whole for a range request is used from memory up to this size, else
# downloaded to a file (range answers themselves are far smaller: a 64 KiB tail, a central directory).
_WHOLE_IN_MEMORY = 16 << 20


def _header(response: "Response", name: str) -> str:
    return response.headers.get(name, None) or response.headers.get(name.lower(), None) or ""


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class SimpleIndex:
    """The Index over Simple API indexes and find-links sources (see the module docstring for the order).

    Every method is thread-safe and memoized for the object's lifetime (one
    command): a page or metadata file is fetched once however many threads
    ask. Pages go through the client's HTTP cache when `cache` is true;
    extracted metadata is kept under `metadata_dir` when given (e.g.
    `PKM_HOME/metadata-v1`), keyed by the artifact's sha256 and URL. A server
    that ignores range requests sends whole wheels; `keep_wheel(sha256, data)`,
    when given, receives each (hash-checked) so that it need not be fetched
    again (pkm keeps it in the store).
    """

    max_page_bytes = MAX_PAGE_BYTES

    def __init__(
        self,
        client: "HttpClient",
        index_urls: Sequence[str],
        *,
        find_links: Sequence[str] = (),
        tmp_dir: Path,
        cache: bool = True,
        workers: int = 8,
        metadata_dir: Optional[Path] = None,
        parsed_dir: Optional[Path] = None,
        keep_wheel: Optional[Callable[[str, bytes], None]] = None,
    ):
        self._client = client
        self._indexes = tuple(url if url.endswith("/") else url + "/" for url in index_urls)
        self._find_links = tuple(find_links)
        self._tmp_dir = Path(tmp_dir)
        self._cache = cache
        self._workers = max(1, workers)
        self._metadata_dir = Path(metadata_dir) if metadata_dir is not None else None
        self._parsed_dir = Path(parsed_dir) if parsed_dir is not None else None
        self._keep_wheel = keep_wheel
        self._pages = Memo()
        self._metadata = Memo()
        self._members = Memo()
        self._links = Memo()

    # -- project pages ------------------------------------------------------------

    def project_page(self, name: str) -> PageResult:
        """The page of `name` from the first index that has it, plus find-links artifacts. One request per index asked."""
        try:
            key = canonicalize_name(name, validate=True)
        except InvalidName:
            raise UsageError(f"{name!r} is not a valid project name",
                             hint="project names are letters, digits, and . _ - between them (PEP 508)") from None
        return self._pages.get(key, lambda: self._load_page(key))

    def _load_page(self, name: str) -> PageResult:
        try:
            links = tuple(self._links.get("all", self._load_find_links).get(name, ()))
        except OfflineError as exc:
            return Offline(name, exc.what)
        for index in self._indexes:
            try:
                response = self._client.get(index + name + "/", headers={"Accept": ACCEPT}, cache=self._cache)
            except OfflineError as exc:
                return Offline(name, exc.what)
            if response.status in (404, 410):
                continue
            if response.status in (401, 403):
                raise NetworkError(
                    f"the index {redact_url(index)} refused access (HTTP {response.status}) to project {name!r}",
                    why="pkm stops at an index that refuses access rather than asking the next one, "
                        "so that another index cannot serve a private project's name",
                    hint="give credentials for this index (https://user:token@host/... or ~/.netrc), "
                         "or remove it from the index options",
                )
            if response.status != 200:
                raise NetworkError(f"the index {redact_url(index)} answered HTTP {response.status} for project {name!r}",
                                   hint="retry later; if it persists, check the index URL")
            page = self._parsed(response.body, _header(response, "Content-Type"), response.url, name,
                                _without_userinfo(index))
            if not links:
                return page
            versions = sort_versions(list(page.versions) + [str(a.version) for a in links])
            return ProjectPage(name, page.artifacts + links, page.index_url, versions, page.skipped)
        if links:
            return ProjectPage(name, links, links[0].index_url, sort_versions(str(a.version) for a in links))
        return NotFound(name, tuple(redact_url(u) for u in self._indexes + self._find_links))

    def _parsed(self, body: bytes, content_type: str, page_url: str, name: str, index_url: str) -> ProjectPage:
        """`parse_project_page`, remembered under `parsed_dir` for HTML pages: one file per page,
        holding the parse of the last bytes seen. An HTML page that did not change (the usual
        answer to a revalidation) is read back instead of parsed again. `marshal` format, keyed
        by the Python version; anything unreadable or stale is parsed afresh and replaces it.
        JSON pages are not remembered: they are read lazily (`LazyPage`), which costs less
        than writing and reading back every file of the page."""
        import marshal
        import sys

        def parse() -> ProjectPage:
            return parse_project_page(body, content_type=content_type, page_url=page_url, project=name,
                                      index_url=index_url, max_bytes=self.max_page_bytes)

        if self._parsed_dir is None or page_flavour(content_type, body, page_url) == "json":
            return parse()
        where = b"\0".join([b"%d.%d" % sys.version_info[:2], page_url.encode(), name.encode(), index_url.encode()])
        path = self._parsed_dir / (hashlib.sha256(where).hexdigest()[:40] + ".bin")  # one file per page
        content = hashlib.sha256(content_type.encode() + b"\0" + body).hexdigest()
        try:
            stored, fields, artifacts = marshal.loads(path.read_bytes())
            if stored == content:
                mark_used(path)
                return ProjectPage(fields[0], tuple(page_artifact(*a, name_and_version(a[0])) for a in artifacts),
                                   *fields[1:])
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            pass
        page = parse()
        record = (content, (page.name, page.index_url, tuple(page.versions), tuple(page.skipped)),
                  tuple((a.filename, a.url, _plain(a.hashes), a.requires_python, a.yanked, _plain(a.core_metadata),
                         a.size, a.upload_time, a.index_url) for a in page.artifacts))
        write_cache_file(path, marshal.dumps(record))
        return page

    def _load_find_links(self) -> Dict[str, List[Artifact]]:
        by_name: Dict[str, List[Artifact]] = {}
        for source in self._find_links:
            for artifact in self._find_links_source(source):
                by_name.setdefault(artifact.name, []).append(artifact)
        return by_name

    def _find_links_source(self, source: str) -> List[Artifact]:
        scheme = urllib.parse.urlsplit(source).scheme.lower() if "://" in source else ""
        if scheme in ("", "file"):
            path = local_path(source) if scheme else Path(source)
            if path.is_file():
                artifacts, _ = parse_links_page(path.read_bytes(), content_type="text/html",
                                                page_url=path.absolute().as_uri(), max_bytes=self.max_page_bytes)
                return artifacts
            return scan_directory(path)
        if scheme not in ("http", "https"):
            raise UsageError(f"find-links source {redact_url(source)} has an unsupported scheme {scheme!r}",
                             hint="use a directory, an HTML file, or an http(s) URL")
        response = self._client.get(source, cache=self._cache)
        if response.status != 200:
            raise NetworkError(f"the find-links page {redact_url(source)} answered HTTP {response.status}",
                               hint="check the --find-links URL and its credentials")
        artifacts, _ = parse_links_page(response.body, content_type=_header(response, "Content-Type"),
                                        page_url=response.url, max_bytes=self.max_page_bytes)
        return artifacts

    # -- core metadata ----------------------------------------------------------

    def core_metadata(self, artifact: Artifact) -> Metadata:
        """Metadata of a wheel: its PEP 658 file (hash-checked), else METADATA read by range requests.

        Cost: one request with a metadata file; two or three range requests
        without; a full download when the server ignores ranges. Raises
        NotFoundError for an sdist without a metadata file (it must be built).
        """
        return self._metadata.get(artifact.sha256 or artifact.url, lambda: self._load_metadata(artifact))

    def _load_metadata(self, artifact: Artifact) -> Metadata:
        cached = self._metadata_cache_path(artifact)
        raw = None
        if cached is not None:
            try:
                raw = cached.read_bytes()
                mark_used(cached)
            except OSError:  # not cached yet (or unreadable: fetched again and replaced)
                pass
        if raw is None:
            raw = self._fetch_metadata(artifact)
            if cached is not None:
                write_cache_file(cached, raw)
        return _parse_metadata(artifact, raw)

    def _fetch_metadata(self, artifact: Artifact) -> bytes:
        what = f"the metadata file of {artifact.filename}"
        scheme = urllib.parse.urlsplit(artifact.url).scheme
        if artifact.core_metadata and scheme != "file":
            response = self._client.get(artifact.url + ".metadata", cache=self._cache)
            if response.status == 200:
                if isinstance(artifact.core_metadata, dict):
                    check_hashes(response.body, artifact.core_metadata, what=what, url=response.url)
                return response.body
            if response.status not in (404, 410):  # a page that lies about the file: fall back to the wheel
                raise NetworkError(f"fetching {what} failed with HTTP {response.status}",
                                   hint="retry later; if it persists, check the index URL and credentials")
        if not artifact.is_wheel:
            raise NotFoundError(f"the index has no metadata file for the sdist {artifact.filename}",
                                hint="its metadata comes from building it; pkm builds sdists when no wheel fits")
        try:
            if scheme == "file":
                return metadata_from_zip(local_path(artifact.url), artifact.name)
            return self._read_wheel(artifact, lambda fetch: metadata_from_ranges(fetch, artifact.name),
                                    lambda path: metadata_from_zip(path, artifact.name))
        except BadWheel as exc:
            raise PkmError(f"cannot read the metadata of {artifact.filename}", why=str(exc),
                           hint="the wheel on the index looks broken; try another version, or --no-binary") from None
        except OSError as exc:
            raise PkmError(f"cannot read {artifact.filename}", why=str(exc), hint="check the find-links path") from None

    def wheel_members(self, artifact: Artifact) -> List[str]:
        """The member names of a wheel (its files, as the zip lists them), without downloading it.

        Reads the zip central directory by range requests: one request for
        most wheels, two for very large directories; the whole file when the
        server ignores ranges (then hash-checked). A file:// wheel is opened
        in place. Memoized per artifact for the object's lifetime; not kept on
        disk. Raises PkmError for an sdist or an unreadable archive.
        """
        return self._members.get(artifact.url, lambda: self._load_members(artifact))

    def _load_members(self, artifact: Artifact) -> List[str]:
        if not artifact.is_wheel:
            raise PkmError(f"cannot list the files of {artifact.filename}", why="it is not a wheel",
                           hint="only wheels list their files up front; an sdist must be built first")
        scheme = urllib.parse.urlsplit(artifact.url).scheme
        try:
            if scheme == "file":
                return members_from_zip(local_path(artifact.url))
            return self._read_wheel(artifact, members_from_ranges, members_from_zip)
        except BadWheel as exc:
            raise PkmError(f"cannot read the file list of {artifact.filename}", why=str(exc),
                           hint="the wheel on the index looks broken; try another version") from None
        except OSError as exc:
            raise PkmError(f"cannot read {artifact.filename}", why=str(exc), hint="check the find-links path") from None

    def _read_wheel(self, artifact: Artifact, from_ranges: Callable, from_file: Callable) -> Any:
        """`from_ranges(fetch)` -> (answer, whole body or None) over range requests. A server that
        ignores ranges sends the whole wheel: up to `_WHOLE_IN_MEMORY` bytes it is used as it came,
        a larger one is downloaded to a file instead and read by `from_file(path)`. Either is
        hash-checked and handed to `keep_wheel`."""
        try:
            answer, whole = from_ranges(lambda spec: self._range(artifact, spec))
        except BodyTooLarge:
            self._tmp_dir.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(dir=str(self._tmp_dir), prefix="whole-"))
            try:
                path = self.fetch_artifact(artifact, folder)
                answer = from_file(path)
                if self._keep_wheel is not None and artifact.sha256:
                    self._keep_wheel(artifact.sha256, path)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return answer
        if whole is not None:
            check_hashes(whole, artifact.hashes, what=artifact.filename, url=artifact.url)
            if self._keep_wheel is not None and artifact.sha256:
                self._keep_wheel(artifact.sha256, whole)
        return answer

    def _range(self, artifact: Artifact, spec: str) -> Tuple[int, str, bytes]:
        response = self._client.get(artifact.url, headers={"Range": spec}, cache=False, max_bytes=_WHOLE_IN_MEMORY)
        if response.status not in (200, 206):
            raise NetworkError(f"fetching {artifact.filename} failed with HTTP {response.status}",
                               hint="retry later; if it persists, check the index URL and credentials")
        return response.status, _header(response, "Content-Range"), response.body

    def _metadata_cache_path(self, artifact: Artifact) -> Optional[Path]:
        # Keyed by the artifact's hash AND its URL: metadata read by ranges cannot be checked against
        # the hash, so an index claiming another file's hash must not poison that file's entry.
        if self._metadata_dir is None or not artifact.sha256:
            return None
        key = hashlib.sha256(f"{artifact.sha256}\0{_without_userinfo(artifact.url)}".encode()).hexdigest()
        return self._metadata_dir / key[:2] / f"{key}.metadata"

    # -- artifacts ----------------------------------------------------------------

    def fetch_artifact(self, artifact: Artifact, dest_dir: Path, *, progress: Optional[Progress] = None) -> Path:
        """Download `artifact` to `dest_dir/<filename>`, verified against its hash and size, atomically.

        The file name is checked first: nothing is ever written outside `dest_dir`.
        """
        reason = unsafe_filename_reason(artifact.filename)
        if reason is not None:
            raise PkmError(f"refusing to save {artifact.filename[:200]!r}: unsafe file name ({reason})",
                           hint="the index lists a hostile or broken file name; report it to its maintainers")
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / artifact.filename
        if dest.parent.resolve() != dest_dir.resolve():
            raise PkmError(f"refusing to save {artifact.filename!r} outside {dest_dir}", hint="use another directory")
        scheme = urllib.parse.urlsplit(artifact.url).scheme.lower()
        if scheme == "file":
            return copy_verified(local_path(artifact.url), dest, tmp_dir=self._tmp_dir,
                                 hashes=artifact.hashes, size=artifact.size)
        if scheme not in ("http", "https"):
            raise PkmError(f"refusing to download {artifact.filename}: URL scheme {scheme!r} is not allowed",
                           hint="indexes must link artifacts over http(s)")
        path = self._client.download(artifact.url, dest, tmp_dir=self._tmp_dir, sha256=artifact.sha256,
                                     size=artifact.size, progress=progress)
        pair = best_hash(artifact.hashes)
        if pair is not None and pair[0] != "sha256":  # the client checks sha256 itself
            try:
                check_file_hashes(Path(path), artifact.hashes, what=artifact.filename, url=artifact.url)
            except HashMismatchError:
                os.unlink(path)
                raise
        return Path(path)

    # -- prefetch -----------------------------------------------------------------

    def prefetch(self, names: Iterable[str], *, metadata_for: Iterable[Artifact] = ()) -> None:
        """Fetch pages and metadata on a pool of `workers` threads; failures are kept for the real call."""
        jobs = [(self.project_page, name) for name in names] + [(self.core_metadata, a) for a in metadata_for]
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=min(self._workers, len(jobs)), thread_name_prefix="pkm-index") as pool:
            wait([pool.submit(_quietly, method, arg) for method, arg in jobs])


def _plain(value):
    """`value` as marshal can store it: a dict or bool as it is (what pages hold), another mapping copied."""
    return value if type(value) in (dict, bool) else dict(value)


def _quietly(method, arg) -> None:
    try:
        method(arg)
    except Exception:  # remembered by the memo; raised again when the caller asks for it
        pass


def _parse_metadata(artifact: Artifact, raw: bytes) -> Metadata:
    # Lenient like pip and uv: real indexes carry metadata that strict validation rejects.
    try:
        metadata = Metadata.from_email(raw, validate=False)
        name, version = canonicalize_name(metadata.name), metadata.version
    except Exception as exc:  # packaging raises ExceptionGroup/InvalidMetadata/KeyError for broken fields
        raise PkmError(f"the metadata of {artifact.filename} is unreadable", why=str(exc) or type(exc).__name__,
                       hint="the index serves broken metadata for this file; try another version") from None
    if name != artifact.name or version != artifact.version:
        raise PkmError(f"the metadata of {artifact.filename} describes {name} {version}",
                       why=f"expected {artifact.name} {artifact.version} from the file name",
                       hint="the index serves inconsistent files; report it to its maintainers")
    return metadata
