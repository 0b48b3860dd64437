"""The loopback index serves what PEP 503/691/658/700 clients expect, and the bad pages tests ask for."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import zipfile
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from support.index_server import HTML_TYPE, JSON_TYPE, IndexServer

PIP_ACCEPT = f"{JSON_TYPE}, {HTML_TYPE};q=0.2, text/html;q=0.01"


def get(url: str, accept: str | None = None, headers: dict | None = None):
    """(final url, status, headers, body) following redirects; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers={**({"Accept": accept} if accept else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.url, response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.url, error.code, error.headers, error.read()


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(body: bytes) -> list:
    parser = Anchors()
    parser.feed(body.decode("utf-8"))
    return parser.anchors


@pytest.fixture
def foo_index(index_server: IndexServer, dists):
    """An index with foo 1.0 (wheel, requires-python), foo 2.0 (yanked wheel) and a foo 1.0 sdist."""
    index_server.add_file(dists.wheel("Foo", "1.0", requires_python=">=3.8,<4", dependencies=["bar>=1"]))
    index_server.add_file(dists.wheel("Foo", "2.0"), yanked="broken <badly>", upload_time="2024-05-01T00:00:00Z")
    index_server.add_file(dists.sdist("Foo", "1.0", requires_python=">=3.7"))
    return index_server


def test_json_project_page(foo_index):
    url, status, headers, body = get(foo_index.simple_url + "foo/", accept=PIP_ACCEPT)
    assert status == 200 and headers["Content-Type"] == JSON_TYPE
    page = json.loads(body)
    assert page["meta"]["api-version"] == "1.1"
    assert page["name"] == "foo" and page["versions"] == ["1.0", "2.0"]
    files = {f["filename"]: f for f in page["files"]}
    assert sorted(files) == ["foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz", "foo-2.0-py3-none-any.whl"]
    wheel = files["foo-1.0-py3-none-any.whl"]
    assert wheel["requires-python"] == ">=3.8,<4"
    assert wheel["yanked"] is False
    assert files["foo-2.0-py3-none-any.whl"]["yanked"] == "broken <badly>"
    assert files["foo-2.0-py3-none-any.whl"]["upload-time"] == "2024-05-01T00:00:00Z"
    assert files["foo-1.0.tar.gz"]["requires-python"] == ">=3.7"  # taken from PKG-INFO
    assert "core-metadata" not in files["foo-1.0.tar.gz"]
    _, _, _, wheel_bytes = get(urljoin(url, wheel["url"]))
    assert hashlib.sha256(wheel_bytes).hexdigest() == wheel["hashes"]["sha256"]
    assert len(wheel_bytes) == wheel["size"]


def test_html_project_page(foo_index):
    url, status, headers, body = get(foo_index.simple_url + "foo/", accept=HTML_TYPE)
    assert status == 200 and headers["Content-Type"] == HTML_TYPE
    links = {a["href"].split("#")[0].rsplit("/", 1)[-1]: a for a in anchors(body)}
    wheel = links["foo-1.0-py3-none-any.whl"]
    assert wheel["href"].startswith("../../files/")
    assert wheel["data-requires-python"] == ">=3.8,<4"  # HTML-escaped on the wire, unescaped by the parser
    assert b"&gt;=3.8,&lt;4" in body
    assert "data-yanked" not in wheel
    assert links["foo-2.0-py3-none-any.whl"]["data-yanked"] == "broken <badly>"
    _, _, _, wheel_bytes = get(urljoin(url, wheel["href"]))
    assert wheel["href"].endswith("#sha256=" + hashlib.sha256(wheel_bytes).hexdigest())


def test_plain_html_by_default(foo_index):
    _, status, headers, body = get(foo_index.simple_url + "foo/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert len(anchors(body)) == 3


def test_pep658_metadata_file_equals_the_wheels_metadata(foo_index, dists):
    _, _, _, body = get(foo_index.simple_url + "foo/", accept=JSON_TYPE)
    wheel = next(f for f in json.loads(body)["files"] if f["filename"] == "foo-1.0-py3-none-any.whl")
    _, status, _, metadata = get(foo_index.url + "/files/foo-1.0-py3-none-any.whl.metadata")
    assert status == 200
    with zipfile.ZipFile(dists.directory / "foo-1.0-py3-none-any.whl") as archive:
        assert metadata == archive.read("foo-1.0.dist-info/METADATA")
    assert wheel["core-metadata"] == {"sha256": hashlib.sha256(metadata).hexdigest()}
    assert wheel["dist-info-metadata"] == wheel["core-metadata"]


def test_html_carries_metadata_attributes(foo_index):
    _, _, _, body = get(foo_index.simple_url + "foo/", accept=HTML_TYPE)
    wheel = next(a for a in anchors(body) if "foo-1.0-py3-none-any.whl#" in a["href"])
    _, _, _, metadata = get(foo_index.url + "/files/foo-1.0-py3-none-any.whl.metadata")
    expected = "sha256=" + hashlib.sha256(metadata).hexdigest()
    assert wheel["data-core-metadata"] == expected and wheel["data-dist-info-metadata"] == expected


def test_metadata_files_off_hides_keys_and_files(foo_index):
    foo_index.metadata_files = False
    _, _, _, body = get(foo_index.simple_url + "foo/", accept=JSON_TYPE)
    assert all("core-metadata" not in f and "dist-info-metadata" not in f for f in json.loads(body)["files"])
    _, _, _, body = get(foo_index.simple_url + "foo/", accept=HTML_TYPE)
    assert b"data-core-metadata" not in body
    assert get(foo_index.url + "/files/foo-1.0-py3-none-any.whl.metadata")[1] == 404


def test_per_file_metadata_off(index_server, dists):
    index_server.add_file(dists.wheel("baz", "1.0"), metadata=False)
    _, _, _, body = get(index_server.simple_url + "baz/", accept=JSON_TYPE)
    assert "core-metadata" not in json.loads(body)["files"][0]
    assert get(index_server.url + "/files/baz-1.0-py3-none-any.whl.metadata")[1] == 404


@pytest.mark.parametrize(
    "path, normal", [("Foo/", "foo"), ("FOO", "foo"), ("foo", "foo"), ("Other.Project/", "other-project")]
)
def test_non_normalized_names_redirect_301(foo_index, dists, path, normal):
    foo_index.add_file(dists.wheel("Other.Project", "0.1"))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.build_opener(NoRedirect).open(foo_index.simple_url + path)
    assert caught.value.code == 301
    assert caught.value.headers["Location"] == f"/simple/{normal}/"
    url, status, _, _ = get(foo_index.simple_url + path)
    assert (url, status) == (foo_index.simple_url + normal + "/", 200)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_unknown_project_is_404(foo_index):
    assert get(foo_index.simple_url + "nothing-here/")[1] == 404


def test_root_index_lists_projects(foo_index, dists):
    foo_index.add_file(dists.wheel("Other.Project", "0.1"))
    _, _, headers, body = get(foo_index.simple_url, accept=JSON_TYPE)
    assert headers["Content-Type"] == JSON_TYPE
    assert [p["name"] for p in json.loads(body)["projects"]] == ["foo", "other-project"]
    _, _, _, body = get(foo_index.simple_url, accept="text/html")
    assert [a["href"] for a in anchors(body)] == ["/simple/foo/", "/simple/other-project/"]


def test_page_etag_revalidates(foo_index, dists):
    _, _, headers, _ = get(foo_index.simple_url + "foo/", accept=JSON_TYPE)
    etag = headers["ETag"]
    _, status, _, _ = get(foo_index.simple_url + "foo/", accept=JSON_TYPE, headers={"If-None-Match": etag})
    assert status == 304
    # the HTML variant is another representation: the JSON tag does not validate it
    assert get(foo_index.simple_url + "foo/", accept=HTML_TYPE, headers={"If-None-Match": etag})[1] == 200
    foo_index.add_file(dists.wheel("foo", "3.0"))
    _, status, headers, _ = get(foo_index.simple_url + "foo/", accept=JSON_TYPE, headers={"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag


def test_page_max_age_switch(foo_index):
    assert get(foo_index.simple_url + "foo/")[2]["Cache-Control"] is None
    foo_index.page_max_age = 600
    assert get(foo_index.simple_url + "foo/")[2]["Cache-Control"] == "max-age=600"


def test_serve_json_off_falls_back_to_html_or_406(foo_index):
    foo_index.serve_json = False
    _, status, headers, _ = get(foo_index.simple_url + "foo/", accept=PIP_ACCEPT)
    assert status == 200 and headers["Content-Type"] == HTML_TYPE
    assert get(foo_index.simple_url + "foo/", accept=JSON_TYPE)[1] == 406


def test_serve_html_off(foo_index):
    foo_index.serve_html = False
    _, status, headers, _ = get(foo_index.simple_url + "foo/")
    assert status == 200 and headers["Content-Type"] == JSON_TYPE
    assert get(foo_index.simple_url + "foo/", accept="text/html")[1] == 406


def test_file_ranges_switch(foo_index):
    url = foo_index.url + "/files/foo-1.0-py3-none-any.whl"
    _, status, _, body = get(url, headers={"Range": "bytes=-22"})
    assert status == 206 and body[:4] == b"PK\x05\x06"  # the zip end-of-central-directory record
    foo_index.ranges = False
    assert get(url, headers={"Range": "bytes=-22"})[1] == 200


def test_set_page_overrides_whatever_is_published(foo_index):
    foo_index.set_page("FOO", b"<html><a href='x'>broken", "text/html")
    _, status, headers, body = get(foo_index.simple_url + "foo/", accept=JSON_TYPE)
    assert (status, body) == (200, b"<html><a href='x'>broken")
    assert headers["Content-Type"] == "text/html"


def test_added_resources_take_precedence(foo_index):
    from support.server import Resource

    foo_index.add("/simple/foo/", Resource(b"{}", content_type=JSON_TYPE))
    assert get(foo_index.simple_url + "foo/")[3] == b"{}"


def test_misbehaviour_applies_to_the_index(foo_index):
    foo_index.misbehave("error", paths="/files/")
    assert get(foo_index.simple_url + "foo/")[1] == 200
    assert get(foo_index.url + "/files/foo-1.0.tar.gz")[1] == 503


def test_add_file_refuses_unparseable_names(index_server, tmp_path):
    bad = tmp_path / "not-a-dist.txt"
    bad.write_bytes(b"x")
    with pytest.raises(ValueError):
        index_server.add_file(bad)


def test_add_file_returns_the_file_url(index_server, dists):
    url = index_server.add_file(dists.wheel("foo", "1.0"))
    assert url == index_server.url + "/files/foo-1.0-py3-none-any.whl"
    assert get(url)[3] == (dists.directory / "foo-1.0-py3-none-any.whl").read_bytes()


def test_find_links_page_lists_every_file(foo_index):
    url, status, _, body = get(foo_index.find_links_url)
    hrefs = [a["href"] for a in anchors(body)]
    assert [h.split("#")[0] for h in hrefs] == [
        "../files/foo-1.0-py3-none-any.whl",
        "../files/foo-1.0.tar.gz",
        "../files/foo-2.0-py3-none-any.whl",
    ]
    _, status, _, wheel = get(urljoin(url, hrefs[0]))
    assert status == 200 and hrefs[0].endswith(hashlib.sha256(wheel).hexdigest())


# -- uploads (PyPI's legacy API) --------------------------------------------------


def form(fields: list, filename: str, content: bytes) -> tuple:
    """A multipart/form-data body as twine sends it: (body, content type)."""
    boundary = "b0undary"
    out = b""
    for key, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    out += content + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def upload(index: IndexServer, path, auth: str | None = None, **overrides):
    content = path.read_bytes()
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": "Foo",
        "version": "1.0",
        "sha256_digest": hashlib.sha256(content).hexdigest(),
    }
    fields.update(overrides)
    body, content_type = form(list(fields.items()) + [("classifiers", "A"), ("classifiers", "B")], path.name, content)
    headers = {"Content-Type": content_type}
    if auth:
        headers["Authorization"] = auth
    request = urllib.request.Request(index.upload_url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.reason
    except urllib.error.HTTPError as error:
        return error.code, error.reason


def test_upload_publishes_the_file(index_server, dists):
    wheel = dists.wheel("foo", "1.0")
    assert upload(index_server, wheel) == (200, "OK")
    _, _, _, body = get(index_server.simple_url + "foo/", accept=JSON_TYPE)
    assert [f["filename"] for f in json.loads(body)["files"]] == [wheel.name]
    assert get(index_server.url + "/files/" + wheel.name)[3] == wheel.read_bytes()
    assert index_server.uploads[0]["name"] == "Foo" and index_server.uploads[0]["classifiers"] == "A\nB"
    assert index_server.uploads[0]["filename"] == wheel.name


def test_upload_refuses_a_second_file_of_the_same_name(index_server, dists):
    wheel = dists.wheel("foo", "1.0")
    upload(index_server, wheel)
    status, reason = upload(index_server, wheel)
    assert status == 400 and reason.startswith("File already exists")
    assert len(index_server.uploads) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"sha256_digest": "0" * 64}, "digest supplied does not match"),
        ({"name": "bar"}, "does not match name"),
        ({":action": "submit"}, "':action'"),
        ({"version": ""}, "'version' is a required field"),
    ],
)
def test_upload_refuses_bad_forms(index_server, dists, overrides, message):
    status, reason = upload(index_server, dists.wheel("foo", "1.0"), **overrides)
    assert status == 400 and message in reason
    assert not index_server.projects()


def test_upload_auth(index_server, dists):
    import base64

    index_server.upload_auth = ("__token__", "pypi-secret")
    wheel = dists.wheel("foo", "1.0")
    assert upload(index_server, wheel)[0] == 401
    wrong = "Basic " + base64.b64encode(b"__token__:nope").decode()
    assert upload(index_server, wheel, auth=wrong)[0] == 403
    right = "Basic " + base64.b64encode(b"__token__:pypi-secret").decode()
    assert upload(index_server, wheel, auth=right) == (200, "OK")
    assert get(index_server.simple_url + "foo/")[1] == 200  # reading needs no credentials


def test_publish_fixture_builds_and_publishes(publish, index_server):
    wheel_url = publish("Bar", "1.0", dependencies=["foo"], yanked=True)
    sdist_url = publish("Bar", "1.0", sdist=True, requires_python=">=3.10")
    assert wheel_url.endswith("/files/bar-1.0-py3-none-any.whl") and sdist_url.endswith("/files/bar-1.0.tar.gz")
    _, _, _, body = get(index_server.simple_url + "bar/", accept=JSON_TYPE)
    files = {f["filename"]: f for f in json.loads(body)["files"]}
    assert files["bar-1.0-py3-none-any.whl"]["yanked"] is True
    assert files["bar-1.0.tar.gz"]["requires-python"] == ">=3.10"
    _, _, _, metadata = get(wheel_url + ".metadata")
    assert b"Requires-Dist: foo\n" in metadata
