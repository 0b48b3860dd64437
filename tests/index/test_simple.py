"""SimpleIndex over a scripted client: index order, refusals, find-links, metadata, downloads, memo and prefetch.

The client here is a stub with HttpClient's interface, so that each server
answer (401, 404, ranges refused, a lying hash) is exact; the same paths run
against the real client and the loopback server in test_loopback.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import threading
import time
import zipfile

import pytest
from packaging.version import Version

from pkm.errors import HashMismatchError, NetworkError, NotFoundError, OfflineError, PkmError, UsageError
from pkm.http import BodyTooLarge
from pkm.index import ACCEPT, NotFound, Offline, ProjectPage, SimpleIndex

MAIN = "https://main.example/simple/"
EXTRA = "https://user:s3cret@extra.example/simple/"
METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: idna>=2\n"


class Headers(dict):
    def get(self, name, default=None):
        for key, value in self.items():
            if key.lower() == name.lower():
                return value
        return default


class Response:
    def __init__(self, url, status, headers, body):
        self.url, self.status, self.headers, self.body, self.from_cache = url, status, Headers(headers), body, False


class StubClient:
    """HttpClient's interface over a dict of url -> (status, content type, body, honours ranges)."""

    def __init__(self, delay: float = 0.0):
        self.routes, self.requests, self.offline, self.delay = {}, [], False, delay
        self._lock = threading.Lock()

    def add(self, url, body=b"", *, status=200, content_type="application/octet-stream", ranges=True):
        self.routes[url] = (status, content_type, body, ranges)

    def get(self, url, headers=None, cache=False, max_bytes=None):
        response = self._get(url, headers)
        if max_bytes is not None and len(response.body) > max_bytes:
            raise BodyTooLarge(url, response.status, max_bytes)
        return response

    def _get(self, url, headers):
        with self._lock:
            self.requests.append((url, dict(headers or {})))
        if self.offline:
            raise OfflineError(f"{url} is not in the cache and pkm is offline")
        time.sleep(self.delay)
        status, content_type, body, ranges = self.routes.get(url, (404, "text/plain", b"not found", False))
        spec = (headers or {}).get("Range")
        if status == 200 and spec and ranges:
            first, _, last = spec[len("bytes="):].partition("-")
            size = len(body)
            start, end = (max(0, size - int(last)), size - 1) if first == "" else (int(first), min(int(last), size - 1))
            return Response(url, 206, {"Content-Range": f"bytes {start}-{end}/{size}"}, body[start:end + 1])
        return Response(url, status, {"Content-Type": content_type}, body)

    def download(self, url, dest, *, tmp_dir, sha256=None, size=None, progress=None):
        response = self.get(url)
        if response.status != 200:
            raise NetworkError(f"HTTP {response.status}")
        if sha256 is not None and hashlib.sha256(response.body).hexdigest() != sha256:
            raise HashMismatchError("sha256 mismatch")
        dest.write_bytes(response.body)
        return dest

    def urls(self):
        return [url for url, _ in self.requests]


def wheel_bytes(name="demo", version="1.0", metadata=None):
    if metadata is None:
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Dist: idna>=2\n".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/__init__.py", b"")
        archive.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
    return buffer.getvalue()


def json_page(*files):
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "files": list(files)}).encode()


def serve_page(client, index, project, *files):
    client.add(f"{index}{project}/", json_page(*files), content_type="application/vnd.pypi.simple.v1+json")


def wheel_entry(url, body, **extra):
    entry = {"filename": url.rsplit("/", 1)[1], "url": url, "hashes": {"sha256": hashlib.sha256(body).hexdigest()}}
    entry.update(extra)
    return entry


@pytest.fixture
def client():
    return StubClient()


def make(client, tmp_path, indexes=(MAIN,), **kw):
    return SimpleIndex(client, list(indexes), tmp_dir=tmp_path / "tmp", **kw)


# -- pages and the order of indexes -------------------------------------------------


def test_a_page_is_asked_for_with_content_negotiation_and_fetched_once(client, tmp_path):
    serve_page(client, MAIN, "demo", {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}})
    index = make(client, tmp_path)
    page = index.project_page("Demo")
    assert isinstance(page, ProjectPage) and page.versions == ("1.0",)
    assert page.artifacts[0].url == MAIN + "demo/demo-1.0.tar.gz"
    assert index.project_page("DEMO") is page
    assert client.requests == [(MAIN + "demo/", {"Accept": ACCEPT})]


