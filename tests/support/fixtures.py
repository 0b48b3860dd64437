"""Pytest fixtures over the test infrastructure: servers started and stopped per test, a dist factory per tmp dir.

`tests/conftest.py` star-imports this module, so every name in `__all__` is
a fixture available to every test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Optional, Union

import pytest

from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.pypiserver import pypiserver
from support.server import LoopbackServer

__all__ = ["loopback_server", "index_server", "dists", "publish", "pypiserver"]


class Dists:
    """A wheel/sdist factory writing into one directory; keyword arguments as `make_wheel` / `make_sdist`."""

    def __init__(self, directory: Path):
        self.directory = directory

    def wheel(self, name: str, version: str, **kwargs) -> Path:
        """Build a wheel (see `support.dists.make_wheel`) and return its path."""
        return make_wheel(self.directory, name, version, **kwargs)

    def sdist(self, name: str, version: str, **kwargs) -> Path:
        """Build an sdist (see `support.dists.make_sdist`) and return its path."""
        return make_sdist(self.directory, name, version, **kwargs)


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    """A started, empty `LoopbackServer`; add resources with `.add(path, Resource(...))`."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def index_server() -> Iterator[IndexServer]:
    """A started, empty `IndexServer`; publish with `.add_file(path)`, point clients at `.simple_url`."""
    with IndexServer() as server:
        yield server


@pytest.fixture
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """A `Dists` factory writing into a fresh directory of its own (not the test's tmp_path)."""
    return Dists(tmp_path_factory.mktemp("dists"))


@pytest.fixture
def publish(index_server: IndexServer, dists: Dists) -> Callable[..., str]:
    """Build and publish in one call on `index_server`: `publish("foo", "1.0", dependencies=["bar"])` -> file URL.

    `sdist=True` builds an sdist instead of a wheel; `yanked`, `metadata` and
    `upload_time` go to `add_file`; every other keyword goes to the factory.
    """

    def build_and_publish(
        name: str,
        version: str,
        *,
        sdist: bool = False,
        yanked: Union[str, bool, None] = None,
        metadata: bool = True,
        upload_time: Optional[str] = None,
        **factory_kwargs,
    ) -> str:
        path = (dists.sdist if sdist else dists.wheel)(name, version, **factory_kwargs)
        return index_server.add_file(path, yanked=yanked, metadata=metadata, upload_time=upload_time)

    return build_and_publish
