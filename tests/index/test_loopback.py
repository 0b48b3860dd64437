"""SimpleIndex with the real HttpClient against the loopback index: negotiation, metadata paths, order, auth, prefetch."""

from __future__ import annotations

import hashlib
import random

import pytest
from packaging.version import Version

from pkm.errors import HashMismatchError, NetworkError
from pkm.http import HttpClient
from pkm.index import NotFound, Offline, ProjectPage, SimpleIndex, newest_matching
from support.index_server import IndexServer
from support.server import Resource


@pytest.fixture
def client(tmp_path):
    with HttpClient(cache_dir=tmp_path / "http", backoff=0.001, environ={}) as http:
        yield http


def make(client, tmp_path, *indexes, **kw):
    return SimpleIndex(client, list(indexes), tmp_dir=tmp_path / "tmp", **kw)


def publish(server, dists):
    server.add_file(dists.wheel("demo", "1.0", dependencies=["idna>=2"]))
    server.add_file(dists.wheel("demo", "2.0", requires_python=">=3.8", tag="cp311-cp311-manylinux_2_17_x86_64"))
    server.add_file(dists.sdist("demo", "2.0"))
    server.add_file(dists.wheel("demo", "3.0"), yanked="broken")


def summary(page):
    return [(a.filename, a.url, dict(a.hashes), a.requires_python, a.yanked, bool(a.core_metadata))
            for a in page.artifacts]


def test_json_and_html_pages_give_the_same_artifacts(index_server, dists, client, tmp_path):
    publish(index_server, dists)
    as_json = make(client, tmp_path, index_server.simple_url).project_page("demo")
    index_server.serve_json = False
    as_html = make(client, tmp_path, index_server.simple_url).project_page("Demo")
    assert summary(as_json) == summary(as_html) and len(as_json.artifacts) == 4
    assert as_json.versions == ("1.0", "2.0", "3.0")
    yanked = [a for a in as_json.artifacts if a.version == Version("3.0")][0]
    assert yanked.yanked == "broken" and yanked.size > 0
    accepts = [hit.headers.get("accept", "") for hit in index_server.log if hit.path.startswith("/simple/demo")]
    assert all("application/vnd.pypi.simple.v1+json" in a for a in accepts)


def test_metadata_from_pep_658_files(index_server, dists, client, tmp_path):
    publish(index_server, dists)
    index = make(client, tmp_path, index_server.simple_url)
    wheel = next(a for a in index.project_page("demo").artifacts if a.filename == "demo-1.0-py3-none-any.whl")
    assert [str(r) for r in index.core_metadata(wheel).requires_dist] == ["idna>=2"]
    assert index_server.log[-1].path.endswith(".whl.metadata")


def test_a_tampered_metadata_file_is_a_hash_mismatch(index_server, dists, client, tmp_path):
    publish(index_server, dists)
    index_server.add("/files/demo-1.0-py3-none-any.whl.metadata", Resource(b"Name: demo\nVersion: 6.6.6\n"))
    index = make(client, tmp_path, index_server.simple_url)
    wheel = next(a for a in index.project_page("demo").artifacts if a.filename == "demo-1.0-py3-none-any.whl")
    with pytest.raises(HashMismatchError):
        index.core_metadata(wheel)


@pytest.mark.parametrize("ranges", [True, False])
def test_metadata_from_the_wheel_itself_by_ranges_or_whole(index_server, dists, client, tmp_path, ranges):
    # 300 kB that deflate cannot shrink; .dist-info comes last, as in real wheels, so one tail request does
    big = {"demo/blob.bin": random.Random(0).randbytes(300_000), "demo/__init__.py": ""}
    index_server.add_file(dists.wheel("demo", "1.0", dependencies=["idna>=2"], files=big))
    index_server.metadata_files = False
    index_server.ranges = ranges
    index = make(client, tmp_path, index_server.simple_url)
    wheel = index.project_page("demo").artifacts[0]
    assert wheel.core_metadata is False
    assert [str(r) for r in index.core_metadata(wheel).requires_dist] == ["idna>=2"]
    hits = [hit for hit in index_server.log if hit.path.startswith("/files/")]
    assert all("range" in hit.headers for hit in hits)
    assert len(hits) == 1


def test_the_first_index_with_the_project_wins_and_404_falls_through(dists, client, tmp_path):
    with IndexServer() as private, IndexServer() as public:
        private.add_file(dists.wheel("shared", "1.0"))
        public.add_file(dists.wheel("shared", "99.0"))
        public.add_file(dists.wheel("other", "2.0"))
        index = make(client, tmp_path, private.simple_url, public.simple_url)
        assert index.project_page("shared").versions == ("1.0",)
        assert not any(hit.path.startswith("/simple/shared") for hit in public.log)
        assert index.project_page("other").versions == ("2.0",)
        missing = index.project_page("nowhere")
        assert isinstance(missing, NotFound) and missing.searched == (private.simple_url, public.simple_url)


