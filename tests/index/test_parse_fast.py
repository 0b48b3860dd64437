"""The fast paths of page reading give what the general path gives: PyPI-shaped JSON entries, name and version
parts parsed once, JSON pages whose files are made version by version (lazily)."""

from __future__ import annotations

import json

import pytest
from packaging.version import Version

from pkm.index import Artifact, ProjectPage, parse_project_page
from pkm.index._lazy import LazyPage
from pkm.index._model import name_and_version, page_artifact
from pkm.index._parse import _build, _json_entries

PAGE = "https://pypi.example/simple/demo/"
INDEX = "https://pypi.example/simple/"
SHA = "0123456789abcdef" * 4


def pypi_file(filename, **fields):
    entry = {"filename": filename, "url": f"https://files.example/{filename}", "hashes": {"sha256": SHA},
             "requires-python": ">=3.8", "size": 100, "upload-time": "2024-01-01T00:00:00Z", "yanked": False}
    entry.update(fields)
    return entry


def both_ways(*files, project="demo"):
    """The page read normally, and its entries read by the general path alone."""
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": list(files)}).encode()
    page = parse_project_page(body, content_type="application/vnd.pypi.simple.v1+json", page_url=PAGE,
                              project=project, index_url=INDEX)
    entries, _ = _json_entries(body, PAGE)  # no project: nothing taken on the fast path
    assert not any(isinstance(e, Artifact) for e in entries)
    artifacts, skipped = _build(entries, page_url=PAGE, index_url=INDEX, project=project)
    return page, artifacts, skipped


def same_fields(a, b):
    return all(getattr(a, f) == getattr(b, f) and type(getattr(a, f)) is type(getattr(b, f))
               for f in ("filename", "url", "hashes", "requires_python", "yanked", "core_metadata", "size",
                         "upload_time", "index_url", "name", "version"))


@pytest.mark.parametrize("fields", [
    {},
    {"requires-python": ""},                      # empty: no requirement
    {"requires-python": "  >=3.9 "},              # padded
    {"requires-python": None, "size": None, "upload-time": None},
    {"yanked": "broken"}, {"yanked": True}, {"yanked": ""},
    {"core-metadata": True}, {"core-metadata": {"sha256": "AB"}}, {"dist-info-metadata": {"sha256": "cd"}},
    {"hashes": {"sha256": SHA.upper()}}, {"hashes": {"sha256": SHA, "md5": "ab"}}, {"hashes": {}},
    {"size": True}, {"size": -1}, {"size": "100"},
    {"url": "http://files.example/demo-1.0.tar.gz"}, {"url": "https://files.example/demo-1.0.tar.gz#md5=ab"},
    {"url": "../../files/demo-1.0.tar.gz"},
])
def test_a_pypi_shaped_entry_reads_as_the_general_path_reads_it(fields):
    page, artifacts, skipped = both_ways(pypi_file("demo-1.0.tar.gz", **fields),
                                         pypi_file("demo-1.0-py3-none-any.whl", **fields))
    assert list(page.artifacts) == artifacts and list(page.skipped) == skipped == []
    assert all(same_fields(a, b) for a, b in zip(page.artifacts, artifacts))


def test_entries_the_fast_path_refuses_are_skipped_with_the_same_reasons():
    page, artifacts, skipped = both_ways(
        pypi_file("other-1.0.tar.gz"), pypi_file("demo-notaversion.tar.gz"), pypi_file(".demo-1.0.tar.gz"),
        pypi_file("demo-1.0-py3-none-any.whl", url="ftp://files.example/x.whl"), pypi_file("demo-2.0.tar.gz"))
    assert list(page.skipped) == skipped and len(skipped) == 4
    assert "belongs to project 'other'" in skipped[0] and "unsafe file name" in skipped[2]
    assert [a.filename for a in page.artifacts] == ["demo-2.0.tar.gz"]


def test_a_page_made_by_the_fast_path_behaves_like_any_artifact():
    page, _, _ = both_ways(pypi_file("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"))
    artifact = page.artifacts[0]
    same = Artifact(artifact.filename, artifact.url, {"sha256": SHA}, ">=3.8", None, False, 100,
                    "2024-01-01T00:00:00Z", INDEX)
    assert artifact == same and hash(artifact) == hash(same) and repr(artifact) == repr(same)
    assert artifact.version == Version("1.0") and artifact.sha256 == SHA and artifact.is_wheel
    assert {str(t) for t in artifact.tags} == {"cp311-cp311-manylinux_2_17_x86_64"}
    with pytest.raises(AttributeError):
        artifact.url = "elsewhere"  # still frozen


def test_page_artifact_equals_the_dataclass_made_one():
    made = page_artifact("demo-1.0.tar.gz", "https://x/demo-1.0.tar.gz", {}, None, None, False, None, None, "",
                         name_and_version("demo-1.0.tar.gz"))
    assert made == Artifact("demo-1.0.tar.gz", "https://x/demo-1.0.tar.gz")
    assert made.name == "demo" and made.version == Version("1.0")


