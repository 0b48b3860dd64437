"""The package index client: Simple API pages, core metadata, artifacts, find-links, artifact choice.

    index = SimpleIndex(client, [extra_url, main_url], find_links=[...], tmp_dir=home / "tmp")
    page = index.project_page("requests")          # ProjectPage | NotFound | Offline
    choice = newest_matching(page, SpecifierSet(">=2"))
    metadata = index.core_metadata(choice.artifact)
    files = index.wheel_members(choice.artifact)     # member names, by range requests
    path = index.fetch_artifact(choice.artifact, dest_dir)

`Index` is the protocol the resolver and the CLI depend on; `FakeIndex`
implements it in memory for their tests.
"""

from __future__ import annotations

from ._fake import FakeIndex
from ._model import Artifact, Index, NotFound, Offline, ProjectPage, Progress, redact_url
from ._parse import ACCEPT, parse_links_page, parse_project_page
from ._select import Choice, VersionInfo, available_versions, newest_matching, python_matches, select_artifact
from ._simple import SimpleIndex

__all__ = [
    "ACCEPT",
    "Artifact",
    "Choice",
    "FakeIndex",
    "Index",
    "NotFound",
    "Offline",
    "ProjectPage",
    "Progress",
    "SimpleIndex",
    "VersionInfo",
    "available_versions",
    "newest_matching",
    "parse_links_page",
    "parse_project_page",
    "python_matches",
    "redact_url",
    "select_artifact",
]
