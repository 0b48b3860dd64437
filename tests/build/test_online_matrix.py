"""Real sdists from PyPI, one per popular backend: `pkm build SDIST` makes the wheel `pip wheel` makes.

Each sdist is pinned, downloaded once (hash-verified by `pkm download`), then built by pkm and by
pip (with build isolation, `--no-deps`), all at once in a few threads. The wheels must have the
same name and members; every member's bytes must match too, except what a build legitimately
varies: compiled extensions (they embed build paths), their RECORD rows, and WHEEL's Generator.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import pytest

# requirement -> the backend pkm must report using (a build with another one would test nothing).
MATRIX = {
    "six==1.17.0": "setuptools.build_meta:__legacy__",  # setuptools, no pyproject.toml: PEP 517's fallback
    "markupsafe==3.0.2": "setuptools.build_meta",  # setuptools with a C extension (markupsafe._speedups)
    "annotated-types==0.7.0": "hatchling.build",
    "tomli==2.2.1": "flit_core.buildapi",
    "tomlkit==0.13.2": "poetry.core.masonry.api",
    "unearth==0.17.2": "pdm.backend",
    "pluggy==1.5.0": "setuptools.build_meta",  # setuptools-scm: the version comes from PKG-INFO
}
_COMPILED = (".so", ".pyd", ".dylib")
# pip.conf and these variables would point pip at other indexes than PyPI (this machine has some).
_PIP_SCRUBBED = ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_CONSTRAINT")


def _record(data: bytes, skip) -> Dict[str, tuple]:
    rows = csv.reader(io.StringIO(data.decode("utf-8")))
    return {row[0]: tuple(row[1:]) for row in rows if row and not skip(row[0])}


def wheel_differences(ours: Path, theirs: Path) -> List[str]:
    """What differs between two wheels of one project, beyond what builds may vary; [] when equivalent."""
    problems = []
    if ours.name != theirs.name:
        problems.append(f"file name {ours.name} != {theirs.name}")
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(theirs) as b:
        names_a, names_b = set(a.namelist()), set(b.namelist())
        problems += [f"only in pkm's wheel: {n}" for n in sorted(names_a - names_b)]
        problems += [f"only in pip's wheel: {n}" for n in sorted(names_b - names_a)]
        for name in sorted(names_a & names_b):
            left, right = a.read(name), b.read(name)
            if name.endswith(_COMPILED):
                continue
            if name.endswith(".dist-info/RECORD"):
                left, right = (_record(x, lambda path: path.endswith(_COMPILED)) for x in (left, right))
            elif name.endswith(".dist-info/WHEEL"):
                left, right = ([line for line in x.decode().splitlines() if not line.startswith("Generator:")]
                               for x in (left, right))
            if left != right:
                problems.append(f"{name} differs")
    return problems


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_wheel_differences_ignores_only_what_builds_may_vary(tmp_path):
    def wheel(name, members):
        path = tmp_path / name / "demo-1.0-cp311-cp311-linux_x86_64.whl"
        path.parent.mkdir()
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in members.items():
                zf.writestr(member, data)
        return path

    def members(so: bytes, generator: str, module: bytes = b"X = 1\n"):
        record = "".join(f"{n},sha256={_b64(d)},{len(d)}\n" for n, d in (("demo/_x.so", so), ("demo/a.py", module)))
        return {"demo/_x.so": so, "demo/a.py": module, "demo-1.0.dist-info/RECORD": record,
                "demo-1.0.dist-info/WHEEL": f"Wheel-Version: 1.0\nGenerator: {generator}\nTag: cp311\n"}

    base = wheel("base", members(b"\x7fELF one", "setuptools (80)"))
    assert wheel_differences(base, wheel("rebuilt", members(b"\x7fELF two", "bdist_wheel (0.45)"))) == []
    changed = wheel("changed", members(b"\x7fELF one", "setuptools (80)", module=b"X = 2\n"))
    assert wheel_differences(base, changed) == ["demo-1.0.dist-info/RECORD differs", "demo/a.py differs"]
    extra = wheel("extra", dict(members(b"\x7fELF one", "setuptools (80)"), **{"demo/b.py": b""}))
    assert wheel_differences(base, extra) == ["only in pip's wheel: demo/b.py"]


def _pip_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PIP_SCRUBBED}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.online
def test_real_sdists_build_into_the_wheels_pip_builds(run_pkm, tmp_path):
    sdists = tmp_path / "sdists"
    fetched = run_pkm("download", "--no-binary", "-q", "-d", str(sdists), *MATRIX)
    assert fetched.returncode == 0, fetched.stderr
    by_name = {}
    for sdist in sdists.iterdir():
        name = sdist.name.split("-")[0].lower().replace("_", "-")
        by_name[name] = sdist
    assert sorted(by_name) == sorted(req.split("==")[0] for req in MATRIX)

    def pkm_build(name: str):
        return run_pkm("build", str(by_name[name]), "-o", str(tmp_path / "pkm" / name))

    def pip_wheel(name: str):
        return subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(by_name[name]),
                               "-w", str(tmp_path / "pip" / name)], env=_pip_env(), capture_output=True,
                              text=True, timeout=300)

    names = sorted(by_name)
    with ThreadPoolExecutor(4) as pool:
        ours = dict(zip(names, pool.map(pkm_build, names)))
        theirs = dict(zip(names, pool.map(pip_wheel, names)))
    problems = {}
    for requirement, backend in MATRIX.items():
        name = requirement.split("==")[0]
        built, reference = ours[name], theirs[name]
        assert reference.returncode == 0, f"pip wheel {name} failed:\n{reference.stderr}"
        if built.returncode != 0:
            problems[name] = [f"pkm build failed:\n{built.stderr}"]
            continue
        if f"Building wheel of {name} with {backend}\n" not in built.stderr:
            problems[name] = [f"not built with {backend}:\n{built.stderr}"]
            continue
        (wheel,), (pip_wheel_file,) = (list((tmp_path / tool / name).glob("*.whl")) for tool in ("pkm", "pip"))
        found = wheel_differences(wheel, pip_wheel_file)
        if found:
            problems[name] = found
    assert problems == {}
    if shutil.which("cc"):  # with a compiler, markupsafe's speedups were built: a platform wheel
        (markupsafe,) = (tmp_path / "pkm" / "markupsafe").glob("*.whl")
        with zipfile.ZipFile(markupsafe) as zf:
            assert "-cp3" in markupsafe.name and any("_speedups" in n and n.endswith(".so") for n in zf.namelist())