def test_the_first_index_that_has_the_project_wins_and_later_ones_are_not_asked(client, tmp_path):
    serve_page(client, EXTRA, "demo", {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}})
    serve_page(client, MAIN, "demo", {"filename": "demo-9.0.tar.gz", "url": "demo-9.0.tar.gz", "hashes": {}})
    page = make(client, tmp_path, [EXTRA, MAIN]).project_page("demo")
    assert page.versions == ("1.0",) and client.urls() == [EXTRA + "demo/"]
    assert page.index_url == "https://extra.example/simple/"  # credentials never leave the client


def test_a_404_moves_on_to_the_next_index_and_nowhere_gives_not_found(client, tmp_path):
    serve_page(client, MAIN, "demo", {"filename": "demo-9.0.tar.gz", "url": "demo-9.0.tar.gz", "hashes": {}})
    index = make(client, tmp_path, [EXTRA, MAIN])
    assert index.project_page("demo").versions == ("9.0",)
    missing = index.project_page("nothing-here")
    assert missing == NotFound("nothing-here", ("https://***@extra.example/simple/", MAIN))


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_stops_the_search_with_an_error_naming_the_index_without_secrets(client, tmp_path, status):
    client.add(EXTRA + "demo/", b"no", status=status)
    serve_page(client, MAIN, "demo", {"filename": "demo-6.6.tar.gz", "url": "demo-6.6.tar.gz", "hashes": {}})
    with pytest.raises(NetworkError) as info:
        make(client, tmp_path, [EXTRA, MAIN]).project_page("demo")
    error = info.value
    assert f"HTTP {status}" in error.what and "extra.example" in error.what
    assert "s3cret" not in f"{error.what} {error.why} {error.hint}" and "credentials" in error.hint
    assert client.urls() == [EXTRA + "demo/"]


def test_a_server_error_after_retries_is_an_error_not_a_fallthrough(client, tmp_path):
    client.add(MAIN + "demo/", b"oops", status=503)
    with pytest.raises(NetworkError, match="HTTP 503"):
        make(client, tmp_path).project_page("demo")


def test_offline_without_a_cached_page_is_a_value(client, tmp_path):
    client.offline = True
    result = make(client, tmp_path).project_page("demo")
    assert isinstance(result, Offline) and result.name == "demo" and "offline" in result.reason


def test_an_invalid_project_name_is_a_usage_error_and_never_requested(client, tmp_path):
    with pytest.raises(UsageError):
        make(client, tmp_path).project_page("../../etc/passwd")
    assert client.requests == []


# -- find-links -----------------------------------------------------------------------


def test_find_links_directory_joins_the_winning_page_and_stands_alone_otherwise(client, tmp_path):
    links = tmp_path / "links"
    links.mkdir()
    (links / "demo-2.0-py3-none-any.whl").write_bytes(wheel_bytes("demo", "2.0"))
    (links / "solo-0.1.tar.gz").write_bytes(b"sdist")
    (links / "notes.txt").write_text("not an artifact")
    serve_page(client, MAIN, "demo", {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}})
    index = make(client, tmp_path, find_links=[str(links)])
    demo = index.project_page("demo")
    assert [a.filename for a in demo.artifacts] == ["demo-1.0.tar.gz", "demo-2.0-py3-none-any.whl"]
    assert demo.versions == ("1.0", "2.0")
    solo = index.project_page("solo")
    assert isinstance(solo, ProjectPage) and solo.artifacts[0].url == (links / "solo-0.1.tar.gz").as_uri()
    saved = index.fetch_artifact(solo.artifacts[0], tmp_path / "out")
    assert saved.read_bytes() == b"sdist"
    assert index.core_metadata(demo.artifacts[1]).version == Version("2.0")  # read from the local wheel


def test_find_links_html_page_over_http_and_on_disk(client, tmp_path):
    client.add("https://links.example/", b'<a href="/f/demo-3.0.tar.gz#sha256=' + b"a" * 64 + b'">x</a>',
               content_type="text/html")
    page_file = tmp_path / "links.html"
    page_file.write_text('<a href="files/demo-4.0.tar.gz">x</a>')
    index = make(client, tmp_path, indexes=(), find_links=["https://links.example/", str(page_file)])
    page = index.project_page("demo")
    assert [a.url for a in page.artifacts] == ["https://links.example/f/demo-3.0.tar.gz",
                                               (tmp_path / "files" / "demo-4.0.tar.gz").as_uri()]
    assert page.artifacts[0].sha256 == "a" * 64


