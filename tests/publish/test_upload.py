"""Publisher against the loopback index's legacy upload API: the form, the answers, and what is (not) repeated."""

from __future__ import annotations

import email.policy
import hashlib
from email.parser import BytesParser

import pytest

from pkm.errors import NetworkError, PkmError
from pkm.http import HttpClient
from pkm.publish import SKIPPED, UPLOADED, Auth, MultipartForm, Publisher, read_distribution, upload_fields
from pkm.publish._upload import already_exists, body_text
from support.server import Resource, redirect

README = "Description-Content-Type: text/markdown\nProject-URL: Home, https://foo.example\nKeywords: a,b\n\n# Foo\n"
SECRET = "pw-Very-Secret-123"


@pytest.fixture
def client():
    with HttpClient(environ={}, backoff=0, sleep=lambda s: None, timeout=5.0) as made:
        yield made


@pytest.fixture
def wheel(dists):
    return read_distribution(dists.wheel("Foo.Bar", "1.0", dependencies=["idna>=3", "rich"],
                                         extras={"socks": ["pysocks"]}, metadata_extra=README))


def _publisher(client, url, auth=None, **kwargs):
    sleeps = []
    return Publisher(client, url, auth, sleep=sleeps.append, **kwargs), sleeps


def _posts(server):
    return [hit for hit in server.log if hit.method == "POST"]


def test_upload_sends_the_metadata_digests_and_the_file(index_server, client, wheel):
    index_server.upload_auth = ("alice", SECRET)
    publisher, _ = _publisher(client, index_server.upload_url, Auth("alice", SECRET))
    assert publisher.upload(wheel) == UPLOADED
    [fields] = index_server.uploads
    assert (fields["name"], fields["version"], fields["filetype"], fields["pyversion"]) == (
        "Foo.Bar", "1.0", "bdist_wheel", "py3")
    assert (fields[":action"], fields["protocol_version"], fields["metadata_version"]) == ("file_upload", "1", "2.1")
    assert fields["requires_dist"].splitlines() == ["idna>=3", "rich", 'pysocks; extra == "socks"']
    assert fields["provides_extra"] == "socks"
    assert fields["project_urls"] == "Home, https://foo.example"
    assert fields["keywords"] == "a, b"
    assert (fields["description"], fields["description_content_type"]) == ("# Foo\n", "text/markdown")
    data = wheel.path.read_bytes()
    assert fields["sha256_digest"] == hashlib.sha256(data).hexdigest()
    assert fields["blake2_256_digest"] == hashlib.blake2b(data, digest_size=32).hexdigest()
    assert fields["md5_digest"] == hashlib.md5(data).hexdigest()
    assert client.get(f"{index_server.url}/files/{wheel.filename}").body == data


def test_the_form_is_streamed_in_chunks_and_parses_back(tmp_path, dists):
    noise = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(32768))  # 1 MiB that does not compress
    big = dists.wheel("big", "1.0", files={"big/data.bin": noise})
    dist = read_distribution(big)
    form = MultipartForm(upload_fields(dist), "content", dist.path, dist.filename, dist.size)
    chunks = list(form)
    assert max(len(c) for c in chunks[1:-1]) <= 64 * 1024 and len(chunks) > 3
    body = b"".join(chunks)
    assert len(body) == form.length and b"".join(form) == body  # exact, and iterable again
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {form.content_type}\r\n\r\n".encode() + body)
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["content"].get_filename() == dist.filename
    assert parts["content"].get_payload(decode=True) == big.read_bytes()


def test_an_existing_file_fails_clearly_or_is_skipped(index_server, client, wheel):
    index_server.add_file(wheel.path)
    publisher, _ = _publisher(client, index_server.upload_url)
    with pytest.raises(PkmError, match="already exists on") as info:
        publisher.upload(wheel)
    assert "--skip-existing" in info.value.hint and "File already exists" in info.value.why
    skipping, _ = _publisher(client, index_server.upload_url, skip_existing=True)
    assert skipping.upload(wheel) == SKIPPED


def test_refused_credentials_name_the_user_never_the_secret(index_server, client, wheel):
    index_server.upload_auth = ("alice", "right-password")
    publisher, _ = _publisher(client, index_server.upload_url, Auth("alice", SECRET, "--password"))
    with pytest.raises(PkmError) as info:
        publisher.upload(wheel)
    error = info.value
    assert "by user `alice` (HTTP 403)" in error.what and "--password" in error.hint
    assert SECRET not in f"{error.what} {error.why} {error.hint}"
    anonymous, _ = _publisher(client, index_server.upload_url)
    with pytest.raises(PkmError, match=r"needs credentials \(HTTP 401\)") as info:
        anonymous.upload(wheel)
    assert "--token" in info.value.hint