def test_an_index_asking_for_credentials_stops_the_search(dists, client, tmp_path):
    with IndexServer(auth=("me", "pw")) as private, IndexServer() as public:
        private.add_file(dists.wheel("secret", "1.0"))
        public.add_file(dists.wheel("secret", "66.6"))
        with pytest.raises(NetworkError, match="HTTP 401"):
            make(client, tmp_path, private.simple_url, public.simple_url).project_page("secret")
        assert public.log == []
        with_creds = private.simple_url.replace("http://", "http://me:pw@")
        page = make(client, tmp_path, with_creds, public.simple_url).project_page("secret")
        assert page.versions == ("1.0",) and "pw" not in page.index_url


def test_find_links_page_over_http_adds_artifacts(index_server, loopback_server, dists, client, tmp_path):
    url = index_server.add_file(dists.wheel("demo", "1.0"))
    extra = dists.wheel("demo", "5.0")
    loopback_server.add("/wheels/" + extra.name, Resource(extra.read_bytes()))
    loopback_server.add("/links/", Resource(f'<a href="../wheels/{extra.name}">x</a><a href="{url}">y</a>'.encode(),
                                            content_type="text/html"))
    index = make(client, tmp_path, index_server.simple_url, find_links=[loopback_server.url + "/links/"])
    page = index.project_page("demo")
    assert page.versions == ("1.0", "5.0") and len(page.artifacts) == 3
    choice = newest_matching(page)
    assert choice.version == Version("5.0")
    assert index.fetch_artifact(choice.artifact, tmp_path / "dl").read_bytes() == extra.read_bytes()


def test_fetch_artifact_verifies_and_refuses_a_tampered_file(index_server, dists, client, tmp_path):
    path = dists.wheel("demo", "1.0")
    index_server.add_file(path)
    index = make(client, tmp_path, index_server.simple_url)
    artifact = index.project_page("demo").artifacts[0]
    saved = index.fetch_artifact(artifact, tmp_path / "dl")
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == artifact.sha256
    index_server.add("/files/" + path.name, Resource(b"evil" + path.read_bytes()[4:]))
    with pytest.raises(HashMismatchError):
        index.fetch_artifact(artifact, tmp_path / "dl2")
    assert not (tmp_path / "dl2" / path.name).exists()


def test_hostile_page_entries_are_skipped_and_nothing_escapes(index_server, client, tmp_path):
    body = ('{"meta": {"api-version": "1.0"}, "name": "demo", "files": ['
            '{"filename": "../../demo-1.0.tar.gz", "url": "../x", "hashes": {}},'
            '{"filename": "demo-1.0.tar.gz", "url": "file:///etc/passwd", "hashes": {}},'
            '{"filename": "demo-1.1.tar.gz", "url": "%2E%2E%2Fdemo-1.1.tar.gz", "hashes": {}}]}')
    index_server.set_page("demo", body.encode(), "application/vnd.pypi.simple.v1+json")
    page = make(client, tmp_path, index_server.simple_url).project_page("demo")
    assert len(page.skipped) == 2
    (artifact,) = page.artifacts  # the percent-encoded URL is harmless: the JSON filename is used
    assert artifact.filename == "demo-1.1.tar.gz"


def test_a_truncated_page_is_an_error(index_server, client, tmp_path):
    index_server.set_page("demo", b'{"meta": {"api-version": "1.0"}, "files": [', "application/vnd.pypi.simple.v1+json")
    with pytest.raises(NetworkError, match="not valid JSON"):
        make(client, tmp_path, index_server.simple_url).project_page("demo")


def test_prefetch_of_many_projects_and_their_metadata_despite_resets(index_server, dists, client, tmp_path):
    names = [f"proj{i}" for i in range(30)]
    for name in names:
        index_server.add_file(dists.wheel(name, "1.0"))
    index_server.misbehave("reset", every=7)
    index = make(client, tmp_path, index_server.simple_url, workers=8)
    index.prefetch(names)
    pages = [index.project_page(n) for n in names]
    assert all(isinstance(p, ProjectPage) for p in pages)
    index.prefetch([], metadata_for=[p.artifacts[0] for p in pages])
    before = len(index_server.log)
    assert [index.core_metadata(p.artifacts[0]).name for p in pages] == names
    assert len(index_server.log) == before  # everything came from the prefetch


def test_offline_serves_cached_pages_and_reports_the_rest_as_offline(index_server, dists, tmp_path):
    index_server.add_file(dists.wheel("demo", "1.0"))
    with HttpClient(cache_dir=tmp_path / "http", environ={}) as online:
        assert isinstance(make(online, tmp_path, index_server.simple_url).project_page("demo"), ProjectPage)
    with HttpClient(cache_dir=tmp_path / "http", environ={}, offline=True) as offline:
        index = make(offline, tmp_path, index_server.simple_url)
        assert index.project_page("demo").versions == ("1.0",)
        missing = index.project_page("never-fetched")
        assert isinstance(missing, Offline) and "never-fetched" in missing.reason
