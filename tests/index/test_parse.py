"""Simple API pages (PEP 691 JSON, PEP 503 HTML) become artifacts; broken and hostile pages are refused or filtered."""

from __future__ import annotations

import json

import pytest
from packaging.version import Version

from pkm.errors import NetworkError
from pkm.index import parse_links_page, parse_project_page

PAGE = "https://files.example/simple/demo/"
INDEX = "https://files.example/simple/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
SHA = "a" * 64


def parse_json(data, *, project="demo", content_type=JSON_TYPE, **kw):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return parse_project_page(body, content_type=content_type, page_url=PAGE, project=project, index_url=INDEX, **kw)


def parse_html(text, *, project="demo", content_type="text/html", page_url=PAGE):
    return parse_project_page(text.encode(), content_type=content_type, page_url=page_url, project=project,
                              index_url=INDEX)


def json_page(*files, versions=None, api="1.1"):
    data = {"meta": {"api-version": api}, "name": "demo", "files": list(files)}
    if versions is not None:
        data["versions"] = versions
    return data


def test_json_page_gives_every_field_of_pep_691_and_700():
    page = parse_json(json_page(
        {"filename": "demo-1.0-py3-none-any.whl", "url": "https://cdn.example/demo-1.0-py3-none-any.whl",
         "hashes": {"sha256": SHA.upper()}, "requires-python": ">=3.8", "core-metadata": {"sha256": "b" * 64},
         "size": 1234, "upload-time": "2024-01-01T00:00:00.000000Z", "yanked": False},
        {"filename": "demo-0.9.tar.gz", "url": "../../files/demo-0.9.tar.gz", "hashes": {},
         "yanked": "broken build", "dist-info-metadata": True},
        versions=["0.9", "1.0", "1.1"],
    ))
    wheel, sdist = page.artifacts
    assert (page.name, page.index_url, page.versions) == ("demo", INDEX, ("0.9", "1.0", "1.1"))
    assert wheel.hashes == {"sha256": SHA} and wheel.sha256 == SHA
    assert (wheel.requires_python, wheel.size, wheel.upload_time) == (">=3.8", 1234, "2024-01-01T00:00:00.000000Z")
    assert wheel.core_metadata == {"sha256": "b" * 64} and wheel.yanked is None
    assert wheel.is_wheel and wheel.version == Version("1.0") and wheel.name == "demo"
    assert sdist.url == "https://files.example/files/demo-0.9.tar.gz"  # relative to the page
    assert sdist.yanked == "broken build" and sdist.core_metadata is True and not sdist.is_wheel


def test_json_yanked_true_means_yanked_without_reason_and_versions_are_derived_without_pep_700():
    page = parse_json(json_page(
        {"filename": "demo-2.0.tar.gz", "url": "demo-2.0.tar.gz", "hashes": {}, "yanked": True},
        {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}, "yanked": ""},
    ))
    assert [a.yanked for a in page.artifacts] == ["", None]
    assert page.versions == ("1.0", "2.0")


def test_html_page_reads_pep_503_592_658_714_attributes_unescaped():
    html = """<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.3"></head><body>
    <a href="https://cdn.example/demo-1.0-py3-none-any.whl#sha256=%s" data-requires-python="&gt;=3.8,&lt;4"
       data-core-metadata="sha256=%s">demo-1.0-py3-none-any.whl</a>
    <a href="../../files/demo-0.9.tar.gz" data-yanked="bad &amp; old" data-dist-info-metadata="true">demo-0.9.tar.gz</a>
    <a href="/files/demo-0.8.tar.gz" data-yanked>demo-0.8.tar.gz</a>
    <a href="demo-0.7.zip">demo-0.7.zip</a>
    </body></html>""" % (SHA, "c" * 64)
    wheel, old, older, oldest = parse_html(html).artifacts
    assert wheel.url == "https://cdn.example/demo-1.0-py3-none-any.whl"  # the fragment became a hash
    assert wheel.hashes == {"sha256": SHA} and wheel.requires_python == ">=3.8,<4"
    assert wheel.core_metadata == {"sha256": "c" * 64}
    assert old.url == "https://files.example/files/demo-0.9.tar.gz"
    assert old.yanked == "bad & old" and old.core_metadata is True
    assert older.url == "https://files.example/files/demo-0.8.tar.gz" and older.yanked == ""
    assert oldest.url == "https://files.example/simple/demo/demo-0.7.zip" and oldest.yanked is None


def test_html_page_honours_a_base_href_and_the_final_url_after_redirects():
    html = '<html><head><base href="https://mirror.example/pkgs/"></head><body><a href="demo-1.0.tar.gz">x</a></body></html>'
    assert parse_html(html).artifacts[0].url == "https://mirror.example/pkgs/demo-1.0.tar.gz"
    moved = parse_html('<a href="demo-1.0.tar.gz">x</a>', page_url="https://other.example/s/demo/")
    assert moved.artifacts[0].url == "https://other.example/s/demo/demo-1.0.tar.gz"