def test_an_index_echoing_the_secret_has_it_scrubbed(loopback_server, client, wheel):
    loopback_server.add("/legacy/", Resource(b"", status=403, reason=f"Bad password {SECRET} for alice"))
    publisher, _ = _publisher(client, loopback_server.url + "/legacy/", Auth("alice", SECRET))
    with pytest.raises(PkmError) as info:
        publisher.upload(wheel)
    assert info.value.why == "Bad password *** for alice"


def test_503_is_retried_after_retry_after_then_succeeds(index_server, client, wheel):
    index_server.misbehave("error", paths="/legacy/", count=2)  # 503, Retry-After: 0
    publisher, sleeps = _publisher(client, index_server.upload_url)
    assert publisher.upload(wheel) == UPLOADED
    assert sleeps == [0.0, 0.0] and len(_posts(index_server)) == 3
    assert index_server.contains(wheel.filename)


def test_503_that_persists_gives_up_with_a_clear_error(index_server, client, wheel):
    index_server.misbehave("error", paths="/legacy/")
    publisher, sleeps = _publisher(client, index_server.upload_url, retries=2)
    with pytest.raises(NetworkError, match=r"not taking uploads now \(HTTP 503\)"):
        publisher.upload(wheel)
    assert len(_posts(index_server)) == 3 and len(sleeps) == 2


def test_other_server_errors_are_not_repeated_and_say_how_to_finish(loopback_server, client, wheel):
    loopback_server.add("/legacy/", Resource(b"<html><pre>database on fire</pre></html>", status=500))
    publisher, sleeps = _publisher(client, loopback_server.url + "/legacy/")
    with pytest.raises(NetworkError, match=r"failed while taking foo_bar-1.0-py3-none-any.whl \(HTTP 500\)") as info:
        publisher.upload(wheel)
    assert info.value.why.startswith("database on fire\nthe file may or may not be stored now")
    assert "--skip-existing" in info.value.hint
    assert len(_posts(loopback_server)) == 1 and sleeps == []


@pytest.mark.parametrize("mode", ["reset", "truncate"])
def test_a_cut_connection_is_not_repeated_and_a_rerun_with_skip_existing_finishes(index_server, client, wheel, mode):
    index_server.misbehave(mode, paths="/legacy/", count=1)
    publisher, _ = _publisher(client, index_server.upload_url)
    with pytest.raises(NetworkError, match="was interrupted") as info:
        publisher.upload(wheel)
    assert "--skip-existing" in info.value.hint and len(_posts(index_server)) == 1
    stored = index_server.contains(wheel.filename)
    assert stored is (mode == "truncate")  # reset: before the index acted; truncate: in its answer
    rerun, _ = _publisher(client, index_server.upload_url, skip_existing=True)
    assert rerun.upload(wheel) == (SKIPPED if stored else UPLOADED)
    assert index_server.contains(wheel.filename)


def test_a_redirect_is_not_followed_and_names_the_target(loopback_server, client, wheel):
    loopback_server.add("/legacy", redirect("https://elsewhere.example/legacy/", 301))
    publisher, _ = _publisher(client, loopback_server.url + "/legacy")
    with pytest.raises(PkmError, match="redirect") as info:
        publisher.upload(wheel)
    assert info.value.hint.endswith("--repository-url https://elsewhere.example/legacy/")
    assert len(_posts(loopback_server)) == 1


def test_a_rejection_carries_the_index_reason(index_server, client, dists):
    wheel = read_distribution(dists.wheel("foo", "1.0"))
    publisher, _ = _publisher(client, index_server.upload_url)
    # the file changes between the checks and the upload: the index sees a wrong digest
    wheel.path.write_bytes(wheel.path.read_bytes()[:-4] + b"XXXX")
    with pytest.raises(PkmError, match=r"rejected foo-1.0-py3-none-any.whl \(HTTP 400\)") as info:
        publisher.upload(wheel)
    assert "digest" in info.value.why


@pytest.mark.parametrize(("status", "reason", "text", "expected"), [
    (409, "Conflict", "", True),
    (400, "File already exists. See https://pypi.org/help/#file-name-reuse", "", True),
    (400, "Bad Request", "Repository does not allow updating assets: pypi", True),
    (403, "Forbidden", "Not enough permissions to overwrite artifact 'x'", True),
    (400, "Invalid version", "", False),
    (403, "Forbidden", "Invalid or non-existent authentication information.", False),
])
def test_already_exists_in_the_words_of_each_index(status, reason, text, expected):
    assert already_exists(status, reason, text) is expected


def test_body_text_reads_error_pages():
    page = b"<html><head><title>Error</title></head><body><h1>Oops</h1>\n<p>It &amp; that</p></body></html>"
    assert body_text(page) == "Oops It & that"
    assert body_text(b"<pre>None</pre>") == ""
    assert body_text(b"x" * 1000).endswith("...") and len(body_text(b"x" * 1000)) == 400
