"""Which environment a command acts on, and what an environment has installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkm.env import installed, select_environment
from pkm.errors import NotFoundError


def _venv(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    return path


@pytest.fixture
def three(tmp_path):
    return _venv(tmp_path / "named"), _venv(tmp_path / "active"), _venv(tmp_path / "project" / ".venv")


def test_env_argument_wins_then_virtual_env_then_the_project_venv(tmp_path, three):
    named, active, project_venv = three
    environ = {"VIRTUAL_ENV": str(active)}
    project = project_venv.parent
    assert select_environment(str(named), environ, project) == named
    assert select_environment(None, environ, project) == active
    assert select_environment(None, {}, project) == project_venv


def test_a_relative_env_argument_is_made_absolute(tmp_path, three, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert select_environment("named", {}, None) == three[0]


def test_system_only_when_asked_and_it_overrides_virtual_env(tmp_path, three):
    _, active, _ = three
    system = lambda: Path("/usr")  # noqa: E731
    assert select_environment(None, {"VIRTUAL_ENV": str(active)}, None, system=True, system_prefix=system) == Path("/usr")
    assert select_environment(None, {"VIRTUAL_ENV": str(active)}, None, system_prefix=system) == active
    with pytest.raises(NotFoundError):
        select_environment(None, {}, None, system_prefix=system)


def test_nothing_found_says_how_to_make_one(tmp_path):
    (tmp_path / "project").mkdir()
    with pytest.raises(NotFoundError) as err:
        select_environment(None, {}, tmp_path / "project")
    assert err.value.what == "no virtual environment to act on"
    assert "no .venv in the project" in err.value.why
    assert "pkm venv .venv" in err.value.hint
    with pytest.raises(NotFoundError) as err:
        select_environment(None, {"VIRTUAL_ENV": ""}, None)
    assert "not inside a project" in err.value.why


def test_a_named_environment_that_is_not_a_venv_is_an_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotFoundError) as err:
        select_environment(str(tmp_path / "plain"), {}, None)
    assert "(--env) is not a virtual environment" in err.value.what and "pyvenv.cfg" in err.value.why
    with pytest.raises(NotFoundError) as err:
        select_environment(None, {"VIRTUAL_ENV": str(tmp_path / "gone")}, None)
    assert "($VIRTUAL_ENV)" in err.value.what and "does not exist" in err.value.why
    assert "pkm venv" in err.value.hint


def _dist(site: Path, folder: str, metadata: str | None, file: str = "METADATA") -> Path:
    path = site / folder
    path.mkdir(parents=True)
    if metadata is not None:
        (path / file).write_text(metadata)
    return path


def test_installed_lists_dist_info_and_egg_info_sorted_by_normalized_name(tmp_path):
    site = tmp_path / "site-packages"
    b = _dist(site, "Zope.Interface-6.0.dist-info", "Metadata-Version: 2.1\nName: Zope.Interface\nVersion: 6.0\n")
    a = _dist(site, "attrs-23.1.0.dist-info", "Metadata-Version: 2.1\nName: attrs\nVersion: 23.1.0\n")
    e = _dist(site, "legacy-0.1-py3.11.egg-info", "Metadata-Version: 1.0\nName: legacy\nVersion: 0.1\n",
              file="PKG-INFO")
    (site / "attrs").mkdir()
    (site / "notes.dist-info.txt").write_text("")
    assert installed(site) == [("attrs", "23.1.0", a), ("legacy", "0.1", e), ("Zope.Interface", "6.0", b)]


def test_installed_skips_broken_metadata_and_lists_a_name_once(tmp_path):
    site = tmp_path / "site-packages"
    _dist(site, "broken-1.0.dist-info", None)
    _dist(site, "noversion-1.0.dist-info", "Metadata-Version: 2.1\nName: noversion\n")
    first = _dist(site, "dup-1.0.dist-info", "Metadata-Version: 2.1\nName: dup\nVersion: 1.0\n")
    _dist(site, "dup-2.0.dist-info", "Metadata-Version: 2.1\nName: Dup\nVersion: 2.0\n")
    assert installed(site) == [("dup", "1.0", first)]
    assert installed(tmp_path / "missing") == []
