"""A context whose extension finds another wheel's library through a relative RUNPATH runs from a view."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Dict, Tuple

import pytest


ANSWER_C = "int answer(void) { return 42; }\n"
EXTMOD_C = """\
#include <Python.h>
int answer(void);
static PyObject *call_answer(PyObject *self, PyObject *unused) { return PyLong_FromLong(answer()); }
static PyMethodDef methods[] = {{"answer", call_answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "extmod", NULL, -1, methods};
PyMODINIT_FUNC PyInit_extmod(void) { return PyModule_Create(&module); }
"""
RUNPATH = "$ORIGIN/../libwheel_data/lib"


def gcc() -> str:
    """gcc's path; fails the test (never skips it) when there is none: CI has gcc."""
    found = shutil.which("gcc")
    if found is None:
        pytest.fail("gcc is not on PATH: these tests build shared objects at test time; install gcc")
    return found


def compile_shared(directory: Path, name: str, source: str, *args: str) -> bytes:
    """Compile `source` into the shared object `directory/name`; its bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    src = directory / (name.split(".")[0] + ".c")
    src.write_text(source)
    out = directory / name
    done = subprocess.run([gcc(), "-shared", "-fPIC", "-O0", "-o", str(out), str(src), *args],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def native_wheel_files(directory: Path) -> Tuple[Dict[str, bytes], Dict[str, bytes]]:
    """The files of `libwheel` (libwheel_data/lib/libanswer.so) and of `extwheel` (the package
    `extwheel` with the extension module `extwheel.extmod`, RUNPATH into libwheel's directory)."""
    lib_dir = directory / "lib"
    lib = compile_shared(lib_dir, "libanswer.so", ANSWER_C, "-Wl,-soname,libanswer.so")
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    ext = compile_shared(directory / "ext", "extmod" + suffix, EXTMOD_C, "-I" + sysconfig.get_paths()["include"],
                         "-L" + str(lib_dir), "-lanswer", "-Wl,--enable-new-dtags", "-Wl,-rpath," + RUNPATH)
    return ({"libwheel_data/__init__.py": "", "libwheel_data/lib/libanswer.so": lib},
            {"extwheel/__init__.py": "", "extwheel/extmod" + suffix: ext})


SCRIPT = ("import importlib.metadata as md\n"
          "from extwheel import extmod\n"
          "print(extmod.answer(), md.version('libwheel'), md.version('extwheel'))\n")


def _publish_native(publish, tmp_path):
    lib_files, ext_files = native_wheel_files(tmp_path / "native")
    publish("libwheel", "1.0", files=lib_files)
    publish("extwheel", "1.0", dependencies=["libwheel"], files=ext_files)


def test_an_extension_linked_to_a_sibling_wheels_library_runs_cold_then_warm(run, publish, tmp_path):
    _publish_native(publish, tmp_path)
    run.script("ext.py", SCRIPT, deps=["extwheel"])
    cold = run("ext.py")
    assert (cold.returncode, cold.stdout) == (0, "42 1.0 1.0\n"), cold.stderr
    [manifest] = run.manifests()
    data = json.loads(manifest.read_text())
    view = data["view"]
    assert os.path.dirname(view) == str(run.home / "views-v1")
    assert all(d["in_view"] for d in data["distributions"])
    # one merged directory of hard links to the trees' own files
    linked = os.path.join(view, "libwheel_data", "lib", "libanswer.so")
    tree = next(d["tree"] for d in data["distributions"] if d["name"] == "libwheel")
    assert os.path.samefile(linked, os.path.join(tree, "libwheel_data", "lib", "libanswer.so"))
    warm = run("ext.py")
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, "42 1.0 1.0\n", "")
    # children inherit the context, view included
    run.script("child.py", "import subprocess, sys\n"
                           "print(subprocess.run([sys.executable, '-c', 'from extwheel import extmod; "
                           "print(extmod.answer())'], capture_output=True, text=True).stdout, end='')\n",
               deps=["extwheel"])
    child = run("child.py")
    assert (child.returncode, child.stdout) == (0, "42\n"), child.stderr


def test_the_store_records_why_a_tree_needs_its_siblings(run, publish, tmp_path):
    _publish_native(publish, tmp_path)
    run.script("ext.py", SCRIPT, deps=["extwheel"])
    assert run("ext.py").returncode == 0
    markers = {json.loads(m.read_text())["wheel"]: json.loads(m.read_text())
               for m in (run.home / "trees").glob("*/.pkm-complete")}
    ext = next(v for k, v in markers.items() if k.startswith("extwheel"))
    lib = next(v for k, v in markers.items() if k.startswith("libwheel"))
    [reason] = ext["outside"]
    assert reason.startswith("extwheel/extmod") and reason.endswith(": $ORIGIN/../libwheel_data/lib")
    assert lib["outside"] == []


def test_the_view_is_a_gc_root_of_the_manifest_and_goes_with_it(run, publish, tmp_path):
    from pkm.store import Store

    _publish_native(publish, tmp_path)
    run.script("ext.py", SCRIPT, deps=["extwheel"])
    assert run("ext.py").returncode == 0
    [manifest] = run.manifests()
    view = json.loads(manifest.read_text())["view"]
    store = Store(run.home)
    report = store.gc(min_age=0)
    assert os.path.isdir(view) and report.kept_views == 1
    assert not [e for e in report.removed if e.kind in ("view", "tree")]
    assert run("ext.py").stdout == "42 1.0 1.0\n"
    for path in run.manifests():  # the context is gone: its manifest with it
        path.unlink()
        path.with_suffix(".bin").unlink()
    report = store.gc(min_age=0)
    assert not os.path.exists(view)
    assert [e.name for e in report.removed if e.kind == "view"] == [os.path.basename(view)]


def test_an_ordinary_context_uses_the_finder_and_makes_no_view(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 42\n"})
    run.script("plain.py", "import lib, sys\nprint(lib.x, any('views-v1' in p for p in sys.path))\n", deps=["lib"])
    done = run("plain.py")
    assert (done.returncode, done.stdout) == (0, "42 False\n"), done.stderr
    [manifest] = run.manifests()
    assert "view" not in json.loads(manifest.read_text())
    assert not (run.home / "views-v1").exists()


def test_a_distribution_added_on_demand_that_needs_its_siblings_runs_from_a_view(run, publish, tmp_path):
    _publish_native(publish, tmp_path)
    publish("plainlib", "1.0", files={"plainlib.py": "x = 'plain'\n"})
    # plainlib is declared (the finder serves it); extwheel comes on demand and needs libwheel beside it
    run.script("od.py", "import plainlib\n" + SCRIPT + "print(plainlib.x)\n", deps=["plainlib"])
    cold = run("--allow-unknown", "od.py")
    assert (cold.returncode, cold.stdout) == (0, "42 1.0 1.0\nplain\n"), cold.stderr
    assert "'extwheel' resolved on demand to extwheel 1.0" in cold.stderr
    [manifest] = run.manifests()
    data = json.loads(manifest.read_text())
    assert sorted(d["name"] for d in data["distributions"]) == ["extwheel", "libwheel", "plainlib"]
    assert data["view"] and all(d["in_view"] for d in data["distributions"])
    warm = run("od.py")  # recorded: the whole context now runs from the view
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, "42 1.0 1.0\nplain\n", "")


def test_a_new_view_takes_over_the_path_entries_of_the_trees_and_of_the_view_it_replaces(tmp_path):
    from pkm.run._view import attach_view

    class Store:  # a fake: the second tree needs its siblings; views are named by their trees
        def outside_run_paths(self, digest):
            return ("ext.so: $ORIGIN/../lib",) if digest == "b" * 64 else ()

        def add_view(self, digests):
            return tmp_path / "views" / "+".join(d[0] for d in digests)

    trees = tmp_path / "trees"
    data = {"view": str(tmp_path / "views" / "a"),
            "distributions": [{"name": "a", "tree": str(trees / ("a" * 64)), "in_view": True},
                              {"name": "b", "tree": str(trees / ("b" * 64)),
                               "roots": [str(trees / ("b" * 64)), str(trees / ("b" * 64) / "b.data" / "purelib")]}],
            "paths": [str(tmp_path / "views" / "a" / "pth-dir"), str(trees / ("b" * 64) / "b.data" / "purelib" / "x"),
                      "/elsewhere"]}
    assert attach_view(data, Store()) == ["b: ext.so: $ORIGIN/../lib"]
    new = str(tmp_path / "views" / "a+b")
    assert data["view"] == new and all(d["in_view"] for d in data["distributions"])
    assert data["paths"] == [os.path.join(new, "pth-dir"), os.path.join(new, "x"), "/elsewhere"]
