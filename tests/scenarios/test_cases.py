"""The scenario data is complete and the harness serves each case as the data says."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from pkm.http import HttpClient
from pkm.index import ProjectPage, SimpleIndex, available_versions
from scenarios.harness import load_cases, publish_case
from support.index_server import IndexServer

CASES = load_cases()


def test_every_shared_scenario_was_converted():
    assert len(CASES) == 128
    assert len({case["name"] for case in CASES}) == 128
    universal = [case for case in CASES if case["options"].get("universal")]
    assert 0 < len(universal) < len(CASES)
    for case in CASES:
        for requirement in case["root"]["requires"]:
            Requirement(requirement)  # every requirement parses
        assert case["expected"]["satisfiable"] in (True, False)


@pytest.mark.parametrize("case", [c for c in CASES if c["group"] in ("extras", "yanked", "wheels")],
                         ids=lambda c: c["name"])
def test_harness_serves_what_the_case_describes(case, tmp_path):
    with IndexServer() as server, HttpClient(environ={}) as client:
        publish_case(case, server, tmp_path / "dists")
        index = SimpleIndex(client, [server.simple_url], tmp_dir=tmp_path, cache=False)
        for name, versions in case["packages"].items():
            page = index.project_page(name)
            assert isinstance(page, ProjectPage)
            served = {info.version: info for info in available_versions(page)}
            assert set(served) == {Version(v) for v in versions}
            for version, spec in versions.items():
                info = served[Version(version)]
                assert info.yanked == bool(spec["yanked"])
                assert {a.requires_python for a in info.artifacts} == {spec["requires_python"]}
                assert sum(a.is_wheel for a in info.artifacts) == (len(spec["wheel_tags"] or [1]) if spec["wheel"] else 0)
                assert sum(not a.is_wheel for a in info.artifacts) == int(spec["sdist"])
                wheel = next((a for a in info.artifacts if a.is_wheel), None)
                if wheel is not None:
                    meta = index.core_metadata(wheel)
                    assert {str(Requirement(r)) for r in spec["requires"]} <= {str(r) for r in meta.requires_dist or []}
                    assert set(meta.provides_extra or []) == {canonicalize_name(e) for e in spec["extras"]}