def test_a_missing_find_links_directory_is_a_clear_error(client, tmp_path):
    with pytest.raises(NotFoundError, match="find-links"):
        make(client, tmp_path, find_links=[str(tmp_path / "nope")]).project_page("demo")


# -- core metadata --------------------------------------------------------------------


def metadata_page(client, body, *, metadata_hash=None, ranges=True, core_metadata=True, wheel_hash=None):
    url = "https://files.example/demo-1.0-py3-none-any.whl"
    client.add(url, body, ranges=ranges)
    extra = {}
    if core_metadata:
        extra["core-metadata"] = {"sha256": metadata_hash} if metadata_hash else True
        client.add(url + ".metadata", METADATA)
    entry = wheel_entry(url, body, **extra)
    if wheel_hash:
        entry["hashes"] = {"sha256": wheel_hash}
    serve_page(client, MAIN, "demo", entry)
    return url


def test_pep_658_metadata_is_fetched_and_verified(client, tmp_path):
    url = metadata_page(client, wheel_bytes(), metadata_hash=hashlib.sha256(METADATA).hexdigest())
    index = make(client, tmp_path)
    metadata = index.core_metadata(index.project_page("demo").artifacts[0])
    assert (metadata.name, str(metadata.requires_dist[0])) == ("demo", "idna>=2")
    assert client.urls()[-1] == url + ".metadata"


def test_pep_658_metadata_with_a_wrong_hash_is_refused(client, tmp_path):
    metadata_page(client, wheel_bytes(), metadata_hash="0" * 64)
    index = make(client, tmp_path)
    with pytest.raises(HashMismatchError, match="metadata file of demo-1.0-py3-none-any.whl"):
        index.core_metadata(index.project_page("demo").artifacts[0])


def test_without_a_metadata_file_the_wheel_is_read_by_ranges(client, tmp_path):
    url = metadata_page(client, wheel_bytes(), core_metadata=False)
    index = make(client, tmp_path)
    assert index.core_metadata(index.project_page("demo").artifacts[0]).version == Version("1.0")
    ranged = [h for u, h in client.requests if u == url]
    assert ranged and all("Range" in h for h in ranged)


def test_a_server_refusing_ranges_sends_the_whole_wheel_which_is_hash_checked(client, tmp_path):
    metadata_page(client, wheel_bytes(), core_metadata=False, ranges=False)
    index = make(client, tmp_path)
    assert index.core_metadata(index.project_page("demo").artifacts[0]).name == "demo"
    lying = StubClient()
    metadata_page(lying, wheel_bytes(), core_metadata=False, ranges=False, wheel_hash="f" * 64)
    index = make(lying, tmp_path)
    with pytest.raises(HashMismatchError):
        index.core_metadata(index.project_page("demo").artifacts[0])


def test_a_whole_wheel_sent_for_a_range_is_handed_on_once_checked(client, tmp_path):
    kept = []
    body = wheel_bytes()
    metadata_page(client, body, core_metadata=False, ranges=False)
    index = make(client, tmp_path, keep_wheel=lambda sha, data: kept.append((sha, data)))
    assert index.core_metadata(index.project_page("demo").artifacts[0]).name == "demo"
    assert kept == [(hashlib.sha256(body).hexdigest(), body)]
    lying = StubClient()  # a hash that does not match: refused, nothing handed on
    metadata_page(lying, body, core_metadata=False, ranges=False, wheel_hash="f" * 64)
    index = make(lying, tmp_path, keep_wheel=lambda sha, data: kept.append((sha, data)))
    with pytest.raises(HashMismatchError):
        index.core_metadata(index.project_page("demo").artifacts[0])
    ranged = StubClient()  # ranges honoured: only parts of the wheel came, nothing to keep
    metadata_page(ranged, body, core_metadata=False)
    index = make(ranged, tmp_path, keep_wheel=lambda sha, data: kept.append((sha, data)))
    assert index.core_metadata(index.project_page("demo").artifacts[0]).name == "demo"
    assert len(kept) == 1


