"""Against the real PyPI (marked online): `rich` and its dependencies resolve for two targets."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from pkm.http import HttpClient
from pkm.index import SimpleIndex
from pkm.resolver import Target, resolve

pytestmark = pytest.mark.online


def test_rich_resolves_with_its_dependencies(tmp_path):
    with HttpClient(cache_dir=tmp_path / "http") as client:
        index = SimpleIndex(client, ["https://pypi.org/simple/"], tmp_dir=tmp_path)
        modern = resolve([Requirement("rich>=13")], index, Target.synthesize("3.12", "linux"))
        versions = modern.versions()
        assert {"rich", "markdown-it-py", "mdurl", "pygments"} <= set(versions)
        assert versions["rich"] >= Version("13.7")
        assert all(p.artifact.filename.endswith(".whl") and p.artifact.sha256 for p in modern.packages)
        old = resolve([Requirement("rich==13.3.1")], index, Target.synthesize("3.7", "linux"))
        # rich 13.3.1 needs typing-extensions on Python < 3.9; markdown-it-py 3 dropped Python 3.7
        assert "typing-extensions" in old.versions() and old.versions()["markdown-it-py"] < Version("3")
