"""When pkm's own backend is asked for, the running pkm builds in-process only if the result cannot differ."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pkm
from pkm.build import read_build_system, serves_in_process

REPO = Path(__file__).resolve().parent.parent.parent


def _project(tmp_path: Path, build_system: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(build_system + '\n[project]\nname = "demo"\nversion = "1.0"\n')
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text("")
    return tmp_path


def test_pkm_itself_is_served_in_process():
    assert serves_in_process(read_build_system(REPO), REPO)


@pytest.mark.parametrize("requires, expected", [
    ('["pkm-tool"]', True),
    (f'["pkm-tool=={pkm.__version__}", "packaging"]', True),
    ('["pkm-tool>=999"]', False),  # the running pkm is too old: an isolated build would get another one
    ('["pkm-tool", "surely-not-installed-here"]', False),
    ('["pkm-tool; python_version < \'3\'"]', False),  # nothing asks for pkm here: pkm.backend would not import
    ('["packaging"]', False),
])
def test_requirements_decide(tmp_path, requires, expected):
    project = _project(tmp_path, f'[build-system]\nrequires = {requires}\nbuild-backend = "pkm.backend"\n')
    assert serves_in_process(read_build_system(project), project) is expected


def test_another_backend_is_never_served(tmp_path):
    project = _project(tmp_path, '[build-system]\nrequires = ["pkm-tool"]\nbuild-backend = "flit_core.buildapi"\n')
    assert not serves_in_process(read_build_system(project), project)


def test_an_in_tree_pkm_backend_must_be_the_running_one(tmp_path):
    project = _project(tmp_path, '[build-system]\nrequires = ["packaging"]\nbuild-backend = "pkm.backend"\n'
                                 'backend-path = ["."]\n')
    assert not serves_in_process(read_build_system(project), project)  # no pkm/backend in the tree
    shutil.copytree(REPO / "pkm" / "backend", project / "pkm" / "backend",
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert serves_in_process(read_build_system(project), project)  # a byte-identical copy (pkm's own sdist)
    with open(project / "pkm" / "backend" / "_build.py", "a") as f:
        f.write("# changed\n")
    assert not serves_in_process(read_build_system(project), project)
