"""Probing an interpreter: the answer, the on-disk cache, failures, and the wheel tags it accepts."""

from __future__ import annotations

import json
import marshal
import sys
from pathlib import Path

import pytest
from packaging import tags as ptags
from packaging.markers import Marker, default_environment

from pkm.env.interpreter import Interpreter, probe, subprocess_runner
from pkm.errors import NotFoundError, PkmError


class CountingRunner:
    """The real runner, counting how many interpreters it starts."""

    def __init__(self):
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return subprocess_runner(argv)


def test_probe_describes_the_running_interpreter(tmp_path):
    interp = probe(sys.executable, cache_dir=tmp_path)
    assert interp.executable == sys.executable
    assert interp.version == tuple(sys.version_info[:3])
    assert interp.prefix == sys.prefix and interp.base_prefix == sys.base_prefix
    assert interp.in_venv == (sys.prefix != sys.base_prefix)
    assert interp.cache_tag == sys.implementation.cache_tag
    assert interp.markers() == default_environment()
    assert Marker(f"python_version == '{interp.python_version}'").evaluate(interp.markers())
    assert Interpreter.from_probe(interp.to_probe()) == interp


def test_second_probe_is_served_from_the_cache_without_a_subprocess(tmp_path):
    runner = CountingRunner()
    first = probe(sys.executable, cache_dir=tmp_path, runner=runner)
    second = probe(sys.executable, cache_dir=tmp_path, runner=runner)
    assert len(runner.calls) == 1
    assert runner.calls[0][:2] == [sys.executable, "-I"]  # isolated: PYTHON* variables cannot leak in
    assert first == second
    assert len(list(tmp_path.glob("*.marshal"))) == 1
    assert not list(tmp_path.glob(".probe-*"))  # no temp file left behind


def test_no_cache_dir_means_a_probe_every_time(tmp_path):
    runner = CountingRunner()
    probe(sys.executable, cache_dir=None, runner=runner)
    probe(sys.executable, cache_dir=None, runner=runner)
    assert len(runner.calls) == 2


def _fake_python(tmp_path: Path, name: str = "python3") -> Path:
    exe = tmp_path / "bin" / name
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_bytes(b"\x7fELF not really")
    exe.chmod(0o755)
    return exe


def _answer(exe: Path, **changes) -> dict:
    data = probe(sys.executable, cache_dir=None).to_probe()
    data.update(executable=str(exe), **changes)
    return data


def test_a_changed_executable_is_probed_again(tmp_path):
    exe = _fake_python(tmp_path)
    calls = []

    def runner(argv):
        calls.append(argv)
        return 0, json.dumps(_answer(exe, version=[3, 12, len(calls)])), ""

    cache = tmp_path / "cache"
    assert probe(exe, cache_dir=cache, runner=runner).version == (3, 12, 1)
    assert probe(exe, cache_dir=cache, runner=runner).version == (3, 12, 1)
    exe.write_bytes(b"\x7fELF upgraded in place, a different size")
    assert probe(exe, cache_dir=cache, runner=runner).version == (3, 12, 2)
    assert len(calls) == 2


def test_a_venv_made_again_alike_keeps_its_cached_answer_and_a_changed_one_is_probed_again(tmp_path):
    from pkm.env import create_venv

    base = probe(sys.executable, cache_dir=tmp_path / "cache")
    runner, cache, venv = CountingRunner(), tmp_path / "cache", tmp_path / "env"
    create_venv(venv, base)
    first = probe(venv / "bin" / "python", cache_dir=cache, runner=runner)
    assert first.in_venv and first.prefix == str(venv)
    create_venv(venv, base, clear=True)  # `rm -rf .venv && pkm sync`: the same venv again
    assert probe(venv / "bin" / "python", cache_dir=cache, runner=runner) == first
    assert len(runner.calls) == 1
    create_venv(venv, base, clear=True, system_site_packages=True)  # another sys.path
    again = probe(venv / "bin" / "python", cache_dir=cache, runner=runner)
    assert len(runner.calls) == 2 and len(again.sys_path) > len(first.sys_path)


def test_a_corrupt_cache_entry_is_replaced(tmp_path):
    exe = _fake_python(tmp_path)
    runner = lambda argv: (0, json.dumps(_answer(exe)), "")  # noqa: E731
    cache = tmp_path / "cache"
    probe(exe, cache_dir=cache, runner=runner)
    (entry,) = cache.glob("*.marshal")
    for garbage in (b"{not marshal", b"", marshal.dumps([1, 2]), marshal.dumps({"key": None})):
        entry.write_bytes(garbage)
        assert probe(exe, cache_dir=cache, runner=runner).executable == str(exe)
        assert marshal.loads(entry.read_bytes())["probe"]["executable"] == str(exe)


