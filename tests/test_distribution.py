"""pkm's own wheel: what it contains, and that it installs into a fresh venv as a working `pkm`."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import pkm

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # pip runs pkm's own backend from the source tree (backend-path = ["."]); no network, no other backend.
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("pkm_tool-*.whl")
    return built


def test_wheel_contents_claim_no_generic_top_level_names(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"pkm", "pkm_runtime", f"pkm_tool-{pkm.__version__}.dist-info"}
    assert "pkm_runtime/hooks/probe.py" in names
    assert "pkm_runtime/hooks/pep517.py" in names
    assert "pkm_runtime/sitecustomize/sitecustomize.py" in names


def test_wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta = Parser().parsestr(zf.read(f"pkm_tool-{pkm.__version__}.dist-info/METADATA").decode())
        entry_points = zf.read(f"pkm_tool-{pkm.__version__}.dist-info/entry_points.txt").decode()
    assert meta["Name"] == "pkm-tool"
    assert meta["Requires-Python"] == ">=3.9"
    requires = meta.get_all("Requires-Dist")
    assert "packaging>=26.3" in requires
    assert any(r.startswith("tomli") and "python_version < '3.11'" in r.replace('"', "'") for r in requires)
    assert not any(r.split(";")[0].strip() in ("pkm",) or r.startswith("pkm ") for r in requires)
    assert "pkm = pkm.cli:main" in entry_points
    assert meta["Metadata-Version"] == "2.4" and meta["License-Expression"] == "MIT"


def test_wheel_is_built_by_pkm_backend(wheel):
    with zipfile.ZipFile(wheel) as zf:
        wheel_file = zf.read(f"pkm_tool-{pkm.__version__}.dist-info/WHEEL").decode()
    assert "Generator: pkm.backend\n" in wheel_file and "Tag: py3-none-any\n" in wheel_file


def test_installed_wheel_gives_a_working_pkm(wheel, tmp_path):
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(env)
    python = env / "bin" / "python"
    # Install with the running pip into the new venv; packaging comes from the system site (no network).
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, cwd=tmp_path)
    version = subprocess.run([str(env / "bin" / "pkm"), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert version.stdout == f"pkm {pkm.__version__}\n"
    same = subprocess.run([str(python), "-m", "pkm", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert same.stdout == version.stdout
    bad = subprocess.run([str(env / "bin" / "pkm"), "nonsense"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown command `nonsense`")
    where = subprocess.run([str(python), "-c", "import pkm_runtime; print(pkm_runtime.locate('hooks'))"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert Path(where.stdout.strip()).parent.name == "pkm_runtime"
    assert "site-packages" in where.stdout
