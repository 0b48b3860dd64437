"""pkm builds itself with pkm.backend, and loading the backend loads nothing else of pkm."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import pkm

SAFE = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
REPO = Path(__file__).resolve().parent.parent.parent


def _build(hook_name: str, source: Path, out: Path) -> Path:
    # A fresh interpreter with the source tree as cwd and on sys.path, as `backend-path = ["."]` does.
    code = f"import sys, pkm.backend as b; sys.stdout.write(b.{hook_name}({str(out)!r}))"
    name = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.'); {code}"],
                          cwd=source, check=True, capture_output=True, text=True).stdout
    return out / name


def _members(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_importing_the_backend_imports_nothing_else_of_pkm():
    code = ("import sys; sys.path.insert(0, '.'); import pkm.backend\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pkm' and not m.startswith('pkm.backend')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['pkm']"  # the tiny parent package only


def test_pyproject_declares_the_self_hosted_backend():
    text = (REPO / "pyproject.toml").read_text()
    assert 'build-backend = "pkm.backend"' in text and 'backend-path = ["."]' in text
    assert "hatchling" not in text


def test_pkm_wheel_from_its_sdist_equals_the_direct_wheel(tmp_path):
    (tmp_path / "sdist").mkdir()
    (tmp_path / "direct").mkdir()
    (tmp_path / "rebuilt").mkdir()
    sdist = _build("build_sdist", REPO, tmp_path / "sdist")
    direct = _build("build_wheel", REPO, tmp_path / "direct")
    assert sdist.name == f"pkm_tool-{pkm.__version__}.tar.gz"
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "unpacked", **SAFE)
    top = f"pkm_tool-{pkm.__version__}"
    for expected in ("PKG-INFO", "pyproject.toml", "README.md", "hooks/pep517.py", "sitecustomize/sitecustomize.py",
                     "pkm/backend/__init__.py", "pkm_runtime/__init__.py", "tests/test_distribution.py"):
        assert f"{top}/{expected}" in names
    rebuilt = _build("build_wheel", tmp_path / "unpacked" / top, tmp_path / "rebuilt")
    assert rebuilt.name == direct.name
    assert sorted(_members(rebuilt)) == sorted(_members(direct))
    assert _members(rebuilt) == _members(direct)
    assert rebuilt.read_bytes() == direct.read_bytes()


def test_editable_pkm_serves_the_checkout_and_still_finds_its_hooks(tmp_path):
    # pkm maps hooks/ into pkm_runtime/ only in real wheels; editable installs rely on pkm_runtime.locate()
    # finding the folder beside the package ([tool.pkm.build] editable-force-include = "skip").
    wheel = _build("build_editable", REPO, tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("_pkm_tool_editable.pth").decode() == f"{REPO}\n"
        zf.extract("_pkm_tool_editable.pth", tmp_path / "site")
    code = (f"import site; site.addsitedir({str(tmp_path / 'site')!r}); import pkm_runtime; "
            "print(pkm_runtime.hook_script('pep517'))")
    # -S: no site-packages, so an installed pkm-tool cannot shadow the editable path entry
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == str(REPO / "hooks" / "pep517.py"), out.stderr


@pytest.mark.online
def test_pip_wheel_in_a_fresh_venv_builds_pkm(tmp_path):
    # pip makes an isolated build env and fetches `packaging` from PyPI into it.
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "wheel", "--no-deps",
                          "-q", "-w", str(tmp_path / "dist"), str(REPO)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (wheel,) = (tmp_path / "dist").glob("pkm_tool-*.whl")
    assert wheel.name == f"pkm_tool-{pkm.__version__}-py3-none-any.whl"
    direct = _build("build_wheel", REPO, tmp_path)
    assert _members(wheel) == _members(direct)


@pytest.mark.online
def test_python_m_build_and_pkm_build_give_the_same_wheel_of_pkm(tmp_path):
    # pypa/build (from PyPI, in a venv of its own) and `pkm build` both build the sdist, then the wheel from it.
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = str(env / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "build"]
    assert subprocess.run(pip, capture_output=True, text=True, cwd=tmp_path).returncode == 0
    out = subprocess.run([python, "-m", "build", "--wheel", "--outdir", str(tmp_path / "pypa"), str(REPO)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    ours = subprocess.run([sys.executable, "-m", "pkm", "build", "--wheel", "-o", str(tmp_path / "pkm"), str(REPO)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    (theirs,) = (tmp_path / "pypa").glob("pkm_tool-*.whl")
    (mine,) = (tmp_path / "pkm").glob("pkm_tool-*.whl")
    assert theirs.name == mine.name and _members(theirs) == _members(mine)
