"""FakeIndex behaves like an Index: pages, metadata, real wheels, not-found and offline as values."""

from __future__ import annotations

import zipfile

import pytest
from packaging.version import Version

from pkm.errors import NotFoundError, PkmError
from pkm.index import Artifact, FakeIndex, NotFound, Offline, ProjectPage, newest_matching


def test_declared_projects_have_pages_metadata_and_installable_wheels(tmp_path):
    index = FakeIndex()
    index.add("App", "1.0", dependencies=["lib>=2", "extra-dep; extra == 'cli'"], extras=["cli"],
              requires_python=">=3.8")
    index.add("app", "2.0b1")
    page = index.project_page("APP")
    assert isinstance(page, ProjectPage) and page.versions == ("1.0", "2.0b1")
    choice = newest_matching(page)
    metadata = index.core_metadata(choice.artifact)
    assert metadata.version == Version("1.0") and [str(r) for r in metadata.requires_dist][0] == "lib>=2"
    assert metadata.provides_extra == ["cli"] and str(metadata.requires_python) == ">=3.8"
    path = index.fetch_artifact(choice.artifact, tmp_path)
    with zipfile.ZipFile(path) as wheel:
        assert "app-1.0.dist-info/RECORD" in wheel.namelist()
        assert wheel.read("app-1.0.dist-info/METADATA").startswith(b"Metadata-Version: 2.1\nName: App")
    assert ("project_page", "app") in index.calls and ("fetch_artifact", path.name) in index.calls


def test_unknown_projects_and_offline_are_values():
    index = FakeIndex()
    assert index.project_page("nope") == NotFound("nope", ("fake://index/",))
    index.add("demo", "1.0")
    index.offline = True
    assert isinstance(index.project_page("demo"), Offline)


def test_custom_files_yanked_and_raw_metadata(tmp_path):
    index = FakeIndex()
    wheel, sdist = index.add("demo", "1.0", filenames=["demo-1.0-cp311-cp311-linux_x86_64.whl", "demo-1.0.tar.gz"],
                             yanked="bad", metadata="Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
                             content={"demo-1.0.tar.gz": b"tarball"})
    assert wheel.yanked == "bad" and not sdist.is_wheel
    assert index.fetch_artifact(sdist, tmp_path).read_bytes() == b"tarball"
    assert index.core_metadata(sdist).requires_dist is None


def test_files_it_does_not_know_and_hostile_names_are_errors(tmp_path):
    index = FakeIndex()
    stranger = Artifact("demo-1.0.tar.gz", "https://elsewhere.example/demo-1.0.tar.gz")
    with pytest.raises(NotFoundError):
        index.core_metadata(stranger)
    with pytest.raises(NotFoundError):
        index.fetch_artifact(stranger, tmp_path)
    with pytest.raises(PkmError, match="unsafe"):
        index.fetch_artifact(Artifact("../x.tar.gz", "fake://x"), tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_prefetch_is_recorded_for_callers_to_check():
    index = FakeIndex()
    index.prefetch(["A", "b"])
    assert index.calls == [("prefetch", "a"), ("prefetch", "b")]
