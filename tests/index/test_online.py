"""Against the real PyPI (marked online): a project page, and core metadata read from a wheel by range requests."""

from __future__ import annotations

import dataclasses

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pkm.http import HttpClient
from pkm.index import ProjectPage, SimpleIndex, available_versions, newest_matching

PYPI = "https://pypi.org/simple/"

pytestmark = pytest.mark.online


@pytest.fixture
def index(tmp_path):
    with HttpClient(cache_dir=tmp_path / "http") as client:
        yield SimpleIndex(client, [PYPI], tmp_dir=tmp_path / "tmp")


def test_the_requests_page_lists_its_versions(index):
    page = index.project_page("Requests")
    assert isinstance(page, ProjectPage) and page.name == "requests"
    assert "2.31.0" in page.versions and "2.0.0" in page.versions
    versions = available_versions(page)
    assert versions[0].version >= Version("2.32.3")
    assert any(info.yanked for info in versions)  # 2.32.0 and 2.32.1 were yanked
    assert all(a.sha256 for a in page.artifacts if a.version >= Version("2.0"))


def test_core_metadata_of_a_requests_wheel_by_range_requests(index):
    page = index.project_page("requests")
    choice = newest_matching(page, SpecifierSet("==2.31.0"), only_binary=True)
    # Force the range path whatever the page says (this machine's proxy strips PEP 714 keys anyway).
    wheel = dataclasses.replace(choice.artifact, core_metadata=False)
    metadata = index.core_metadata(wheel)
    assert metadata.name == "requests" and metadata.version == Version("2.31.0")
    assert any(req.name == "idna" for req in metadata.requires_dist)
