"""Fixtures for the backend tests: write a project tree, call a hook from inside it, read archives."""

from __future__ import annotations

import tarfile
import textwrap
import zipfile
from pathlib import Path
from typing import Callable, Dict

import pytest

import pkm.backend as backend


def write_tree(root: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def project(tmp_path) -> Callable[..., Path]:
    """project(pyproject_text, {path: text}) -> the project root, a fresh folder per call."""
    counter = iter(range(1000))

    def make(pyproject: str, files: Dict[str, str] = {}) -> Path:
        root = tmp_path / f"proj{next(counter)}"
        return write_tree(root, {"pyproject.toml": pyproject, **files})

    return make


@pytest.fixture
def hook(monkeypatch, tmp_path) -> Callable[..., Path]:
    """hook(root, "build_wheel") -> the built file: runs the hook with `root` as the working directory."""

    def call(root: Path, name: str, out: Path | None = None) -> Path:
        out = out or tmp_path / "out"
        out.mkdir(exist_ok=True)
        monkeypatch.chdir(root)
        return out / getattr(backend, name)(str(out))

    return call


def read_archive(path: Path) -> Dict[str, bytes]:
    """The files of a wheel (zip) or sdist (tar.gz) by member name."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    with tarfile.open(path) as tf:
        return {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}


@pytest.fixture
def read() -> Callable[[Path], Dict[str, bytes]]:
    return read_archive
