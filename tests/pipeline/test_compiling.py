"""Bytecode compiled while wheels unpack (`pkm.cli._materialize._Compiling`): what it waits for, what it raises."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest

from pkm.cli._materialize import _Compiling
from pkm.errors import PkmError


class FakeStore:
    """Trees by digest; compiling one records it, or fails for the digests in `broken`."""

    def __init__(self, broken=(), gate=None):
        self.compiled, self.broken, self.gate = [], set(broken), gate
        self.interpreters = {}

    def tree_info(self, digest):
        return SimpleNamespace(interpreters=self.interpreters.get(digest, ()))

    def compile_tree(self, digest, python, *, compiler):
        if self.gate is not None:
            self.gate.wait(10)
        if digest in self.broken:
            raise PkmError(f"cannot compile bytecode with {python}")
        self.compiled.append(digest)
        self.interpreters[digest] = ("cpython-311",)


class FakeCompiler:
    closed = []

    def __init__(self, python):
        pass

    def close(self):
        FakeCompiler.closed.append(self)


@pytest.fixture(autouse=True)
def fake_compiler(monkeypatch):
    import pkm.store

    FakeCompiler.closed = []
    monkeypatch.setattr(pkm.store, "Compiler", FakeCompiler, raising=False)


def test_every_tree_handed_over_is_compiled_once_before_the_block_ends():
    store = FakeStore()
    store.interpreters["done"] = ("cpython-311",)  # has its bytecode: skipped
    with _Compiling(store, "python", "cpython-311") as compiling:
        for digest in ("a", "b", "done", "c"):
            compiling.add(digest)
    assert sorted(store.compiled) == ["a", "b", "c"]
    assert FakeCompiler.closed  # every compiling interpreter is ended


def test_without_a_cache_tag_nothing_is_compiled():
    store = FakeStore()
    with _Compiling(store, "python", None) as compiling:
        compiling.add("a")
    assert store.compiled == []


def test_a_compile_error_is_raised_when_the_block_ends():
    store = FakeStore(broken={"b"})
    with pytest.raises(PkmError, match="cannot compile bytecode"):
        with _Compiling(store, "python", "cpython-311") as compiling:
            for digest in ("a", "b", "c"):
                compiling.add(digest)
    assert sorted(store.compiled) == ["a", "c"]  # the others were still compiled


def test_an_error_in_the_block_wins_and_trees_not_started_are_dropped():
    gate = threading.Event()
    store = FakeStore(gate=gate)  # each compile waits for the gate, opened after the error
    opener = threading.Timer(0.2, gate.set)
    with pytest.raises(KeyError, match="unpack failed"):
        with _Compiling(store, "python", "cpython-311") as compiling:
            for digest in "abcdefgh":
                compiling.add(digest)
            opener.start()
            raise KeyError("unpack failed")
    assert len(store.compiled) <= (os.cpu_count() or 1)  # only those already running finished
