"""The command context's services: keeping a wheel the index fetched whole is best effort."""

from __future__ import annotations

import argparse
import errno

import pytest

from pkm.cli._context import Context
from pkm.errors import HashMismatchError
from pkm.ui import Console


class FullStore:
    def __init__(self, error):
        self.error, self.calls = error, []

    def add_blob(self, source, sha256, *, move=False):
        self.calls.append((sha256, move))
        raise self.error


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"), HashMismatchError("mismatch")],
                         ids=["disk-full", "hash-mismatch"])
def test_a_wheel_the_store_cannot_keep_costs_only_a_later_download(tmp_path, error):
    ctx = Context(argparse.Namespace(), Console())
    ctx._store = FullStore(error)
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    ctx._keep_wheel("a" * 64, b"PK")  # bytes that came with a range answer
    ctx._keep_wheel("a" * 64, wheel)  # a file the index downloaded
    assert ctx._store.calls == [("a" * 64, False), ("a" * 64, True)]