def test_name_and_version_parts_are_parsed_once_and_errors_still_explain():
    a = name_and_version("Demo_Pkg-1.0-py3-none-any.whl")
    b = name_and_version("demo.pkg-1.0-cp39-cp39-win_amd64.whl")
    assert a == ("demo-pkg", Version("1.0")) and a[1] is b[1]  # one Version object per text
    assert name_and_version("My.Project-2.0.post1.tar.gz") == ("my-project", Version("2.0.post1"))
    assert name_and_version("with-dashes-in-name-3.0.zip") == ("with-dashes-in-name", Version("3.0"))
    with pytest.raises(ValueError, match="invalid version|Invalid"):
        name_and_version("demo-notaversion.tar.gz")
    with pytest.raises(ValueError):
        name_and_version("demo-1.0-py3-none-any.whl.part")
    with pytest.raises(ValueError):
        name_and_version("-1.0.tar.gz")


# -- lazy pages -------------------------------------------------------------------


def entry(filename, **fields):
    raw = {"filename": filename, "url": f"https://files.example/{filename}", "hashes": {"sha256": SHA},
           "requires-python": ">=3.8", "yanked": False}
    raw.update(fields)
    return raw


def read_lazily(files, versions=None):
    """The lazy page, and the artifacts and skip reasons of the general path over the same files."""
    data = {"meta": {"api-version": "1.1"}, "name": "demo", "files": files}
    if versions is not None:
        data["versions"] = versions
    body = json.dumps(data).encode()
    page = parse_project_page(body, content_type="application/vnd.pypi.simple.v1+json", page_url=PAGE,
                              project="demo", index_url=INDEX)
    entries, _ = _json_entries(body, PAGE)
    artifacts, skipped = _build(entries, page_url=PAGE, index_url=INDEX, project="demo")
    return page, artifacts, skipped


MIXED = [
    entry("demo-1.0.tar.gz"),
    entry("demo-1.0-py3-none-any.whl", **{"core-metadata": {"sha256": "AB"}}),
    "not an object",
    entry("other-1.0.tar.gz"),                                    # another project's file: skipped
    entry("demo-2.0-py3-none-any.whl", url="ftp://files.example/demo-2.0-py3-none-any.whl"),  # skipped
    entry("demo-2.0.tar.gz", url="http://files.example/demo-2.0.tar.gz#md5=ab"),  # kept, the long way
    entry(".demo-2.0.tar.gz"),                                    # unsafe name: skipped
    entry("demo-1.0.0-py2-none-any.whl"),                         # 1.0.0 is 1.0: the same version
    entry("demo-3.0-py2.7.egg"),                                  # not a wheel nor an sdist: ignored
    entry("demo-notaversion.tar.gz"),                             # skipped
    entry("demo-4.0.tar.gz", yanked="broken", hashes={"sha256": SHA, "md5": "ab"}, size=True),
]


def test_files_by_version_are_the_page_files_grouped_in_page_order():
    page, artifacts, skipped = read_lazily(MIXED)
    assert isinstance(page, LazyPage)
    assert list(page.skipped) == skipped and len(skipped) == 5
    grouped = {}
    for artifact in artifacts:
        grouped.setdefault(artifact.version, []).append(artifact)
    by_version = page.by_version()
    assert set(by_version) == set(grouped) == {Version("1.0"), Version("2.0"), Version("4.0")}
    for version, files in by_version.items():
        assert len(files) == len(grouped[version]) and list(files) == grouped[version]
    assert [a.filename for a in by_version[Version("1.0")]] == [
        "demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl", "demo-1.0.0-py2-none-any.whl"]
    assert by_version[Version("1.0")][1].core_metadata == {"sha256": "ab"}
    assert by_version[Version("4.0")][0].yanked == "broken" and by_version[Version("4.0")][0].size is None
    assert list(page.artifacts) == artifacts and page.versions == ("1.0", "2.0", "4.0")


def test_a_version_is_made_only_when_read_and_once():
    page, _, _ = read_lazily([entry("demo-1.0.tar.gz"), entry("demo-2.0.tar.gz")], versions=["1.0", "2.0"])
    files = page.by_version()[Version("2.0")]
    assert page.by_version() is page.by_version() and len(files) == 1
    first = files[0]
    assert files[0] is first and list(files) == [first] and first.url == "https://files.example/demo-2.0.tar.gz"
    assert page.versions == ("1.0", "2.0")  # the page's own list (PEP 700) as it is


def test_a_lazy_page_equals_the_page_read_at_once():
    page, _, _ = read_lazily(MIXED)
    again, _, _ = read_lazily(MIXED)
    assert page == again and page.artifacts == again.artifacts and page.name == "demo" and page.index_url == INDEX
    eager = ProjectPage(page.name, page.artifacts, page.index_url, page.versions, page.skipped)
    assert eager == page and page == eager and hash(eager) == hash(page)
    assert page != ProjectPage(page.name, page.artifacts[1:], page.index_url, page.versions, page.skipped)
