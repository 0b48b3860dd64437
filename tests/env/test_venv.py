"""Creating virtual environments: layout, that Python and pip accept them, refusals, --clear."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pkm.env import create_venv, installed, probe, read_venv
from pkm.env.venv import is_venv
from pkm.errors import PkmError

PYENV = Path.home() / ".pyenv" / "versions"


@pytest.fixture(scope="module")
def interp(tmp_path_factory):
    return probe(sys.executable, cache_dir=tmp_path_factory.mktemp("probe-cache"))


def _run(python: Path, code: str) -> str:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_venv_is_a_standard_one_that_python_uses(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp))
    assert venv == tmp_path / "env"
    minor = interp.python_version
    out = _run(venv / "bin" / "python",
               "import sys, site; print(sys.prefix); print(sys.base_prefix); print(site.getsitepackages()[0])")
    prefix, base_prefix, site_dir = out.splitlines()
    assert prefix == str(venv)
    assert base_prefix == sys.base_prefix
    assert site_dir == str(venv / "lib" / f"python{minor}" / "site-packages")
    assert os.readlink(venv / "bin" / "python3") == "python"
    assert os.readlink(venv / "bin" / f"python{minor}") == "python"
    assert os.readlink(venv / "lib64") == "lib"
    assert (venv / ".gitignore").read_text().splitlines()[-1] == "*"
    assert read_venv(venv).site_packages == Path(site_dir)


def test_pyvenv_cfg_has_cpythons_keys(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp, prompt="my app", system_site_packages=True))
    cfg = dict(line.split(" = ", 1) for line in (venv / "pyvenv.cfg").read_text().splitlines())
    base = interp.base_executable()
    assert cfg["home"] == os.path.dirname(base)
    assert cfg["include-system-site-packages"] == "true"
    assert cfg["version"] == interp.version_str
    assert cfg["prompt"] == "'my app'"
    assert cfg["executable"] == os.path.realpath(base)
    assert cfg["command"].startswith(f"{base} -m venv") and cfg["command"].endswith(str(venv))
    info = read_venv(venv)
    assert info.prompt == "my app" and info.include_system_site_packages and info.version == interp.version_str


def test_a_venv_made_from_a_venv_python_links_to_the_base_interpreter(tmp_path, interp):
    first = Path(create_venv(tmp_path / "first", interp))
    inner = probe(first / "bin" / "python", cache_dir=None)
    assert inner.in_venv and inner.prefix == str(first)
    second = Path(create_venv(tmp_path / "second", inner))
    target = os.readlink(second / "bin" / "python")
    assert not target.startswith(str(first))
    assert os.path.realpath(target) == os.path.realpath(interp.base_executable())
    assert _run(second / "bin" / "python", "import sys; print(sys.prefix)") == str(second)


def _tiny_wheel(directory: Path) -> Path:
    wheel = directory / "tiny-1.0-py3-none-any.whl"
    files = {
        "tiny.py": "VALUE = 42\n",
        "tiny-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n",
        "tiny-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(wheel, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
        z.writestr("tiny-1.0.dist-info/RECORD", "".join(f"{n},,\n" for n in files) + "tiny-1.0.dist-info/RECORD,,\n")
    return wheel


def test_pip_from_outside_installs_into_it(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp))
    wheel = _tiny_wheel(tmp_path)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-index", "--disable-pip-version-check", str(wheel)], check=True, capture_output=True)
    assert _run(venv / "bin" / "python", "import tiny; print(tiny.__file__, tiny.VALUE)") == \
        f"{read_venv(venv).site_packages / 'tiny.py'} 42"
    assert [(d.name, d.version) for d in installed(read_venv(venv).site_packages)] == [("tiny", "1.0")]


def test_a_non_venv_directory_is_never_touched(tmp_path, interp):
    target = tmp_path / "project"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    for clear in (False, True):
        with pytest.raises(PkmError) as err:
            create_venv(target, interp, clear=clear)
        assert "refusing" in err.value.what and "not a virtual environment" in err.value.why
    assert sorted(p.name for p in target.iterdir()) == ["precious.txt"]
    with pytest.raises(PkmError) as err:
        create_venv(tmp_path / "new", interp, prompt="two\nlines")
    assert "line breaks" in err.value.hint
    assert not (tmp_path / "new").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(PkmError, match="cannot create"):
        create_venv(tmp_path / "file", interp)


def test_an_empty_directory_is_used(tmp_path, interp):
    (tmp_path / "empty").mkdir()
    assert is_venv(create_venv(tmp_path / "empty", interp))


def test_rerunning_refreshes_in_place_and_clear_empties_first(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp))
    site = read_venv(venv).site_packages
    (site / "kept.py").write_text("")
    (venv / "bin" / "activate").write_text("broken")
    create_venv(venv, interp)
    assert (site / "kept.py").exists()
    assert "VIRTUAL_ENV=" in (venv / "bin" / "activate").read_text()
    (venv / "lib64").unlink()  # --clear must cope with whatever is there, links included
    (venv / "lib64").symlink_to("lib")
    create_venv(venv, interp, clear=True)
    assert not (site / "kept.py").exists()
    assert site.is_dir() and is_venv(venv)
    assert _run(venv / "bin" / "python", "import sys; print(sys.prefix)") == str(venv)


def test_an_existing_venv_of_another_python_needs_clear(tmp_path, interp):
    venv = Path(create_venv(tmp_path / "env", interp))
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace(f"version = {interp.version_str}", "version = 2.7.18"))
    with pytest.raises(PkmError) as err:
        create_venv(venv, interp)
    assert "is for Python 2.7.18" in err.value.what and "--clear" in err.value.hint
    create_venv(venv, interp, clear=True)
    assert read_venv(venv).version == interp.version_str


def test_default_prompt_is_the_directory_name_and_dot_means_cwd(tmp_path, interp, monkeypatch):
    venv = Path(create_venv(tmp_path / "env", interp))
    assert "VIRTUAL_ENV_PROMPT='env'" in (venv / "bin" / "activate").read_text()
    assert read_venv(venv).prompt is None
    work = tmp_path / "work dir"
    work.mkdir()
    monkeypatch.chdir(work)
    venv = Path(create_venv(tmp_path / "env2", interp, prompt="."))
    assert read_venv(venv).prompt == "work dir"
    venv = Path(create_venv(tmp_path / "env3", interp, prompt="it's \\ odd"))
    assert read_venv(venv).prompt == "it's \\ odd"


def _pythons():
    found = []
    for minor in range(9, 14):
        found += sorted(PYENV.glob(f"3.{minor}.*/bin/python3"))[-1:]
    return [str(p) for p in found]


@pytest.mark.multipython
@pytest.mark.parametrize("python", _pythons() or [sys.executable])
def test_venvs_of_every_supported_python(tmp_path, python):
    interp = probe(python, cache_dir=None)
    venv = Path(create_venv(tmp_path / "env", interp))
    out = _run(venv / "bin" / "python", "import sys, site; print(sys.prefix, sys.version_info[:2], "
                                        "site.getsitepackages()[0])")
    assert out == f"{venv} {interp.version[:2]} {read_venv(venv).site_packages}"