def test_a_large_wheel_sent_for_a_range_is_downloaded_to_a_file_not_held_in_memory(client, tmp_path, monkeypatch):
    import pkm.index._simple as simple

    monkeypatch.setattr(simple, "_WHOLE_IN_MEMORY", 100)  # the test wheel is larger than that
    kept = []
    body = wheel_bytes()
    url = metadata_page(client, body, core_metadata=False, ranges=False)
    index = make(client, tmp_path, keep_wheel=lambda sha, path: kept.append((sha, path.read_bytes())))
    wheel = index.project_page("demo").artifacts[0]
    assert index.core_metadata(wheel).name == "demo"
    assert [u for u in client.urls() if u == url] == [url, url]  # the refused range answer, then the download
    assert kept == [(hashlib.sha256(body).hexdigest(), body)]
    assert "demo-1.0.dist-info/METADATA" in index.wheel_members(wheel)  # the file list, the same way
    assert os.listdir(tmp_path / "tmp") == []  # the downloaded copy is handed on, not left behind


def test_metadata_naming_another_project_is_refused(client, tmp_path):
    other = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
    metadata_page(client, wheel_bytes(metadata=other), core_metadata=False)
    index = make(client, tmp_path)
    with pytest.raises(PkmError, match="describes evil 1.0"):
        index.core_metadata(index.project_page("demo").artifacts[0])


def test_an_sdist_without_a_metadata_file_must_be_built(client, tmp_path):
    serve_page(client, MAIN, "demo", {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}})
    index = make(client, tmp_path)
    with pytest.raises(NotFoundError) as info:
        index.core_metadata(index.project_page("demo").artifacts[0])
    assert "build" in info.value.hint


def test_metadata_is_cached_on_disk_by_artifact_hash(client, tmp_path):
    metadata_page(client, wheel_bytes(), core_metadata=False)
    first = make(client, tmp_path, metadata_dir=tmp_path / "meta")
    artifact = first.project_page("demo").artifacts[0]
    first.core_metadata(artifact)
    client.routes.clear()
    client.requests.clear()
    assert make(client, tmp_path, metadata_dir=tmp_path / "meta").core_metadata(artifact).name == "demo"
    assert client.requests == []


