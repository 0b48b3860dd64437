"""Finding interpreters on PATH and in pyenv, and resolving `--python` requests."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from pkm.env import find_interpreter, find_interpreters, probe
from pkm.env.discovery import candidate_paths, parse_request
from pkm.errors import NotFoundError, UsageError


def _exe(path: Path, text: bytes = b"\x7fELF") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    path.chmod(0o755)
    return path


class FakeMachine:
    """A PATH folder and a pyenv root of fake interpreters, answered by a runner that counts probes."""

    def __init__(self, root: Path):
        self.template = probe(sys.executable, cache_dir=None).to_probe()
        self.versions: dict[str, list[int]] = {}
        self.calls: list[str] = []
        self.path_dir = root / "bin"
        self.pyenv = root / "pyenv"
        self.add(self.path_dir / "python3", [3, 11, 2])
        self.add(self.path_dir / "python3.10", [3, 10, 1])
        _exe(self.path_dir / "python", b"#!/bin/sh\nexec pyenv-shim \"$@\"\n")  # a wrapper: skipped
        self.add(self.pyenv / "versions" / "3.13.0" / "bin" / "python3", [3, 13, 0])
        self.add(self.pyenv / "versions" / "3.9.18" / "bin" / "python3", [3, 9, 18])
        self.add(self.pyenv / "versions" / "3.12.1" / "bin" / "python3", [3, 12, 1])
        _exe(self.pyenv / "versions" / "broken" / "bin" / "python3")  # answers garbage: skipped
        self.environ = {"PATH": f"{root / 'missing'}{os.pathsep}{self.path_dir}", "HOME": str(root)}

    def add(self, path: Path, version: list[int]) -> None:
        self.versions[str(_exe(path))] = version

    def runner(self, argv):
        self.calls.append(argv[0])
        if argv[0] not in self.versions:
            return 1, "", "Segmentation fault"
        return 0, json.dumps(dict(self.template, executable=argv[0], version=self.versions[argv[0]])), ""

    def find(self, request, cache_dir=None):
        return find_interpreter(request, cache_dir=cache_dir, environ=self.environ, pyenv_root=self.pyenv,
                                runner=self.runner)


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path)


def test_candidates_come_from_path_then_pyenv_newest_first(machine):
    found = [str(p) for p in candidate_paths(machine.environ, pyenv_root=machine.pyenv)]
    assert found == [
        str(machine.path_dir / "python3"),
        str(machine.path_dir / "python3.10"),
        str(machine.pyenv / "versions" / "3.13.0" / "bin" / "python3"),
        str(machine.pyenv / "versions" / "3.12.1" / "bin" / "python3"),
        str(machine.pyenv / "versions" / "3.9.18" / "bin" / "python3"),
        str(machine.pyenv / "versions" / "broken" / "bin" / "python3"),
    ]


def test_a_symlink_to_an_interpreter_already_listed_is_listed_once(machine):
    (machine.path_dir / "python3.13").symlink_to(machine.pyenv / "versions" / "3.13.0" / "bin" / "python3")
    found = [str(p) for p in candidate_paths(machine.environ, pyenv_root=machine.pyenv)]
    assert str(machine.path_dir / "python3.13") in found
    assert str(machine.pyenv / "versions" / "3.13.0" / "bin" / "python3") not in found


def test_find_interpreters_skips_what_does_not_answer(machine, tmp_path):
    found = find_interpreters(cache_dir=tmp_path / "cache", environ=machine.environ, pyenv_root=machine.pyenv,
                              runner=machine.runner)
    assert [i.version_str for i in found] == ["3.11.2", "3.10.1", "3.13.0", "3.12.1", "3.9.18"]
    machine.calls.clear()
    find_interpreters(cache_dir=tmp_path / "cache", environ=machine.environ, pyenv_root=machine.pyenv,
                      runner=machine.runner)
    assert machine.calls == [str(machine.pyenv / "versions" / "broken" / "bin" / "python3")]  # the rest: cached


@pytest.mark.parametrize("request_, expected", [
    ("3", "3.11.2"), ("3.12", "3.12.1"), ("3.12.1", "3.12.1"), ("python3.10", "3.10.1"),
    ("cpython3.9", "3.9.18"), ("cp313", None), (">=3.12", "3.13.0"), (">=3.9,<3.11", "3.10.1"),
    ("python", "3.11.2"), ("CPython", "3.11.2"), ("pypy", None),
])
def test_version_requests_pick_the_first_match(machine, request_, expected):
    if expected is None:  # "cp313" reads as cpython 313, which does not exist; no PyPy here
        with pytest.raises(NotFoundError):
            machine.find(request_)
        return
    assert machine.find(request_).version_str == expected


def test_a_version_request_stops_probing_at_the_first_match(machine):
    machine.find("3.11")
    assert machine.calls == [str(machine.path_dir / "python3")]


def test_an_unmatched_version_says_where_it_looked(machine):
    with pytest.raises(NotFoundError) as err:
        machine.find("3.99")
    assert err.value.what == "no Python interpreter matching `3.99`"
    assert "PATH" in err.value.why and "pyenv install" in err.value.hint


def test_pypy_and_free_threaded_requests_filter_on_the_build(machine):
    with pytest.raises(NotFoundError):
        machine.find("pypy3.10")
    with pytest.raises(NotFoundError):
        machine.find("3.13t")


def test_a_request_that_is_neither_a_version_nor_a_path_is_a_usage_error():
    for bad in ("snake", "3.x", ""):
        with pytest.raises(UsageError) as err:
            parse_request(bad)
        assert "is not a Python request" in err.value.what and "3.12" in err.value.hint


def test_paths_and_directories(machine, tmp_path):
    exe = machine.pyenv / "versions" / "3.12.1" / "bin" / "python3"
    assert machine.find(str(exe)).executable == str(exe)
    assert machine.find(str(machine.pyenv / "versions" / "3.12.1")).executable == str(exe)
    with pytest.raises(NotFoundError) as err:
        machine.find(str(machine.pyenv))
    assert "no Python interpreter in the directory" in err.value.what
    with pytest.raises(NotFoundError):
        machine.find(str(tmp_path / "nope" / "python"))


def test_no_request_means_the_running_interpreter(tmp_path):
    assert find_interpreter(None, cache_dir=tmp_path).executable == sys.executable