def test_content_type_picks_the_parser_and_an_unlabelled_body_is_sniffed():
    data = json.dumps(json_page({"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}})).encode()
    assert len(parse_json(data, content_type="application/octet-stream").artifacts) == 1
    assert len(parse_html('<a href="demo-1.0.tar.gz">d</a>', content_type=HTML_TYPE + "; charset=utf-8").artifacts) == 1


@pytest.mark.parametrize("api", ["1.0", "1.4", "1.99"])
def test_newer_minor_api_versions_are_accepted(api):
    assert parse_json(json_page(api=api)).artifacts == ()
    assert parse_html(f'<meta name="pypi:repository-version" content="{api}">').artifacts == ()


def test_unknown_major_api_version_is_a_clear_error():
    with pytest.raises(NetworkError, match="Simple API version 2.0"):
        parse_json(json_page(api="2.0"))
    with pytest.raises(NetworkError, match="Simple API version 2"):
        parse_html('<html><head><meta name="pypi:repository-version" content="2.1"></head></html>')
    with pytest.raises(NetworkError, match="version 2"):
        parse_json(b"{}", content_type="application/vnd.pypi.simple.v2+json")


@pytest.mark.parametrize("body", [
    b'{"meta": {"api-version": "1.0"}, "files": [{"filename": "demo-1.0.tar.gz", "url": "dem',  # truncated
    b"{not json at all",
    b'["a", "list"]',
    b'{"meta": {"api-version": "1.0"}, "files": "nope"}',
    b"\xff\xfe\x00garbage",
])
def test_malformed_or_truncated_json_is_an_error_naming_the_page(body):
    with pytest.raises(NetworkError) as info:
        parse_json(body)
    assert info.value.what.startswith(f"the index page {PAGE}") and info.value.hint


def test_truncated_html_is_an_error():
    full = '<html><body><a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a><a href="demo-1.1.tar.gz">demo-1.1.tar.gz</a></body></html>'
    assert len(parse_html(full).artifacts) == 2
    for cut in (60, len(full) - 10):
        with pytest.raises(NetworkError, match="truncated"):
            parse_html(full[:cut])


def test_a_page_over_the_size_limit_is_refused_before_parsing():
    huge = json.dumps(json_page(*[{"filename": f"demo-1.{i}.tar.gz", "url": f"demo-1.{i}.tar.gz", "hashes": {}}
                                  for i in range(2000)])).encode()
    assert len(parse_json(huge).artifacts) == 2000
    with pytest.raises(NetworkError, match="too large"):
        parse_json(huge, max_bytes=len(huge) - 1)


@pytest.mark.parametrize("filename, url, reason", [
    ("../demo-1.0.tar.gz", "https://x.example/a", "path separator"),
    ("demo/../../x.tar.gz", "https://x.example/a", "path separator"),
    ("..", "https://x.example/a", "dot name"),
    (".demo-1.0.tar.gz", "https://x.example/a", "starts with a dot"),
    ("demo-1.0.tar.gz", "ftp://x.example/demo-1.0.tar.gz", "scheme 'ftp'"),
    ("demo-1.0.tar.gz", "file:///etc/passwd", "scheme 'file'"),
    ("demo-1.0.tar.gz", "javascript:alert(1)", "scheme 'javascript'"),
    ("other-1.0.tar.gz", "https://x.example/other-1.0.tar.gz", "belongs to project 'other'"),
    ("demo-1.0-py3-none.whl", "https://x.example/w.whl", "skipped"),
])
def test_hostile_or_foreign_json_entries_are_skipped_with_the_reason(filename, url, reason):
    page = parse_json(json_page({"filename": filename, "url": url, "hashes": {}},
                                {"filename": "demo-1.0.tar.gz", "url": "ok/demo-1.0.tar.gz", "hashes": {}}))
    assert [a.filename for a in page.artifacts] == ["demo-1.0.tar.gz"]
    assert len(page.skipped) == 1 and reason in page.skipped[0]


def test_hostile_html_links_are_skipped_and_old_formats_silently_ignored():
    html = """<html><body>
    <a href="../../%2E%2E%2Fevil.tar.gz">x</a>
    <a href="https://x.example/dir%2F..%2Fdemo-1.0.tar.gz">x</a>
    <a href="data:text/plain,demo-1.0.tar.gz">x</a>
    <a href="https://x.example/demo-1.0.win32.exe">x</a>
    <a href="https://x.example/demo-0.1-py2.7.egg">x</a>
    <a>no href</a>
    <a href="https://x.example/demo-2.0-py3-none-any.whl">ok</a>
    </body></html>"""
    page = parse_html(html)
    assert [a.filename for a in page.artifacts] == ["demo-2.0-py3-none-any.whl"]
    assert len(page.skipped) == 3
    assert all("skipped" in line for line in page.skipped)


def test_json_entries_of_the_wrong_shape_are_skipped_not_fatal():
    page = parse_json(json_page("a string", {"filename": 42, "url": "x"}, {"filename": "demo-1.0.tar.gz"},
                                {"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": "nope",
                                 "size": "big", "requires-python": 3}))
    assert len(page.skipped) == 3
    (artifact,) = page.artifacts
    assert (artifact.hashes, artifact.size, artifact.requires_python) == ({}, None, None)


def test_links_page_lists_artifacts_of_every_project_and_allows_file_links_only_when_local():
    html = '<a href="a-1.0.tar.gz">a</a><a href="b-2.0-py3-none-any.whl">b</a><a href="file:///tmp/c-1.0.tar.gz">c</a>'
    artifacts, skipped = parse_links_page(html.encode(), content_type="text/html", page_url="https://h.example/links/")
    assert sorted(a.name for a in artifacts) == ["a", "b"] and "scheme 'file'" in skipped[0]
    local, skipped = parse_links_page(html.encode(), content_type="text/html", page_url="file:///srv/links/index.html")
    assert [a.url for a in local] == ["file:///srv/links/a-1.0.tar.gz", "file:///srv/links/b-2.0-py3-none-any.whl",
                                      "file:///tmp/c-1.0.tar.gz"] and skipped == []