def test_the_metadata_cache_cannot_be_poisoned_by_an_index_claiming_another_files_hash(client, tmp_path):
    metadata_page(client, wheel_bytes(), core_metadata=False)
    honest = make(client, tmp_path, metadata_dir=tmp_path / "meta")
    artifact = honest.project_page("demo").artifacts[0]
    evil_url = "https://evil.example/demo-1.0-py3-none-any.whl"
    client.add(evil_url, wheel_bytes(metadata=b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: malware\n"))
    poisoned = dataclasses.replace(artifact, url=evil_url)  # same claimed sha256, another server
    assert [str(r) for r in make(client, tmp_path, metadata_dir=tmp_path / "meta").core_metadata(poisoned).requires_dist] == ["malware"]
    assert [str(r) for r in honest.core_metadata(artifact).requires_dist] == ["idna>=2"]
    fresh = make(client, tmp_path, metadata_dir=tmp_path / "meta")
    assert [str(r) for r in fresh.core_metadata(artifact).requires_dist] == ["idna>=2"]


# -- downloads --------------------------------------------------------------------------


def test_fetch_artifact_downloads_through_the_client_with_the_hash(client, tmp_path):
    body = wheel_bytes()
    url = metadata_page(client, body, core_metadata=False)
    index = make(client, tmp_path)
    saved = index.fetch_artifact(index.project_page("demo").artifacts[0], tmp_path / "dl")
    assert saved == tmp_path / "dl" / "demo-1.0-py3-none-any.whl" and saved.read_bytes() == body
    assert client.urls()[-1] == url


def test_fetch_artifact_checks_hashes_the_client_does_not(client, tmp_path):
    from pkm.index import Artifact
    client.add("https://files.example/demo-1.0.tar.gz", b"payload")
    artifact = Artifact("demo-1.0.tar.gz", "https://files.example/demo-1.0.tar.gz", {"md5": "0" * 32})
    with pytest.raises(HashMismatchError):
        make(client, tmp_path).fetch_artifact(artifact, tmp_path / "dl")
    assert list((tmp_path / "dl").iterdir()) == []


@pytest.mark.parametrize("filename", ["../evil.tar.gz", "a/b.tar.gz", "..", "x\\..\\y.tar.gz", ".hidden.tar.gz"])
def test_fetch_artifact_never_writes_outside_the_destination(client, tmp_path, filename):
    from pkm.index import Artifact
    artifact = Artifact(filename, "https://files.example/x", {})
    with pytest.raises(PkmError, match="unsafe file name"):
        make(client, tmp_path).fetch_artifact(artifact, tmp_path / "dl" / "inner")
    assert client.requests == [] and list(tmp_path.rglob("*")) == []


# -- memo and prefetch -------------------------------------------------------------------


def test_prefetch_fetches_each_page_once_on_a_bounded_pool_and_keeps_errors_for_the_real_call(tmp_path):
    client = StubClient(delay=0.01)
    names = [f"proj{i}" for i in range(40)]
    for name in names:
        client.add(f"{MAIN}{name}/", json_page(), content_type="application/vnd.pypi.simple.v1+json")
    client.add(MAIN + "broken/", b"{", content_type="application/vnd.pypi.simple.v1+json")
    index = make(client, tmp_path, workers=8)
    index.prefetch(names + names[:10] + ["broken", "missing"])
    assert sorted(client.urls()) == sorted(f"{MAIN}{n}/" for n in names + ["broken", "missing"])
    assert isinstance(index.project_page("proj7"), ProjectPage)
    assert isinstance(index.project_page("missing"), NotFound)
    with pytest.raises(NetworkError, match="not valid JSON"):
        index.project_page("broken")
    assert len(client.requests) == 42  # nothing asked twice
    threads_seen = {t.name for t in threading.enumerate() if t.name.startswith("pkm-index")}
    assert threads_seen == set()  # the pool is gone afterwards


def test_concurrent_callers_share_one_fetch(tmp_path):
    client = StubClient(delay=0.05)
    serve_page(client, MAIN, "demo")
    index = make(client, tmp_path)
    results = []
    threads = [threading.Thread(target=lambda: results.append(index.project_page("demo"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(client.requests) == 1 and len({id(r) for r in results}) == 1


def serve_html_page(client, index, project, *anchors):
    links = "".join(f'<a href="{href}"{attrs}>{href.rsplit("/", 1)[1]}</a>' for href, attrs in anchors)
    client.add(f"{index}{project}/", f"<!DOCTYPE html><html><body>{links}</body></html>".encode(),
               content_type="text/html")


def test_parsed_html_pages_are_kept_and_replaced_when_the_page_changes(client, tmp_path, monkeypatch):
    from pkm.index import _simple

    serve_html_page(client, MAIN, "demo", (MAIN + "demo/demo-1.0-py3-none-any.whl#sha256=" + "ab" * 32,
                                           ' data-requires-python="&gt;=3.8" data-core-metadata="sha256=ab"'))
    first = make(client, tmp_path, parsed_dir=tmp_path / "pages").project_page("demo")
    real = _simple.parse_project_page

    def refuse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(_simple, "parse_project_page", refuse)
    again = make(client, tmp_path, parsed_dir=tmp_path / "pages").project_page("demo")
    assert again == first and again.artifacts[0].requires_python == ">=3.8"
    assert again.artifacts[0].core_metadata == {"sha256": "ab"}
    assert (again.artifacts[0].name, again.artifacts[0].version) == ("demo", Version("1.0"))
    monkeypatch.setattr(_simple, "parse_project_page", real)
    serve_html_page(client, MAIN, "demo", (MAIN + "demo/demo-2.0-py3-none-any.whl", ""))
    changed = make(client, tmp_path, parsed_dir=tmp_path / "pages").project_page("demo")
    assert changed.versions == ("2.0",) and len(list((tmp_path / "pages").iterdir())) == 1
    (next((tmp_path / "pages").iterdir())).write_bytes(b"\x00garbage")
    assert make(client, tmp_path, parsed_dir=tmp_path / "pages").project_page("demo") == changed


def test_json_pages_are_read_lazily_and_not_kept_parsed(client, tmp_path):
    body = b"x" * 8
    serve_page(client, MAIN, "demo", wheel_entry(MAIN + "demo/demo-1.0-py3-none-any.whl", body, size=8,
                                                 **{"requires-python": ">=3.8", "core-metadata": {"sha256": "AB"}}),
               wheel_entry(MAIN + "demo/demo-2.0-py3-none-any.whl", body))
    page = make(client, tmp_path, parsed_dir=tmp_path / "pages").project_page("demo")
    assert not (tmp_path / "pages").exists() or not list((tmp_path / "pages").iterdir())
    files = page.by_version()[Version("1.0")]
    assert len(files) == 1 and files[0].requires_python == ">=3.8" and files[0].core_metadata == {"sha256": "ab"}
    assert [a.filename for a in page.artifacts] == ["demo-1.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl"]
    assert list(files) == [page.artifacts[0]] and page.versions == ("1.0", "2.0")
