"""pip agrees with pkm: list, check, and uninstall across the two installers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pkm.errors import NotFoundError
from pkm.install import SchemeDestination, WheelFile, install, uninstall

FILES = {
    "inter/__init__.py": "def main():\n    print('inter')\n",
    "inter/sub/__init__.py": "",
    "inter/sub/mod.py": "X = 1\n",
}
EXTRA = dict(
    files=FILES,
    entry_points={"console_scripts": {"inter": "inter:main"}},
    data={"scripts": {"inter-sh": "#!python\nprint(1)\n"}, "headers": {"inter.h": "/* h */\n"}, "data": {"share/inter/x.txt": "x\n"}},
)


def pkm_install(env, wheel, **kwargs):
    with WheelFile(wheel) as source:
        return install(source, SchemeDestination(env.scheme, env.interpreter), **kwargs)


def test_pip_list_and_check_agree_with_pkm(venv, dists, tools):
    pkm_install(venv, dists.wheel("inter", "1.0", dependencies=["helper>=2"], **EXTRA))
    pkm_install(venv, dists.wheel("helper", "2.1"), requested=False)
    listed = json.loads(tools.pip(venv, "list", "--format", "json").stdout)
    assert {(d["name"], d["version"]) for d in listed} == {("inter", "1.0"), ("helper", "2.1")}
    assert tools.pip(venv, "check").returncode == 0
    shown = tools.pip(venv, "show", "inter").stdout
    assert "Requires: helper" in shown


def test_pip_check_sees_a_missing_dependency(venv, dists, tools):
    pkm_install(venv, dists.wheel("inter", "1.0", dependencies=["helper>=2"], **EXTRA))
    checked = tools.pip(venv, "check", check=False)
    assert checked.returncode == 1 and "helper" in checked.stdout


def test_pip_uninstall_removes_every_file_pkm_installed(venv, dists, tools):
    before = tools.snapshot(venv.prefix)
    pkm_install(venv, dists.wheel("inter", "1.0", **EXTRA))
    tools.run_in(venv, venv.interpreter, "-c", "import inter.sub.mod")  # leaves __pycache__ behind
    tools.pip(venv, "uninstall", "-y", "inter")
    after = tools.snapshot(venv.prefix)
    # pip leaves empty directories behind (share/, include/site/); files must all be gone.
    assert {k: v for k, v in after.items() if v != ("dir",)} == {k: v for k, v in before.items() if v != ("dir",)}


def test_pkm_uninstall_removes_every_file_pip_installed(venv, dists, tools):
    before = tools.snapshot(venv.prefix)
    wheel = dists.wheel("inter", "1.0", **EXTRA)
    tools.pip(venv, "install", "--no-deps", "--no-index", str(wheel))
    tools.run_in(venv, "inter")
    removed = uninstall(venv.scheme["purelib"], "inter")
    assert any(p.name == "inter" and p.parent.name == "bin" for p in removed)
    assert tools.snapshot(venv.prefix) == before


def test_pkm_uninstall_of_its_own_install_leaves_the_venv_as_it_was(venv, dists, tools):
    before = tools.snapshot(venv.prefix)
    pkm_install(venv, dists.wheel("inter", "1.0", **EXTRA))
    tools.run_in(venv, venv.interpreter, "-c", "import inter.sub.mod")
    uninstall(venv.scheme["purelib"], "Inter")
    assert tools.snapshot(venv.prefix) == before


def test_uninstall_never_touches_files_outside_the_environment(venv, dists, tmp_path):
    pkm_install(venv, dists.wheel("inter", "1.0", **EXTRA))
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    record = Path(venv.scheme["purelib"]) / "inter-1.0.dist-info" / "RECORD"
    rel = Path("../" * 4) / "precious.txt"
    assert (record.parent.parent / rel).resolve() == outside.resolve()
    record.write_text(record.read_text() + f"{rel},,\n/etc/hostname,,\n")
    removed = uninstall(venv.scheme["purelib"], "inter")
    assert outside.read_text() == "keep me\n"
    assert all(str(p).startswith(str(venv.prefix)) for p in removed)


def test_uninstall_of_a_missing_distribution_says_so(venv):
    with pytest.raises(NotFoundError) as caught:
        uninstall(venv.scheme["purelib"], "nothing-here")
    assert "nothing-here is not installed" in str(caught.value) and caught.value.hint
