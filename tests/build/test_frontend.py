"""The frontend with in-tree toy backends: hook calls, config settings, failures, build envs, the wheel cache."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from pkm.build import BuildCycleError, BuildFailed, Frontend
from pkm.errors import HashMismatchError, InputFileError, PkmError
from support.provisioning import WheelsProvisioner, sha256_of


@pytest.fixture
def frontend(store, python_interpreter, dists):
    helper = dists.wheel("helper", "1.0", files={"helper/__init__.py": "VALUE = 42\n"})
    return Frontend(store, python_interpreter, WheelsProvisioner(store, {"helper": helper}))


def _members(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_a_wheel_is_built_by_the_in_tree_backend_with_its_config_settings(frontend, toy_project, tmp_path):
    wheel = frontend.build(toy_project("alpha"), "wheel", tmp_path / "dist", {"mode": "fast", "flag": ["a", "b"]})
    assert wheel == tmp_path / "dist" / "alpha-1.0-py3-none-any.whl"
    assert json.loads(_members(wheel)["alpha/settings.json"]) == {"flag": ["a", "b"], "mode": "fast"}
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [wheel.name]  # no staging left behind


def test_an_sdist_is_built_and_a_wheel_from_it(frontend, toy_project, tmp_path):
    sdist = frontend.build(toy_project("alpha"), "sdist", tmp_path / "dist")
    assert sdist.name == "alpha-1.0.tar.gz"
    wheel = frontend.build_from_sdist(sdist, "wheel", tmp_path / "wheels")
    assert "alpha/__init__.py" in _members(wheel)


def test_a_failing_backend_shows_the_last_lines_and_the_log(frontend, toy_project, tmp_path, monkeypatch):
    monkeypatch.setenv("TOY_FAIL", "1")
    with pytest.raises(BuildFailed) as caught:
        frontend.build(toy_project("alpha"), "wheel", tmp_path / "dist")
    error = caught.value
    assert error.what == "building alpha failed: build_wheel failed: RuntimeError: the toy backend failed on purpose"
    assert "last lines of the build output:" in error.why
    assert "toy output line 30" in error.why
    assert "toy output line 1\n" not in error.why  # only the tail is shown ...
    assert f"full build log: {error.log}" in error.why
    assert "toy output line 1\n" in error.log.read_text()  # ... the log has everything
    assert error.exit_code == 1
    assert list((tmp_path / "dist").iterdir()) == []


def test_the_log_of_a_successful_build_is_removed(frontend, toy_project, tmp_path, store):
    frontend.build(toy_project("alpha"), "wheel", tmp_path / "dist")
    assert list((store.root / "build-logs-v1").iterdir()) == []


def test_a_backend_that_cannot_be_imported_is_reported(frontend, toy_project, tmp_path):
    project = toy_project("alpha")
    (project / "_backend" / "toy_backend.py").write_text("raise ImportError('no such thing')\n")
    with pytest.raises(BuildFailed, match="cannot be imported") as caught:
        frontend.build(project, "wheel", tmp_path / "dist")
    assert "no such thing" in caught.value.why


def test_backend_path_out_of_the_tree_is_refused(frontend, toy_project, tmp_path):
    project = toy_project("alpha")
    text = (project / "pyproject.toml").read_text().replace('["_backend"]', '["../elsewhere"]')
    (project / "pyproject.toml").write_text(text)
    with pytest.raises(InputFileError, match="leaves the source tree"):
        frontend.build(project, "wheel", tmp_path / "dist")


def test_build_requirements_are_importable_from_the_store_and_the_env_is_reused(
        frontend, toy_project, tmp_path, store, monkeypatch):
    monkeypatch.setenv("TOY_IMPORT", "helper")
    first = frontend.build(toy_project("alpha", requires=["helper"]), "wheel", tmp_path / "one")
    where = _members(first)["alpha/imported.txt"].decode()
    assert where.startswith(str(store.root / "trees"))  # imported in place: nothing was copied
    frontend.build(toy_project("beta", requires=["helper"]), "wheel", tmp_path / "two")
    envs = list((store.root / "build-envs-v1").iterdir())
    assert len(envs) == 1  # the same resolved set: one environment
    assert any(root.kind == "build-env" and Path(root.path) == envs[0] for root in store.roots())


def test_commands_of_build_requirements_are_on_the_builds_path(store, python_interpreter, dists, toy_project,
                                                                tmp_path, monkeypatch):
    # cmake, ninja, cython: backends run them as commands. A console script, a `#!python`
    # script and a binary-like one from `.data/scripts` must all be there, as in an installed env.
    tooling = dists.wheel("tooling", "1.0", files={"tooling/__init__.py": "def main():\n    print('console script ran')\n"},
                          entry_points={"console_scripts": {"tool-cli": "tooling:main"}},
                          data={"scripts": {"tool-py": "#!python\nimport sys\nprint('python script ran', sys.prefix != sys.base_prefix)\n",
                                            "tool-sh": "#!/bin/sh\necho shell script ran\n"}})
    frontend = Frontend(store, python_interpreter, WheelsProvisioner(store, {"tooling": tooling}))
    monkeypatch.setenv("TOY_RUN", "tool-cli,tool-py,tool-sh")
    wheel = frontend.build(toy_project("alpha", requires=["tooling"]), "wheel", tmp_path / "dist")
    assert _members(wheel)["alpha/ran.txt"].decode() == "console script ran\npython script ran True\nshell script ran\n"


def test_a_build_requirement_with_a_malicious_script_name_is_refused(store, python_interpreter, dists, toy_project,
                                                                      tmp_path):
    evil = dists.wheel("evil", "1.0", files={"evil/__init__.py": "def main():\n    pass\n"},
                       entry_points={"console_scripts": {"../../escape": "evil:main"}})
    frontend = Frontend(store, python_interpreter, WheelsProvisioner(store, {"evil": evil}))
    with pytest.raises(PkmError) as caught:
        frontend.build(toy_project("alpha", requires=["evil"]), "wheel", tmp_path / "dist")
    assert "../../escape" in caught.value.what + (caught.value.why or "")
    assert not list(tmp_path.rglob("escape")) and not list(tmp_path.rglob("alpha-1.0-*.whl"))


def test_get_requires_for_build_wheel_extends_the_environment(frontend, toy_project, tmp_path, monkeypatch):
    monkeypatch.setenv("TOY_IMPORT", "helper")
    wheel = frontend.build(toy_project("alpha", extra_requires=["helper>=1"]), "wheel", tmp_path / "dist")
    assert _members(wheel)["alpha/imported.txt"]
    assert [call[0] for call in frontend.envs.provisioner.calls] == [[], ["helper>=1"]]


def test_a_project_needed_to_build_itself_is_a_cycle(frontend, toy_project, tmp_path):
    with pytest.raises(BuildCycleError) as caught:
        frontend.build(toy_project("alpha"), "wheel", tmp_path / "dist", chain=("alpha", "beta"))
    assert caught.value.what == "alpha is already being built for: beta -> alpha"
    assert "alpha -> beta -> alpha" in caught.value.why


def test_wheels_built_from_an_sdist_are_cached(frontend, toy_sdist, tmp_path, monkeypatch):
    counter = tmp_path / "count"
    monkeypatch.setenv("TOY_COUNT", str(counter))
    sdist = toy_sdist("alpha")
    first = frontend.wheel_from_sdist(sdist, sha256_of(sdist))
    second = frontend.wheel_from_sdist(sdist, sha256_of(sdist))
    assert first == second and first.is_file()
    assert counter.read_text() == "alpha\n"  # built once
    other = frontend.wheel_from_sdist(sdist, sha256_of(sdist), {"opt": "1"})  # other settings: another entry
    assert other != first and counter.read_text() == "alpha\nalpha\n"
    assert json.loads(_members(other)["alpha/settings.json"]) == {"opt": "1"}


def test_an_sdist_that_does_not_match_its_hash_is_not_built(frontend, toy_sdist):
    sdist = toy_sdist("alpha")
    with pytest.raises(HashMismatchError):
        frontend.wheel_from_sdist(sdist, "0" * 64)


def test_a_project_on_pkms_own_backend_is_built_in_process(frontend, tmp_path):
    project = tmp_path / "demo"
    (project / "demo").mkdir(parents=True)
    (project / "demo" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text('[build-system]\nrequires = ["pkm-tool"]\nbuild-backend = "pkm.backend"\n'
                                            '\n[project]\nname = "demo"\nversion = "1.0"\n')
    wheel = frontend.build(project, "wheel", tmp_path / "dist")
    assert "demo/__init__.py" in _members(wheel)
    assert frontend.envs.provisioner.calls == []  # no build environment was needed
