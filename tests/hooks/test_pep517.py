"""The PEP 517 hook runner calls a backend in another interpreter and reports through JSON files."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import pkm_runtime

REPO = Path(__file__).resolve().parent.parent.parent
PYENV = Path.home() / ".pyenv" / "versions"

FAKE = '''
import sys

class UnsupportedOperation(Exception):
    pass

def get_requires_for_build_wheel(config_settings=None):
    print("backend chatter on stdout")
    print("backend chatter on stderr", file=sys.stderr)
    return ["wheel-dep>=1"]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise ValueError("compiler exploded")

def build_sdist(sdist_directory, config_settings=None):
    raise UnsupportedOperation("no sdists here")

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return object()  # JSON cannot hold this

class Nested:
    class Inner:
        @staticmethod
        def get_requires_for_build_sdist(config_settings=None):
            return ["from-nested"]
'''


def run_hook(hook, cwd, backend, backend_path=(), python=sys.executable, script=None, **kwargs):
    """Run the runner as a frontend would; returns (CompletedProcess, output.json as a dict or None)."""
    with tempfile.TemporaryDirectory() as control_dir:
        control = Path(control_dir)
        (control / "input.json").write_text(json.dumps(
            {"kwargs": kwargs, "backend": backend, "backend_path": list(backend_path)}))
        proc = subprocess.run([python, script or pkm_runtime.hook_script("pep517"), hook, str(control)],
                              cwd=cwd, capture_output=True, text=True)
        output = control / "output.json"
        return proc, (json.loads(output.read_text()) if output.exists() else None)


@pytest.fixture
def tree(tmp_path):
    """A source tree holding the fake backend in `_build/fake_backend.py`."""
    root = tmp_path / "src-tree"
    (root / "_build").mkdir(parents=True)
    (root / "_build" / "fake_backend.py").write_text(textwrap.dedent(FAKE))
    return root


def test_returns_the_hook_value_and_keeps_backend_output_out_of_the_json(tree):
    proc, out = run_hook("get_requires_for_build_wheel", tree, "fake_backend", ["_build"], config_settings={})
    assert proc.returncode == 0
    assert out == {"runner": 1, "return_val": ["wheel-dep>=1"]}
    assert proc.stdout == "backend chatter on stdout\n"
    assert proc.stderr == "backend chatter on stderr\n"


def test_backend_object_path_after_the_colon(tree):
    _, out = run_hook("get_requires_for_build_sdist", tree, "fake_backend:Nested.Inner", ["_build"])
    assert out["return_val"] == ["from-nested"]


def test_a_raising_backend_is_reported_with_its_traceback(tree):
    proc, out = run_hook("build_wheel", tree, "fake_backend", ["_build"], wheel_directory=str(tree))
    assert proc.returncode == 0
    assert out["exception"] == "ValueError: compiler exploded"
    assert 'raise ValueError("compiler exploded")' in out["traceback"]
    assert "return_val" not in out


def test_missing_hooks(tree):
    _, out = run_hook("get_requires_for_build_editable", tree, "fake_backend", ["_build"])
    assert out == {"runner": 1, "unsupported": True, "hook": "get_requires_for_build_editable"}
    _, out = run_hook("build_editable", tree, "fake_backend", ["_build"], wheel_directory=".")
    assert out["unsupported"] is True
    # A backend without build_sdist at all is broken, not merely limited.
    _, out = run_hook("build_sdist", tree, "fake_backend:Nested", ["_build"], sdist_directory=".")
    assert out == {"runner": 1, "hook_missing": "build_sdist"}


def test_unsupported_operation_from_build_sdist(tree):
    _, out = run_hook("build_sdist", tree, "fake_backend", ["_build"], sdist_directory=str(tree))
    assert out["unsupported"] is True and "no sdists here" in out["traceback"]


def test_return_value_json_cannot_hold_is_an_exception(tree):
    proc, out = run_hook("prepare_metadata_for_build_wheel", tree, "fake_backend", ["_build"], metadata_directory=".")
    assert proc.returncode == 0 and "JSON cannot hold" in out["exception"]


def test_missing_backend(tree):
    _, out = run_hook("build_wheel", tree, "no_such_backend", ["_build"], wheel_directory=".")
    assert out["backend_unavailable"].startswith("cannot import 'no_such_backend': ModuleNotFoundError")
    assert "Traceback" in out["traceback"]
    _, out = run_hook("build_wheel", tree, "fake_backend:NoSuchObject", ["_build"], wheel_directory=".")
    assert "has no object 'NoSuchObject'" in out["backend_unavailable"]
    (tree / "_build" / "broken.py").write_text("import does_not_exist_either\n")
    _, out = run_hook("build_wheel", tree, "broken", ["_build"], wheel_directory=".")
    assert "does_not_exist_either" in out["backend_unavailable"]
    (tree / "_build" / "quitter.py").write_text("raise SystemExit('bye')\n")
    proc, out = run_hook("build_wheel", tree, "quitter", ["_build"], wheel_directory=".")
    assert proc.returncode == 0 and out["backend_unavailable"] == "cannot import 'quitter': SystemExit: bye"


def test_backend_path_may_not_leave_the_source_tree(tree, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "evil_backend.py").write_text("raise SystemExit('must never be imported')\n")
    for entry in ["../elsewhere", str(outside)]:
        proc, out = run_hook("build_wheel", tree, "evil_backend", [entry], wheel_directory=".")
        assert proc.returncode == 0
        assert out == {"runner": 1, "backend_invalid": f"backend-path entry {entry!r} is outside the source tree "
                                                       f"{tree.resolve()}"}
    (tree / "link").symlink_to(outside)  # a symlink out of the tree is outside too
    _, out = run_hook("build_wheel", tree, "evil_backend", ["link"], wheel_directory=".")
    assert "outside the source tree" in out["backend_invalid"]


def test_backend_must_come_from_backend_path(tree):
    # `json` exists elsewhere (the stdlib), so with backend-path it must be refused.
    _, out = run_hook("build_wheel", tree, "json", ["_build"], wheel_directory=".")
    assert "not from backend-path" in out["backend_invalid"]


def test_bad_usage_exits_2_without_output(tree):
    proc, out = run_hook("build_everything", tree, "fake_backend", ["_build"])
    assert proc.returncode == 2 and out is None
    assert proc.stderr.startswith("usage: pep517.py HOOK_NAME CONTROL_DIR")


def test_unreadable_input_exits_2_without_output(tree, tmp_path):
    script = pkm_runtime.hook_script("pep517")
    proc = subprocess.run([sys.executable, script, "build_wheel", str(tmp_path / "nowhere")],
                          cwd=tree, capture_output=True, text=True)
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "input.json" in proc.stderr
    (tmp_path / "input.json").write_text('{"kwargs": {}}')
    proc = subprocess.run([sys.executable, script, "build_wheel", str(tmp_path)], cwd=tree, capture_output=True, text=True)
    assert proc.returncode == 2 and '"backend" string' in proc.stderr
    assert not (tmp_path / "output.json").exists()


def test_runner_is_not_shadowed_by_files_beside_it(tree, tmp_path):
    copy = tmp_path / "runner" / "pep517.py"
    copy.parent.mkdir()
    copy.write_text(Path(pkm_runtime.hook_script("pep517")).read_text())
    (copy.parent / "json.py").write_text("raise SystemExit('shadowed!')\n")
    (copy.parent / "fake_backend.py").write_text("raise SystemExit('picked up the runner folder')\n")
    proc, out = run_hook("get_requires_for_build_wheel", tree, "fake_backend", ["_build"], script=str(copy))
    assert proc.returncode == 0, proc.stderr
    assert out["return_val"] == ["wheel-dep>=1"]


def test_runs_pkm_own_backend_from_the_source_tree(tmp_path):
    proc, out = run_hook("get_requires_for_build_wheel", REPO, "pkm.backend", ["."])
    assert out == {"runner": 1, "return_val": []}, proc.stderr
    proc, out = run_hook("build_wheel", REPO, "pkm.backend", ["."], wheel_directory=str(tmp_path))
    assert proc.returncode == 0 and "return_val" in out, out
    with zipfile.ZipFile(tmp_path / out["return_val"]) as zf:
        assert "pkm_runtime/hooks/pep517.py" in zf.namelist()


def _pythons():
    found = sorted(PYENV.glob("3.*/bin/python3"))
    return [str(p) for p in found if p.parent.parent.name.split(".")[1].isdigit()
            and 9 <= int(p.parent.parent.name.split(".")[1]) <= 13]


@pytest.mark.multipython
@pytest.mark.parametrize("python", _pythons() or [sys.executable])
def test_runner_works_on_every_supported_python(python, tree):
    _, out = run_hook("get_requires_for_build_wheel", tree, "fake_backend", ["_build"], python=python)
    assert out["return_val"] == ["wheel-dep>=1"]
    _, out = run_hook("build_wheel", tree, "fake_backend", ["_build"], python=python, wheel_directory=".")
    assert out["exception"] == "ValueError: compiler exploded"
