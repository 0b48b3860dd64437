"""Fixture projects for the build frontend: tiny in-tree PEP 517 backends (via backend-path), as folders or sdists."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, Iterable, Optional

import pytest

from support.dists import make_sdist

# A stdlib-only backend. It writes a valid wheel whose `<pkg>/settings.json` holds the config
# settings it got, and an sdist of the tree. Env: TOY_FAIL=1 makes build_wheel print 30 numbered
# lines and raise; TOY_COUNT=path appends one line per build_wheel call (to count real builds);
# TOY_IMPORT=module imports it and records its __file__ in `<pkg>/imported.txt`; TOY_RUN=a,b runs
# those commands (from PATH) and records their output in `<pkg>/ran.txt`.
BACKEND = '''
import base64, hashlib, io, json, os, sys, tarfile, zipfile

NAME, VERSION = {name!r}, {version!r}
EXTRA_REQUIRES = {extra!r}


def _dist():
    return NAME.replace("-", "_")


def get_requires_for_build_wheel(config_settings=None):
    return list(EXTRA_REQUIRES)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("toy backend: building", NAME)
    if os.environ.get("TOY_COUNT"):
        with open(os.environ["TOY_COUNT"], "a") as f:
            f.write(NAME + "\\n")
    imported = ""
    if os.environ.get("TOY_IMPORT", _dist()) != _dist():  # a build requirement must be importable here
        imported = __import__(os.environ["TOY_IMPORT"]).__file__
    ran = ""
    if os.environ.get("TOY_RUN"):  # commands a build requirement provides must be on PATH here
        import subprocess
        for command in os.environ["TOY_RUN"].split(","):
            ran += subprocess.run([command], capture_output=True, text=True, check=True).stdout
    if os.environ.get("TOY_FAIL"):
        for i in range(1, 31):
            print("toy output line %d" % i)
        sys.stdout.flush()
        raise RuntimeError("the toy backend failed on purpose")
    dist = _dist() + "-" + VERSION
    files = {{
        _dist() + "/__init__.py": b"",
        _dist() + "/settings.json": json.dumps(config_settings or {{}}, sort_keys=True).encode(),
        _dist() + "/imported.txt": imported.encode(),
        _dist() + "/ran.txt": ran.encode(),
        dist + ".dist-info/METADATA": ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode(),
        dist + ".dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: toy\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }}
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(dist + ".dist-info/RECORD,,")
    files[dist + ".dist-info/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = dist + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    top = _dist() + "-" + VERSION
    name = top + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for folder, dirs, names in os.walk("."):
            dirs.sort()
            for n in sorted(names):
                path = os.path.normpath(os.path.join(folder, n))
                tar.add(path, arcname=top + "/" + path)
        info = tarfile.TarInfo(top + "/PKG-INFO")
        body = ("Metadata-Version: 2.2\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode()
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return name
'''


def pyproject(name: str, version: str, requires: Iterable[str] = (), backend_path: Iterable[str] = ("_backend",)) -> str:
    return (f"[build-system]\nrequires = {json.dumps(list(requires))}\nbuild-backend = \"toy_backend\"\n"
            f"backend-path = {json.dumps(list(backend_path))}\n\n"
            f"[project]\nname = \"{name}\"\nversion = \"{version}\"\n")


def project_files(name: str, version: str, *, requires: Iterable[str] = (),
                  extra_requires: Iterable[str] = ()) -> Dict[str, str]:
    """The files of a project built by the toy backend, relative to its root."""
    return {
        "pyproject.toml": pyproject(name, version, requires),
        "_backend/toy_backend.py": BACKEND.format(name=name, version=version, extra=list(extra_requires)),
        f"{name.replace('-', '_')}/__init__.py": "",
    }


@pytest.fixture
def toy_project(tmp_path):
    """`toy_project("alpha", "1.0", requires=[...])` -> a project folder built by the in-tree toy backend."""

    def make(name: str, version: str = "1.0", *, where: Optional[Path] = None, **kwargs) -> Path:
        root = (where or tmp_path) / f"{name}-src"
        for relative, text in project_files(name, version, **kwargs).items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root

    return make


@pytest.fixture
def toy_sdist(tmp_path):
    """`toy_sdist("alpha", "1.0", requires=["beta"])` -> an sdist (PKG-INFO 2.2) of a toy-backend project."""

    def make(name: str, version: str = "1.0", *, where: Optional[Path] = None, **kwargs) -> Path:
        files = project_files(name, version, **kwargs)
        text = files.pop("pyproject.toml")
        folder = where or tmp_path / "sdists"
        folder.mkdir(parents=True, exist_ok=True)
        return make_sdist(folder, name, version, files=files, pyproject=text)

    return make


@pytest.fixture
def python_interpreter(tmp_path_factory):
    """The running interpreter as pkm.env probes it."""
    from pkm.env import probe

    return probe(sys.executable, cache_dir=tmp_path_factory.mktemp("interpreters"))


@pytest.fixture
def store(tmp_path):
    from pkm.store import Store

    return Store(tmp_path / "home")
