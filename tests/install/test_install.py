"""Installing wheels into real venvs: files, scripts, .data, RECORD, metadata, link modes."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import zipfile
from pathlib import Path

from packaging.direct_url import ArchiveInfo, DirectUrl

from pkm.install import SchemeDestination, TreeSource, WheelFile, install
from support.dists import make_wheel

FULL = dict(
    files={
        "demo/__init__.py": "VALUE = 42\ndef main():\n    print('demo main', VALUE)\n",
        "demo/tool.py": "import sys\ndef run():\n    print('gui', sys.argv[1:])\n",
        "demo/data.txt": "payload\n",
    },
    entry_points={"console_scripts": {"demo-cli": "demo:main"}, "gui_scripts": {"demo-gui": "demo.tool:run"}},
    data={
        "scripts": {"demo-sh": "#!python\nimport sys\nprint('script ran on', sys.prefix)\n"},
        "headers": {"demo.h": "#define DEMO 1\n"},
        "data": {"share/demo/readme.txt": "shared\n"},
        "platlib": {"demo_plat.py": "X = 'plat'\n"},
    },
)


def destination(env, link_mode="copy"):
    return SchemeDestination(env.scheme, env.interpreter, link_mode)


def installed_record(env, dist_info: str) -> dict:
    site = Path(env.scheme["purelib"])
    with open(site / dist_info / "RECORD", newline="") as f:
        return {row[0]: row for row in csv.reader(f)}


def test_installed_package_imports_and_its_scripts_run(venv, dists, tools):
    wheel = dists.wheel("demo", "1.0", **FULL)
    with WheelFile(wheel) as source:
        result = install(source, destination(venv))
    assert (result.name, result.version) == ("demo", "1.0")
    out = tools.run_in(venv, venv.interpreter, "-c", "import demo, demo_plat; print(demo.VALUE, demo_plat.X)")
    assert out.stdout.split() == ["42", "plat"], out.stderr
    assert tools.run_in(venv, "demo-cli").stdout == "demo main 42\n"
    assert tools.run_in(venv, "demo-gui", "a", "b").stdout == "gui ['a', 'b']\n"
    ran = tools.run_in(venv, "demo-sh")
    assert ran.stdout == f"script ran on {venv.prefix}\n", ran.stderr
    script = Path(venv.scheme["scripts"]) / "demo-sh"
    assert script.read_text().startswith(f"#!{venv.interpreter}\n")
    assert os.access(script, os.X_OK)


def test_data_headers_and_data_files_land_in_their_scheme_directories(venv, dists):
    wheel = dists.wheel("demo", "1.0", **FULL)
    with WheelFile(wheel) as source:
        install(source, destination(venv))
    assert (venv.prefix / "include" / "site" / "python3.11" / "demo" / "demo.h").read_text() == "#define DEMO 1\n"
    assert (venv.prefix / "share" / "demo" / "readme.txt").read_text() == "shared\n"
    assert not list(Path(venv.scheme["purelib"]).glob("*.data"))


def test_record_lists_every_installed_file_with_its_hash(venv, dists):
    wheel = dists.wheel("demo", "1.0", **FULL)
    url = DirectUrl(url=wheel.as_uri(), archive_info=ArchiveInfo(hashes={"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}))
    with WheelFile(wheel) as source:
        result = install(source, destination(venv), direct_url=url)
    site = Path(venv.scheme["purelib"])
    rows = installed_record(venv, "demo-1.0.dist-info")
    assert set(rows) == {os.path.relpath(p, site) for p in result.files}
    assert rows["demo-1.0.dist-info/RECORD"] == ["demo-1.0.dist-info/RECORD", "", ""]
    for rel, (_, digest, size) in rows.items():
        if rel.endswith("RECORD"):
            continue
        data = (site / rel).read_bytes()
        expected = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (expected, len(data)), rel
    assert "../../../bin/demo-cli" in rows
    dist_info = site / "demo-1.0.dist-info"
    assert (dist_info / "INSTALLER").read_text() == "pkm\n"
    assert (dist_info / "REQUESTED").exists()
    assert json.loads((dist_info / "direct_url.json").read_text())["url"] == wheel.as_uri()


def test_a_dependency_install_is_not_marked_requested(venv, dists):
    with WheelFile(dists.wheel("dep", "1.0")) as source:
        install(source, destination(venv), requested=False)
    dist_info = Path(venv.scheme["purelib"]) / "dep-1.0.dist-info"
    assert not (dist_info / "REQUESTED").exists()
    assert not (dist_info / "direct_url.json").exists()


def test_executable_bits_are_kept(venv, dists, tmp_path):
    wheel = dists.wheel("modes", "1.0")
    # Rebuild with one executable module, as a wheel built on POSIX may carry.
    out = tmp_path / "w" / wheel.name
    out.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename == "modes/__init__.py":
                info.external_attr = (0o100755) << 16
            dst.writestr(info, src.read(info))
    with WheelFile(out) as source:
        install(source, destination(venv))
    site = Path(venv.scheme["purelib"])
    assert os.access(site / "modes" / "__init__.py", os.X_OK)
    assert not os.access(site / "modes-1.0.dist-info" / "METADATA", os.X_OK)


def test_platlib_wheel_goes_to_platlib_when_the_schemes_differ(tmp_path, dists):
    scheme = {k: str(tmp_path / k) for k in ("purelib", "platlib", "scripts", "data", "include")}
    wheel = dists.wheel("native", "1.0", tag="cp311-cp311-linux_x86_64")
    with WheelFile(wheel) as source:
        install(source, SchemeDestination(scheme, "/usr/bin/python3"))
    assert (tmp_path / "platlib" / "native" / "__init__.py").exists()
    assert (tmp_path / "platlib" / "native-1.0.dist-info" / "RECORD").exists()
    assert not (tmp_path / "purelib").exists()


def test_launchers_use_the_sh_exec_trick_for_interpreter_paths_with_spaces(tmp_path, dists, tools):
    env = tools.make_venv(tmp_path / "dir with space" / "venv")
    wheel = dists.wheel("spaced", "1.0", files={"spaced/__init__.py": "def main():\n    print('ok')\n"},
                        entry_points={"console_scripts": {"spaced": "spaced:main"}},
                        data={"scripts": {"raw": "#!python\nprint('raw ok')\n"}})
    with WheelFile(wheel) as source:
        install(source, destination(env))
    launcher = Path(env.scheme["scripts"]) / "spaced"
    assert launcher.read_text().startswith("#!/bin/sh\n")
    assert tools.run_in(env, str(launcher)).stdout == "ok\n"
    assert tools.run_in(env, str(Path(env.scheme["scripts"]) / "raw")).stdout == "raw ok\n"


def _tree(tmp_path, wheel) -> Path:
    tree = tmp_path / "store-tree"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tree)
    # The store compiles bytecode into its trees; such files are not in RECORD.
    cache = tree / "linked" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"not really bytecode")
    return tree


def test_tree_install_with_hard_links_shares_the_store_files(venv, dists, tmp_path):
    tree = _tree(tmp_path, dists.wheel("linked", "1.0"))
    result = install(TreeSource(tree), destination(venv, "hardlink"))
    site = Path(venv.scheme["purelib"])
    module = site / "linked" / "__init__.py"
    assert os.stat(module).st_ino == os.stat(tree / "linked" / "__init__.py").st_ino
    assert (site / "linked" / "__pycache__" / "__init__.cpython-311.pyc").exists()
    assert "linked/__pycache__/__init__.cpython-311.pyc" in installed_record(venv, "linked-1.0.dist-info")
    assert str(module) in result.files
    # RECORD is written fresh, never linked (the tree's RECORD stays as it was).
    assert os.stat(site / "linked-1.0.dist-info" / "RECORD").st_ino != os.stat(tree / "linked-1.0.dist-info" / "RECORD").st_ino


def test_tree_install_with_symlinks_and_copies(tmp_path, dists, tools):
    tree = _tree(tmp_path, dists.wheel("linked", "1.0"))
    sym_env = tools.make_venv(tmp_path / "sym")
    install(TreeSource(tree), destination(sym_env, "symlink"))
    module = Path(sym_env.scheme["purelib"]) / "linked" / "__init__.py"
    assert os.path.islink(module) and os.path.samefile(module, tree / "linked" / "__init__.py")
    copy_env = tools.make_venv(tmp_path / "copy")
    os.utime(tree / "linked" / "__init__.py", (1_000_000, 1_000_000))
    install(TreeSource(tree), destination(copy_env, "copy"))
    copied = Path(copy_env.scheme["purelib"]) / "linked" / "__init__.py"
    assert not os.path.islink(copied) and os.stat(copied).st_ino != os.stat(tree / "linked" / "__init__.py").st_ino
    assert os.stat(copied).st_mtime == 1_000_000  # keeps the store's bytecode valid


def test_hard_link_failure_falls_back_to_a_copy(venv, dists, tmp_path, monkeypatch):
    tree = _tree(tmp_path, dists.wheel("linked", "1.0"))

    def cross_device(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    install(TreeSource(tree), destination(venv, "hardlink"))
    module = Path(venv.scheme["purelib"]) / "linked" / "__init__.py"
    assert module.read_text() == (tree / "linked" / "__init__.py").read_text()
    assert os.stat(module).st_ino != os.stat(tree / "linked" / "__init__.py").st_ino


def test_reinstall_replaces_files_without_writing_through_hard_links(venv, dists, tmp_path):
    tree = _tree(tmp_path, dists.wheel("linked", "1.0"))
    install(TreeSource(tree), destination(venv, "hardlink"))
    other = make_wheel(tmp_path / "other", "linked", "1.0", files={"linked/__init__.py": "CHANGED = True\n"})
    with WheelFile(other) as source:
        install(source, destination(venv, "copy"))
    assert (tree / "linked" / "__init__.py").read_text() == '__version__ = "1.0"\n'
    assert (Path(venv.scheme["purelib"]) / "linked" / "__init__.py").read_text() == "CHANGED = True\n"


def test_a_large_wheel_written_by_several_threads_is_complete(venv, dists, tools):
    files = {f"many/m{i:03}.py": f"N = {i}\n" for i in range(120)}
    files["many/__init__.py"] = "from . import m000, m119\n"
    with WheelFile(dists.wheel("many", "1.0", files=files)) as source:
        result = install(source, destination(venv), jobs=4)
    assert len(result.files) == 121 + 5  # modules, METADATA, WHEEL, INSTALLER, REQUESTED, RECORD
    rows = installed_record(venv, "many-1.0.dist-info")
    assert len(rows) == len(result.files)
    assert tools.run_in(venv, venv.interpreter, "-c", "import many; print(many.m119.N)").stdout == "119\n"


def test_a_store_tree_installs_as_it_is(venv, dists, tmp_path):
    import hashlib

    from pkm.store import MARKER, Store

    wheel = dists.wheel("treed", "1.0")
    tree = Store(tmp_path / "home").add_tree(wheel, hashlib.sha256(wheel.read_bytes()).hexdigest())
    assert (tree / MARKER).is_file()
    source = TreeSource(tree)  # the store's completion marker is not part of the wheel
    assert MARKER not in {m.path for m in source.members()}
    install(source, destination(venv, "hardlink"))
    site = Path(venv.scheme["purelib"])
    assert (site / "treed" / "__init__.py").is_file() and not (site / MARKER).exists()


def test_a_store_tree_installs_from_its_file_list_as_from_a_walk(venv, dists, tmp_path):
    from pkm.store import Store

    wheel = dists.wheel("listed", "1.0", files={"listed/__init__.py": "X = 1\n", "listed/sub/m.py": ""},
                        data={"scripts": {"run-listed": "#!python\nprint('x')\n"}})
    store = Store(tmp_path / "home")
    tree = store.add_tree(wheel, hashlib.sha256(wheel.read_bytes()).hexdigest())
    listed, walked = TreeSource(tree), TreeSource(tree, verify_hashes=True)
    assert sorted(listed.members()) == sorted(walked.members())
    install(listed, destination(venv, "hardlink"))
    rows = installed_record(venv, "listed-1.0.dist-info")
    assert rows["listed/sub/m.py"][1].startswith("sha256=") and rows["listed/sub/m.py"][2] == "0"
    assert not any(".pkm-" in path for path in rows)  # the store's own files stay in the store
