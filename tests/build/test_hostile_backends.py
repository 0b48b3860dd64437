"""Fixture projects whose backend misbehaves: huge build output, a missing backend, one that dies without answering."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Dict, Optional

import pytest

from pkm.build import BuildFailed, Frontend
from pkm.store import Store

# Per stream (stdout and stderr): 160,000 numbered lines of 100 bytes, about 16 MB each.
SPAM_LINES = 160_000

# The toy backend's build_wheel, preceded by a flood of output on both streams (written in
# big chunks, so the backend is done quickly and the test measures the frontend's handling).
# HUGE_ONE_LINE=1 writes the flood as a single line without a newline instead.
HUGE_BACKEND = '''
import os, sys
import toy_backend
from toy_backend import build_sdist, get_requires_for_build_wheel


def _flood(stream, tag):
    if os.environ.get("HUGE_ONE_LINE"):
        stream.write(tag * (%(lines)d * 100 // len(tag)))
        stream.write("\\n")
        return
    chunk = []
    for i in range(%(lines)d):
        chunk.append("%%s line %%08d %%s\\n" %% (tag, i, "x" * (100 - 15 - len(tag))))
        if len(chunk) == 10000:
            stream.write("".join(chunk))
            chunk = []
    stream.write("".join(chunk))
    stream.flush()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _flood(sys.stdout, "out")
    _flood(sys.stderr, "err")
    print("the flood is over", file=sys.stderr, flush=True)
    if os.environ.get("HUGE_FAIL"):
        raise RuntimeError("failed after a flood of output")
    return toy_backend.build_wheel(wheel_directory, config_settings, metadata_directory)
''' % {"lines": SPAM_LINES}


def _edited(root: Path, *, backend: str = "", files: Optional[Dict[str, str]] = None) -> Path:
    """`root` (a toy project) with another build-backend and more or replaced files."""
    if backend:
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"toy_backend"', f'"{backend}"'))
    for relative, text in (files or {}).items():
        (root / relative).write_text(text)
    return root


@pytest.fixture
def huge_output_project(toy_project):
    """A project whose backend prints ~32 MB (stdout and stderr) before building (or failing with HUGE_FAIL=1)."""
    return _edited(toy_project("huge"), backend="huge_backend", files={"_backend/huge_backend.py": HUGE_BACKEND})


@pytest.fixture
def missing_backend_project(toy_project):
    """A project whose build-backend names a module that neither backend-path nor requires provides."""
    return _edited(toy_project("ghost"), backend="no_such_backend.api")


@pytest.fixture
def dying_backend_project(toy_project):
    """A project whose backend ends its process (exit status 3) in build_wheel, without answering."""
    root = toy_project("dying")
    module = root / "_backend" / "toy_backend.py"
    return _edited(root, files={"_backend/toy_backend.py": module.read_text() + (
        "\n\ndef build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    print('about to die', flush=True)\n    os._exit(3)\n")})


class NoRequirements:
    """A Provisioner for projects whose `requires` is empty."""

    def provision(self, requirements, interpreter, chain):
        assert not list(requirements)
        return []


@pytest.fixture
def frontend(tmp_path, python_interpreter):
    return Frontend(Store(tmp_path / "home"), python_interpreter, NoRequirements())


def test_huge_build_output_goes_to_the_log_and_the_build_succeeds(frontend, huge_output_project, tmp_path):
    wheel = frontend.build(huge_output_project, "wheel", tmp_path / "dist")
    with zipfile.ZipFile(wheel) as zf:
        assert "huge/__init__.py" in zf.namelist()
    assert list((frontend.store.root / "build-logs-v1").iterdir()) == []  # a success leaves no log


def test_huge_build_output_of_a_failure_is_kept_in_the_log_and_only_its_tail_shown(
        frontend, huge_output_project, tmp_path, monkeypatch):
    monkeypatch.setenv("HUGE_FAIL", "1")
    with pytest.raises(BuildFailed) as caught:
        frontend.build(huge_output_project, "wheel", tmp_path / "dist")
    error = caught.value
    assert error.what == "building huge failed: build_wheel failed: RuntimeError: failed after a flood of output"
    assert "the flood is over" in error.why and f"err line {SPAM_LINES - 1:08d}" in error.why
    assert len(error.why) < 10_000  # the tail, not the flood
    assert error.log.stat().st_size > 2 * SPAM_LINES * 100  # both streams, complete
    with open(error.log, encoding="utf-8") as log:
        head = log.read(4096)
    assert "out line 00000000" in head


def test_huge_build_output_through_pkm_build_keeps_the_terminal_short(run_pkm, huge_output_project, tmp_path):
    done = run_pkm("build", str(huge_output_project), "--wheel", "-o", str(tmp_path / "out"), env={"HUGE_FAIL": "1"})
    assert done.returncode == 1
    assert "error: building huge failed: build_wheel failed: RuntimeError: failed after a flood of output" \
        in done.stderr
    assert "the flood is over" in done.stderr
    assert len(done.stderr) < 10_000 and done.stdout == ""
    log = Path(done.stderr.split("full build log: ")[1].split()[0])
    assert log.stat().st_size > 2 * SPAM_LINES * 100


def test_a_single_huge_line_is_not_shown_whole(frontend, huge_output_project, tmp_path, monkeypatch):
    monkeypatch.setenv("HUGE_FAIL", "1")
    monkeypatch.setenv("HUGE_ONE_LINE", "1")
    with pytest.raises(BuildFailed) as caught:
        frontend.build(huge_output_project, "wheel", tmp_path / "dist")
    assert "the flood is over" in caught.value.why
    # The tail reads at most the log's last 64 KiB, and shows a long line's two ends (one of ~32 MB here).
    assert len(caught.value.why) < 20 * 500
    assert "characters cut" in caught.value.why


def test_a_missing_backend_is_reported_with_its_module(frontend, missing_backend_project, tmp_path):
    with pytest.raises(BuildFailed) as caught:
        frontend.build(missing_backend_project, "wheel", tmp_path / "dist")
    error = caught.value
    assert error.what == "building ghost failed: the build backend no_such_backend.api cannot be imported"
    assert "cannot import 'no_such_backend.api': ModuleNotFoundError" in error.why
    assert "check [build-system] build-backend" in error.hint
    assert not (tmp_path / "dist").exists() or list((tmp_path / "dist").iterdir()) == []


def test_a_backend_that_dies_without_answering_is_reported_with_its_status(
        frontend, dying_backend_project, tmp_path):
    with pytest.raises(BuildFailed) as caught:
        frontend.build(dying_backend_project, "wheel", tmp_path / "dist")
    error = caught.value
    assert error.what == ("building dying failed: the build backend process exited with status 3 "
                          "before build_wheel answered")
    assert "about to die" in error.why and f"full build log: {error.log}" in error.why
