"""The HTTP cache behind get(cache=True): revalidation, max-age, no-store / no-cache, offline, corrupt files."""

from __future__ import annotations

import pytest

from pkm.errors import OfflineError
from support.server import Resource, redirect

PAGE = b"<html>page v1</html>"


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "http-cache"


def _conditional(hit):
    return hit.headers.get("if-none-match"), hit.headers.get("if-modified-since")


def test_an_etag_revalidation_serves_the_cached_body(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"'))
    client = make_client(cache_dir=cache_dir)
    first = client.get(loopback_server.url + "/p", cache=True)
    second = client.get(loopback_server.url + "/p", cache=True)
    assert (first.status, first.from_cache) == (200, False)
    assert (second.status, second.body, second.from_cache) == (200, PAGE, True)
    assert second.headers.get("etag") == '"v1"'
    assert _conditional(loopback_server.log[1]) == ('"v1"', None)


def test_a_last_modified_revalidation_serves_the_cached_body(loopback_server, make_client, cache_dir):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    loopback_server.add("/p", Resource(PAGE, last_modified=stamp))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    assert client.get(loopback_server.url + "/p", cache=True).from_cache
    assert _conditional(loopback_server.log[1]) == (None, stamp)


def test_a_changed_page_replaces_the_cached_one(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"'))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    loopback_server.add("/p", Resource(b"v2", etag='"v2"'))
    changed = client.get(loopback_server.url + "/p", cache=True)
    assert (changed.body, changed.from_cache) == (b"v2", False)
    assert client.get(loopback_server.url + "/p", cache=True).body == b"v2"
    assert _conditional(loopback_server.log[2]) == ('"v2"', None)


def test_max_age_serves_without_asking_the_server(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"', max_age=600))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    hit = client.get(loopback_server.url + "/p", cache=True)
    assert hit.from_cache and hit.body == PAGE
    assert len(loopback_server.log) == 1
    forced = client.get(loopback_server.url + "/p", headers={"Cache-Control": "no-cache"}, cache=True)
    assert forced.from_cache and len(loopback_server.log) == 2  # revalidated on request


def test_no_cache_answers_are_revalidated_every_time(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"', headers={"Cache-Control": "no-cache, max-age=600"}))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    assert client.get(loopback_server.url + "/p", cache=True).from_cache
    assert len(loopback_server.log) == 2


def test_no_store_answers_are_not_kept(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"', headers={"Cache-Control": "no-store"}))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    assert not client.get(loopback_server.url + "/p", cache=True).from_cache
    assert _conditional(loopback_server.log[1]) == (None, None)
    assert not any(cache_dir.glob("*.http"))


def test_without_cache_true_the_cache_is_neither_read_nor_written(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"', max_age=600))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p")
    assert not cache_dir.exists() or not any(cache_dir.iterdir())
    client.get(loopback_server.url + "/p", cache=True)
    assert not client.get(loopback_server.url + "/p").from_cache


def test_answers_for_different_accept_headers_are_cached_apart(loopback_server, make_client, cache_dir):
    variants = {"application/vnd.pypi.simple.v1+json": Resource(b"{}", etag='"j"'),
                "text/html": Resource(b"<html>", etag='"h"')}
    loopback_server.add("/p", Resource(b"<html>", etag='"h"', negotiate=variants))
    client = make_client(cache_dir=cache_dir)
    as_json = {"Accept": "application/vnd.pypi.simple.v1+json"}
    assert client.get(loopback_server.url + "/p", headers=as_json, cache=True).body == b"{}"
    assert client.get(loopback_server.url + "/p", headers={"Accept": "text/html"}, cache=True).body == b"<html>"
    again = client.get(loopback_server.url + "/p", headers=as_json, cache=True)
    assert (again.body, again.from_cache) == (b"{}", True)


def test_offline_serves_any_cached_entry_even_a_stale_one(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"', max_age=0))
    make_client(cache_dir=cache_dir).get(loopback_server.url + "/p", cache=True)
    loopback_server.stop()
    served = make_client(cache_dir=cache_dir, offline=True).get(loopback_server.url + "/p", cache=True)
    assert (served.status, served.body, served.from_cache) == (200, PAGE, True)


def test_offline_without_a_cached_entry_names_the_url(make_client, cache_dir):
    client = make_client(cache_dir=cache_dir, offline=True)
    with pytest.raises(OfflineError) as caught:
        client.get("https://u:pw@index.example/simple/missing/", cache=True)
    assert "https://***@index.example/simple/missing/" in caught.value.what
    assert "pw" not in caught.value.what
    with pytest.raises(OfflineError):
        client.get("https://index.example/simple/other/")  # no cache asked for: offline all the same


def test_a_corrupt_cache_file_is_ignored_and_replaced(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"'))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    (entry,) = cache_dir.glob("*.http")
    good = entry.read_bytes()
    for damage in (b"garbage", good[:-3], good.replace(b'"status"', b'"stat"'), b""):
        entry.write_bytes(damage)
        response = client.get(loopback_server.url + "/p", cache=True)
        assert (response.body, response.from_cache) == (PAGE, False)
        assert _conditional(loopback_server.log[-1]) == (None, None)  # the damaged entry was not trusted
        assert client.get(loopback_server.url + "/p", cache=True).from_cache  # and it was rewritten


def test_a_cached_redirected_page_keeps_its_final_url(loopback_server, make_client, cache_dir):
    loopback_server.add("/old", redirect("/new/"))
    loopback_server.add("/new/", Resource(PAGE, etag='"v1"', max_age=600))
    client = make_client(cache_dir=cache_dir)
    assert client.get(loopback_server.url + "/old", cache=True).url == loopback_server.url + "/new/"
    cached = make_client(cache_dir=cache_dir, offline=True).get(loopback_server.url + "/old", cache=True)
    assert cached.url == loopback_server.url + "/new/" and cached.body == PAGE


def test_only_successful_answers_are_cached(loopback_server, make_client, cache_dir):
    client = make_client(cache_dir=cache_dir)
    assert client.get(loopback_server.url + "/missing", cache=True).status == 404
    with pytest.raises(OfflineError):
        make_client(cache_dir=cache_dir, offline=True).get(loopback_server.url + "/missing", cache=True)


def test_a_failing_server_does_not_empty_the_cache_but_a_gone_page_does(loopback_server, make_client, cache_dir):
    loopback_server.add("/p", Resource(PAGE, etag='"v1"'))
    make_client(cache_dir=cache_dir).get(loopback_server.url + "/p", cache=True)
    loopback_server.misbehave("error")
    assert make_client(cache_dir=cache_dir, retries=0).get(loopback_server.url + "/p", cache=True).status == 503
    offline = make_client(cache_dir=cache_dir, offline=True)
    assert offline.get(loopback_server.url + "/p", cache=True).body == PAGE
    loopback_server.misbehave("none")
    loopback_server.add("/p", Resource(b"gone", status=404))
    assert make_client(cache_dir=cache_dir).get(loopback_server.url + "/p", cache=True).status == 404
    with pytest.raises(OfflineError):
        offline.get(loopback_server.url + "/p", cache=True)


def test_serving_from_the_cache_renews_the_entry_for_gc(loopback_server, make_client, cache_dir):
    import os
    import time

    loopback_server.add("/p", Resource(PAGE, max_age=3600))
    client = make_client(cache_dir=cache_dir)
    client.get(loopback_server.url + "/p", cache=True)
    (entry,) = cache_dir.glob("*.http")
    old = time.time() - 40 * 86400
    os.utime(entry, (old, old))
    assert client.get(loopback_server.url + "/p", cache=True).from_cache
    assert entry.stat().st_mtime > old + 86400  # `pkm store gc` counts unused days from here
