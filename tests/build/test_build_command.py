"""`pkm build`: pkm building itself in-process, sdists, -C, failures, cycles and setuptools over a loopback index."""

from __future__ import annotations

import glob
import hashlib
import json
import sys
import zipfile
from pathlib import Path

import pytest

from pkm import backend
from support.dists import make_sdist

REPO = Path(__file__).resolve().parent.parent.parent


def _members(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_pkm_builds_itself_in_process_like_its_backend(run_pkm, tmp_path):
    done = run_pkm("build", str(REPO), "-o", str(tmp_path / "out"), "--format", "json")
    assert done.returncode == 0, done.stderr
    built = json.loads(done.stdout)
    assert [entry["kind"] for entry in built] == ["sdist", "wheel"]
    assert "with the running pkm (in-process)" in done.stderr
    assert "build-envs-v1" not in done.stderr
    reference = tmp_path / "reference"
    reference.mkdir()
    sdist_name = backend.build(REPO, "sdist", reference)
    wheel_name = backend.build(REPO, "wheel", reference)
    sdist, wheel = Path(built[0]["file"]), Path(built[1]["file"])
    assert (sdist.name, wheel.name) == (sdist_name, wheel_name)
    assert sdist.read_bytes() == (reference / sdist_name).read_bytes()
    # built from the sdist, the wheel is byte for byte the one the backend makes from the checkout
    assert wheel.read_bytes() == (reference / wheel_name).read_bytes()
    assert built[1]["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_an_sdist_argument_builds_its_wheel_and_the_second_time_from_the_cache(run_pkm, toy_sdist, tmp_path):
    sdist = toy_sdist("alpha", where=tmp_path / "in")
    first = run_pkm("build", str(sdist), "-o", str(tmp_path / "out"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("alpha-1.0-py3-none-any.whl")
    assert "Building wheel of alpha with toy_backend" in first.stderr
    second = run_pkm("build", str(sdist), "-o", str(tmp_path / "out2"), env={"TOY_FAIL": "1"})  # no build runs
    assert second.returncode == 0, second.stderr
    assert "Using the cached wheel of alpha-1.0.tar.gz" in second.stderr
    assert (tmp_path / "out2" / "alpha-1.0-py3-none-any.whl").read_bytes() == \
        (tmp_path / "out" / "alpha-1.0-py3-none-any.whl").read_bytes()


def test_default_builds_the_sdist_then_the_wheel_into_dist(run_pkm, toy_project):
    project = toy_project("alpha")
    done = run_pkm("build", str(project))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["alpha-1.0-py3-none-any.whl", "alpha-1.0.tar.gz"]


def test_config_settings_reach_the_backend(run_pkm, toy_project, tmp_path):
    done = run_pkm("build", str(toy_project("alpha")), "--wheel", "-o", str(tmp_path / "out"),
                   "-C", "mode=fast", "-C", "flag=a", "-C", "flag=b", "-C", "bare")
    assert done.returncode == 0, done.stderr
    settings = _members(tmp_path / "out" / "alpha-1.0-py3-none-any.whl")["alpha/settings.json"]
    assert json.loads(settings) == {"bare": "", "flag": ["a", "b"], "mode": "fast"}
    assert not (tmp_path / "out" / "alpha-1.0.tar.gz").exists()  # --wheel: no sdist


def test_a_failing_backend_exits_1_with_the_last_lines_and_the_log(run_pkm, toy_project, tmp_path):
    done = run_pkm("build", str(toy_project("alpha")), "--wheel", "-o", str(tmp_path / "out"), env={"TOY_FAIL": "1"})
    assert done.returncode == 1
    assert "error: building alpha failed: build_wheel failed: RuntimeError: the toy backend failed on purpose" \
        in done.stderr
    assert "toy output line 30" in done.stderr and "toy output line 2\n" not in done.stderr
    log = done.stderr.split("full build log: ")[1].split()[0]
    assert "toy output line 2\n" in Path(log).read_text()
    assert "hint:" in done.stderr
    assert "Traceback (most recent call last)" not in done.stderr  # the backend's output is shown, ...
    assert "raise RuntimeError" in Path(log).read_text()  # ... its traceback is in the log
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_backend_path_leaving_the_tree_exits_2(run_pkm, toy_project):
    project = toy_project("alpha")
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text().replace('["_backend"]', '[".."]'))
    done = run_pkm("build", str(project))
    assert done.returncode == 2
    assert "backend-path entry '..' leaves the source tree" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["nowhere"], "is neither a project folder nor an sdist"),
    (["missing-1.0.tar.gz"], "no sdist at missing-1.0.tar.gz"),
    (["-C", "=x"], "invalid config setting"),
])
def test_bad_usage_exits_2(run_pkm, args, message):
    done = run_pkm("build", *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_sdist_flag_with_an_sdist_exits_2(run_pkm, toy_sdist):
    done = run_pkm("build", str(toy_sdist("alpha")), "--sdist")
    assert done.returncode == 2 and "--sdist cannot build from an sdist" in done.stderr


def test_a_build_dependency_cycle_is_reported(run_pkm, toy_sdist, index_server, tmp_path):
    alpha = toy_sdist("alpha", requires=["beta"], where=tmp_path / "pub")
    index_server.add_file(alpha)
    index_server.add_file(toy_sdist("beta", requires=["alpha"], where=tmp_path / "pub"))
    done = run_pkm("build", str(alpha), "-o", str(tmp_path / "out"), "--index-url", index_server.simple_url)
    assert done.returncode == 1, done.stderr
    assert "error: alpha is already being built for: beta -> alpha" in done.stderr
    assert "build-dependency cycle: alpha -> beta -> alpha" in done.stderr


def test_an_sdist_only_build_requirement_is_built_first(run_pkm, toy_sdist, index_server, tmp_path):
    index_server.add_file(toy_sdist("helper", where=tmp_path / "pub"))
    alpha = toy_sdist("alpha", requires=["helper"], where=tmp_path / "pub")
    done = run_pkm("build", str(alpha), "-o", str(tmp_path / "out"), "--index-url", index_server.simple_url,
                   env={"TOY_IMPORT": "helper"})
    assert done.returncode == 0, done.stderr
    assert "Building wheel of helper" in done.stderr
    imported = _members(tmp_path / "out" / "alpha-1.0-py3-none-any.whl")["alpha/imported.txt"].decode()
    assert "/trees/" in imported and imported.endswith("helper/__init__.py")


def _local_wheel(project: str):
    """A wheel of `project` that ships with a CPython on this machine (its test data or ensurepip), or None."""
    prefixes = {sys.base_prefix, *glob.glob("/root/.pyenv/versions/*"), "/usr"}
    found = []
    for prefix in prefixes:
        for pattern in ("lib/python3*/test/%s-*-py3-none-any.whl", "lib/python3*/test/wheeldata/%s-*-py3-none-any.whl",
                        "lib/python3*/ensurepip/_bundled/%s-*-py3-none-any.whl"):
            found += glob.glob(f"{prefix}/{pattern % project}")
    newest = sorted(found, key=lambda f: [int(x) for x in Path(f).name.split("-")[1].split(".") if x.isdigit()])
    return newest[-1] if newest else None


def test_a_setuptools_project_builds_in_an_isolated_env_from_the_index(run_pkm, index_server, tmp_path):
    setuptools, wheel = _local_wheel("setuptools"), _local_wheel("wheel")
    # CPython ships them (its test data, ensurepip): this test needs no network.
    assert setuptools is not None and wheel is not None, "no setuptools/wheel wheels in this CPython's test data"
    index_server.add_file(setuptools)
    index_server.add_file(wheel)
    sdist = make_sdist(tmp_path / "in", "demo-pkg", "1.2", dependencies=["attrs>=20"],
                       files={"demo_pkg/__init__.py": "VALUE = 1\n"})
    done = run_pkm("build", str(sdist), "-o", str(tmp_path / "out"), "--index-url", index_server.simple_url)
    assert done.returncode == 0, done.stderr
    built = tmp_path / "out" / "demo_pkg-1.2-py3-none-any.whl"
    members = _members(built)
    assert members["demo_pkg/__init__.py"] == b"VALUE = 1\n"
    metadata = members["demo_pkg-1.2.dist-info/METADATA"].decode()
    assert "Requires-Dist: attrs" in metadata and ">=20" in metadata  # setuptools spells it "attrs >=20"
    again = run_pkm("build", str(sdist), "-o", str(tmp_path / "again"), "--index-url", index_server.simple_url)
    assert "Using the cached wheel" in again.stderr
    assert (tmp_path / "again" / built.name).read_bytes() == built.read_bytes()


@pytest.mark.online
def test_a_setuptools_sdist_from_pypi_builds(run_pkm, tmp_path):
    sdist = make_sdist(tmp_path / "in", "demo-pkg", "1.2", files={"demo_pkg/__init__.py": "VALUE = 1\n"})
    done = run_pkm("build", str(sdist), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "demo_pkg/__init__.py" in _members(tmp_path / "out" / "demo_pkg-1.2-py3-none-any.whl")