def test_a_wrapper_that_runs_another_interpreter_is_not_cached(tmp_path):
    # A pyenv shim reports the interpreter it ran; which one that is can change without the shim changing.
    shim = _fake_python(tmp_path)
    calls = []

    def runner(argv):
        calls.append(argv)
        return 0, json.dumps(_answer(Path("/opt/python/bin/python3.12"))), ""

    cache = tmp_path / "cache"
    assert probe(shim, cache_dir=cache, runner=runner).executable == "/opt/python/bin/python3.12"
    probe(shim, cache_dir=cache, runner=runner)
    assert len(calls) == 2 and not list(cache.glob("*.marshal"))


def test_a_missing_interpreter_is_not_found(tmp_path):
    with pytest.raises(NotFoundError) as err:
        probe(tmp_path / "nope" / "python3", cache_dir=tmp_path)
    assert "no Python interpreter at" in err.value.what and err.value.hint


def test_something_that_is_not_python_is_a_clear_error(tmp_path):
    exe = tmp_path / "python3"
    exe.write_text("#!/bin/sh\necho 'this is not python' >&2\nexit 3\n")
    exe.chmod(0o755)
    with pytest.raises(PkmError) as err:
        probe(exe, cache_dir=tmp_path / "cache")
    assert err.value.what == f"{exe} is not a working Python 3 interpreter"
    assert "this is not python" in err.value.why
    assert "--python" in err.value.hint
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("*.marshal"))


def test_a_file_that_cannot_be_executed_is_a_clear_error(tmp_path):
    exe = tmp_path / "python3"
    exe.write_text("not executable")
    exe.chmod(0o644)
    with pytest.raises(PkmError) as err:
        probe(exe, cache_dir=None)
    assert "cannot run" in err.value.what and err.value.hint


def test_an_unknown_probe_format_is_refused(tmp_path):
    exe = _fake_python(tmp_path)
    with pytest.raises(PkmError) as err:
        probe(exe, cache_dir=None, runner=lambda argv: (0, json.dumps(_answer(exe, probe=2)), ""))
    assert "unknown interpreter probe format 2" in err.value.what
    with pytest.raises(PkmError) as err:
        probe(exe, cache_dir=None, runner=lambda argv: (0, '{"probe": 1}', ""))
    assert "incomplete" in err.value.what


def test_tags_of_the_running_interpreter_are_sys_tags_in_order(tmp_path):
    interp = probe(sys.executable, cache_dir=tmp_path)
    assert interp.tags() == list(ptags.sys_tags())


def _variant(**changes) -> Interpreter:
    data = probe(sys.executable, cache_dir=None).to_probe()
    data.update(changes)
    return Interpreter.from_probe(data)


def test_tags_of_a_free_threaded_cpython():
    interp = _variant(version=[3, 13, 0], soabi="cpython-313t-x86_64-linux-gnu", gil_disabled=True,
                      platform="linux-x86_64", pointer_bits=64)
    found = [str(t) for t in interp.tags()]
    assert found[0].startswith("cp313-cp313t-")
    assert not any("-abi3-" in t for t in found)  # the stable ABI does not apply without the GIL
    assert "cp313-none-any" in found and found[-1] == "py30-none-any"


def test_tags_of_a_debug_build_also_accept_regular_extensions():
    interp = _variant(version=[3, 12, 1], soabi="cpython-312d-x86_64-linux-gnu", platform="linux-x86_64")
    abis = list(dict.fromkeys(t.abi for t in interp.tags() if t.interpreter == "cp312"))
    assert abis[:2] == ["cp312d", "cp312"]


def test_tags_of_pypy():
    interp = _variant(implementation="pypy", version=[3, 10, 14], soabi="pypy310-pp73-x86_64-linux-gnu",
                      ext_suffix=".pypy310-pp73-x86_64-linux-gnu.so", platform="linux-x86_64")
    found = [str(t) for t in interp.tags()]
    assert found[0].startswith("pp310-pypy310_pp73-")
    assert "pp3-none-any" in found and not any(t.startswith("cp") for t in found)


def test_tags_of_a_foreign_platform_use_its_own_platform_tag():
    interp = _variant(platform="linux-x86_64", pointer_bits=32)
    platforms = list(dict.fromkeys(t.platform for t in interp.tags()))
    assert platforms == ["linux_i686", "any"]



def test_a_probe_served_from_the_cache_renews_the_entry_for_gc(tmp_path):
    import os
    import time

    probe(sys.executable, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.marshal")
    old = time.time() - 40 * 86400
    os.utime(entry, (old, old))
    probe(sys.executable, cache_dir=tmp_path)
    assert entry.stat().st_mtime > old + 86400  # `pkm store gc` counts unused days from here
