"""The resolver against the 128 shared scenarios, each served from the loopback index.

Concrete-environment cases must all pass: the outcome (resolved or not) and every expected
version. `universal = true` cases need universal locking (one lock for every environment),
which does not exist yet: one test runs them for the record and checks only that they run.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from pkm.http import HttpClient
from pkm.index import SimpleIndex
from pkm.resolver import NoResolution, Options, Target, resolve
from scenarios.harness import load_cases, publish_case
from support.index_server import IndexServer

CASES = load_cases()
CONCRETE = [case for case in CASES if not case["options"].get("universal")]
UNIVERSAL = [case for case in CASES if case["options"].get("universal")]

# packse's `python_platform` values (uv's `--python-platform`) and the glibc they stand for.
_MANYLINUX = {"x86_64-manylinux2014": (2, 17)}


def _target(case: dict) -> Target:
    platform = case["options"].get("python_platform")
    return Target.synthesize(case["python"], "linux", manylinux=_MANYLINUX.get(platform) if platform else None)


def _options(case: dict, tmp_path) -> Options:
    options = case["options"]
    return Options(
        prereleases="allow" if options.get("prereleases") else "if-necessary",
        no_binary=frozenset(options.get("no_binary", ())),
        no_build=frozenset(options.get("no_build", ())),
        tmp_dir=tmp_path,
    )


def _run(case: dict, tmp_path):
    """(versions by name, None) when resolved, (None, the NoResolution) when not."""
    with IndexServer() as server, HttpClient(environ={}) as client:
        publish_case(case, server, tmp_path / "dists")
        index = SimpleIndex(client, [server.simple_url], tmp_dir=tmp_path, cache=False)
        requirements = [Requirement(text) for text in case["root"]["requires"]]
        try:
            resolution = resolve(requirements, index, _target(case), _options(case, tmp_path))
        except NoResolution as failure:
            return None, failure
    return {name: str(version) for name, version in resolution.versions().items()}, None


@pytest.mark.parametrize("case", CONCRETE, ids=lambda c: f"{c['group']}/{c['name']}")
def test_concrete_scenario(case, tmp_path):
    versions, failure = _run(case, tmp_path)
    expected = case["expected"]
    if expected["satisfiable"]:
        assert failure is None, f"expected a resolution, got: {failure and failure.hints}"
        for name, version in expected["packages"].items():
            assert versions.get(name) == version, f"{name}: expected {version}, resolved {versions}"
    else:
        assert versions is None, f"expected no resolution, got {versions}"
        assert (failure.failure is not None and failure.failure.incompatibility is not None) or failure.why


def test_universal_scenarios_are_reported_separately(tmp_path, capsys):
    """Universal cases run against the concrete Python 3.12 linux target for the record (no assertion on
    their outcome: a universal lock must hold for every environment, which this resolver does not do)."""
    agree = 0
    for number, case in enumerate(UNIVERSAL):
        versions, _ = _run(case, tmp_path / str(number))
        expected = case["expected"]
        if (versions is not None) == expected["satisfiable"] and all(
                versions is None or versions.get(n) == v for n, v in expected["packages"].items()):
            agree += 1
    with capsys.disabled():
        print(f"\nuniversal scenarios: {agree}/{len(UNIVERSAL)} agree with a single-environment resolution")
    assert len(UNIVERSAL) == 37
