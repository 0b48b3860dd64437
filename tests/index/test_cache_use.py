"""Reading a page or metadata from the store's caches is a use: gc's max age counts from the last read."""

from __future__ import annotations

import hashlib
import os
import time

from pkm.index import SimpleIndex
from pkm.store import Store

MAIN = "https://main.example/simple/"
DAY = 86400.0


class Answer:
    def __init__(self, url, body):
        self.url, self.status, self.body, self.from_cache = url, 200, body, False
        self.headers = {"Content-Type": "text/html"}


class PageClient:
    """Serves one HTML page per project; counts requests."""

    def __init__(self, pages):
        self.pages, self.requests, self.offline = pages, [], False

    def get(self, url, headers=None, cache=False):
        self.requests.append(url)
        return Answer(url, self.pages[url])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _age_all(folder, days=40.0):
    then = time.time() - days * DAY
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_a_cached_page_or_metadata_read_renews_it_and_gc_keeps_it(tmp_path):
    store = Store(tmp_path / "home")
    pages = {}
    for name in ("used", "unused"):
        url = f"https://files.example/{name}-1.0-py3-none-any.whl"
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
        pages[url + ".metadata"] = metadata  # PEP 658: the index serves the wheel's METADATA
        pages[f"{MAIN}{name}/"] = (f'<html><body><a href="{url}#sha256={_sha(name.encode())}" '
                                   f'data-core-metadata="sha256={_sha(metadata)}">{url.rsplit("/", 1)[1]}</a>'
                                   f'</body></html>').encode()

    def index():
        return SimpleIndex(PageClient(pages), [MAIN], tmp_dir=tmp_path / "tmp",
                           metadata_dir=store.bucket("metadata-v1"), parsed_dir=store.bucket("pages-v1"))

    first = index()
    for name in ("used", "unused"):
        first.core_metadata(first.project_page(name).artifacts[0])
    cached = {b: sorted(p for p in (store.root / b).rglob("*") if p.is_file()) for b in ("metadata-v1", "pages-v1")}
    assert [len(files) for files in cached.values()] == [2, 2]
    for bucket in cached:
        _age_all(store.root / bucket)
    later = index()  # another command, 40 days on, reading both from the caches
    assert later.core_metadata(later.project_page("used").artifacts[0]).name == "used"
    report = store.gc(max_age=30 * DAY)
    removed = sorted(e.name for e in report.removed if e.kind == "cache")
    assert len(removed) == 2 and {r.split("/")[0] for r in removed} == {"metadata-v1", "pages-v1"}
    kept = [p for files in cached.values() for p in files if p.exists()]
    assert len(kept) == 2 and report.kept_cache == 2
    again = index()  # what was kept is still read from the cache
    assert again.core_metadata(again.project_page("used").artifacts[0]).name == "used"
    assert sorted(p for p in (store.root / "pages-v1").rglob("*") if p.is_file()) == sorted(
        p for p in cached["pages-v1"] if p.exists())
