"""Fixtures for store tests: a fresh store and wheels with their digests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Tuple

import pytest

from pkm.store import Store
from support.dists import make_wheel


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "home", lock_timeout=10)


@pytest.fixture
def wheel(tmp_path) -> Callable[..., Tuple[Path, str]]:
    """Build a wheel with `make_wheel` into tmp_path/wheels; returns (path, sha256)."""

    def build(name: str = "demo", version: str = "1.0", **kwargs) -> Tuple[Path, str]:
        path = make_wheel(tmp_path / "wheels", name, version, **kwargs)
        return path, sha256_of(path)

    return build
