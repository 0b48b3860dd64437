"""Reading [build-system]: the PEP 517 fallback, malformed tables, and backend-path kept inside the tree."""

from __future__ import annotations

import pytest

from pkm.build import LEGACY_BACKEND, read_build_system
from pkm.errors import InputFileError


def _project(tmp_path, text: str):
    (tmp_path / "pyproject.toml").write_text(text)
    return tmp_path


def test_a_full_table_is_read(tmp_path):
    system = read_build_system(_project(tmp_path, '[build-system]\nrequires = ["flit_core>=3.4", "x; python_version<\'3\'"]\n'
                                                   'build-backend = "flit_core.buildapi"\n\n[project]\nname = "demo"\n'))
    assert [str(r) for r in system.requires] == ["flit_core>=3.4", 'x; python_version < "3"']
    assert system.backend == "flit_core.buildapi"
    assert system.backend_path == ()
    assert system.name == "demo"


def test_no_build_backend_falls_back_to_setuptools_legacy(tmp_path):
    system = read_build_system(_project(tmp_path, '[project]\nname = "demo"\n'))
    assert system.backend == LEGACY_BACKEND == "setuptools.build_meta:__legacy__"
    assert [str(r) for r in system.requires] == ["setuptools>=40.8"]


def test_a_setup_py_project_without_pyproject_is_legacy_setuptools(tmp_path):
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    system = read_build_system(tmp_path)
    assert system.backend == LEGACY_BACKEND
    assert [str(r) for r in system.requires] == ["setuptools>=40.8"]


def test_requires_without_backend_keeps_requires(tmp_path):
    system = read_build_system(_project(tmp_path, '[build-system]\nrequires = ["setuptools>=64", "wheel"]\n'))
    assert system.backend == LEGACY_BACKEND
    assert [str(r) for r in system.requires] == ["setuptools>=64", "wheel"]


def test_a_folder_without_a_project_is_refused(tmp_path):
    with pytest.raises(InputFileError, match="neither pyproject.toml nor setup.py"):
        read_build_system(tmp_path)


@pytest.mark.parametrize("table, message", [
    ('[build-system]\nbuild-backend = "x"\n', "has no `requires`"),
    ('[build-system]\nrequires = "setuptools"\n', "must be a list of strings"),
    ('[build-system]\nrequires = ["not a requirement!"]\n', "invalid build requirement"),
    ('[build-system]\nrequires = []\nbuild-backend = "no good"\n', "is not a `module.path:object` name"),
    ('[build-system]\nrequires = []\nbuild-backend = "x"\nbackend-path = "."\n', "backend-path must be a list"),
])
def test_malformed_tables_name_the_problem(tmp_path, table, message):
    with pytest.raises(InputFileError, match="pyproject.toml") as caught:
        read_build_system(_project(tmp_path, table))
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("entry", ["..", "../elsewhere", "/tmp", "sub/../../x"])
def test_backend_path_leaving_the_tree_is_an_error(tmp_path, entry):
    project = tmp_path / "proj"
    project.mkdir()
    _project(project, f'[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["{entry}"]\n')
    with pytest.raises(InputFileError, match="leaves the source tree") as caught:
        read_build_system(project)
    assert caught.value.hint and "inside the project" in caught.value.hint
    assert caught.value.line == 4


def test_backend_path_through_a_symlink_out_of_the_tree_is_an_error(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (tmp_path / "outside").mkdir()
    (project / "link").symlink_to(tmp_path / "outside")
    _project(project, '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["link"]\n')
    with pytest.raises(InputFileError, match="leaves the source tree"):
        read_build_system(project)


def test_backend_path_inside_the_tree_is_kept(tmp_path):
    (tmp_path / "_build").mkdir()
    system = read_build_system(_project(tmp_path, '[build-system]\nrequires = []\nbuild-backend = "b"\n'
                                                   'backend-path = [".", "_build"]\n'))
    assert system.backend_path == (".", "_build")
