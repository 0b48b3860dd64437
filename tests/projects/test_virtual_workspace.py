"""Virtual workspace roots: [tool.pkm.workspace] without [project] (as uv allows).

The root is no package: only its members are installed (editable), but its
[dependency-groups] are locked and its default groups installed.
"""

from __future__ import annotations

import subprocess
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

BACKEND = '[build-system]\nrequires = ["pkm-tool"]\nbuild-backend = "pkm.backend"\n\n'
ROOT = ('[tool.pkm.workspace]\nmembers = ["packages/*"]\n\n'
        '[dependency-groups]\ndev = ["testtool"]\n')


def _member(root, name, deps, python):
    folder = root / "packages" / name
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text(f"NAME = {name!r}\n")
    (folder / "pyproject.toml").write_text(
        BACKEND + f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = {deps!r}\n'.replace("'", '"')
        + f'requires-python = "{python}"\n')
    return folder


def _workspace(pkm, publish, root_text=ROOT):
    publish("lib", "1.0", files={"lib.py": ""})
    publish("testtool", "3.0", files={"testtool.py": ""})
    root = pkm.work / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text(root_text)
    _member(root, "core", ["lib"], ">=3.8")
    _member(root, "app", ["core>=0.1"], ">=3.9")
    return root


def test_lock_and_sync_at_a_virtual_root(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root)
    code, out, err = pkm("lock")
    assert code == 0, err
    lock = tomllib.loads((root / "pylock.toml").read_text())
    assert sorted(p["name"] for p in lock["packages"]) == ["lib", "testtool"]  # nothing of the root, no member
    assert lock["dependency-groups"] == ["dev"]
    code, out, err = pkm("sync")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + lib==1.0", " + testtool==3.0"]
    assert "Installed app from" in err and "Installed core from" in err
    probe = pkm.python(root, "import app, core, lib, testtool; print(app.NAME, core.NAME)")
    assert probe.stdout == "app core\n", probe.stderr
    code, out, err = pkm("sync")
    assert code == 0 and "Already in sync" in out, err
    assert not list((root / ".venv").glob("lib/python*/site-packages/ws*"))  # nothing of the root
    code, out, err = pkm("tree")
    assert code == 0, err
    assert out.splitlines() == ["workspace ws", "├── lib v1.0", "└── testtool v3.0 (group: dev)"]
    code, out, err = pkm("why", "testtool")
    assert (code, out) == (0, "workspace ws (group: dev) -> testtool v3.0\n"), err


def test_a_member_and_a_folder_below_the_root_use_the_root(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    (root / "docs").mkdir()
    monkeypatch.chdir(root / "packages" / "app")
    code, out, err = pkm("sync")
    assert code == 0, err
    assert not (root / "packages" / "app" / "pylock.toml").exists()
    assert not (root / "packages" / "app" / ".venv").exists()
    probe = pkm.python(root, "import app, core, testtool; print('ok')")  # the root's dev group too
    assert probe.stdout == "ok\n", probe.stderr
    monkeypatch.chdir(root / "docs")  # no pyproject.toml here: the root's is the nearest
    code, out, err = pkm("lock")
    assert code == 0 and "is up to date (2 packages)" in out, err
    code, _, err = pkm("exec", "python", "-c", "import app; open('out.txt', 'w').write(app.NAME)")
    assert code == 0 and (root / "docs" / "out.txt").read_text() == "app", err


def test_sync_one_package_at_the_root(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root)
    code, out, err = pkm("sync", "--package", "core")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + lib==1.0"]
    assert pkm.python(root, "import core, lib").returncode == 0
    assert pkm.python(root, "import app").returncode == 1  # not asked for
    code, _, err = pkm("sync", "--package", "ws")
    assert code == 2 and "not a member of the workspace" in err and "its members: app, core" in err
    code, _, err = pkm("sync", "--group", "docs")
    assert code == 2 and "workspace ws has no dependency group `docs`" in err


def test_exec_and_run_at_the_root(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root)
    code, out, err = pkm("exec", "python", "-c", "import app, core, lib, testtool; open('out.txt', 'w').write(app.NAME)")
    assert code == 0 and (root / "out.txt").read_text() == "app", err
    assert "Installed app from" in err  # synced first, on stderr
    (root / "tool.py").write_text("import sys, core\nprint(core.NAME, sys.prefix == sys.base_prefix)\n")
    for argv, expected in ((["python", "-c", "import app, testtool; print(app.NAME)"], "app\n"),
                           (["tool.py"], "core False\n")):
        done = subprocess.run([sys.executable, "-m", "pkm", "run", *argv], cwd=root, capture_output=True,
                              text=True, timeout=120)
        assert (done.returncode, done.stdout) == (0, expected), done.stderr
    done = subprocess.run([sys.executable, "-m", "pkm", "run", "--with", "lib", "python", "-V"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--with does not apply at a virtual workspace root" in done.stderr
    code, out, err = pkm("sync")  # the lock exec made is still fresh: not made again
    assert code == 0 and "Already in sync" in out and "Locked" not in err, err


def test_add_and_remove_at_the_root(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    publish("fmt", "1.2", files={"fmt.py": ""})
    monkeypatch.chdir(root)
    before = (root / "pyproject.toml").read_text()
    for argv in (["add", "fmt"], ["add", "--optional", "fast", "fmt"], ["remove", "testtool"]):
        code, _, err = pkm(*argv)
        assert code == 2, (argv, err)
        assert "is a virtual workspace root (no [project] table)" in err
        assert f"`pkm {argv[0]} --group dev ...`" in err and "`--project packages/app`" in err
    assert (root / "pyproject.toml").read_text() == before and not (root / "pylock.toml").exists()
    code, out, err = pkm("add", "--group", "dev", "fmt")
    assert code == 0, err
    assert 'dev = ["testtool", "fmt>=1.2"]' in (root / "pyproject.toml").read_text()
    assert pkm.python(root, "import fmt, app").returncode == 0
    code, out, err = pkm("remove", "--group", "dev", "testtool")
    assert code == 0, err
    assert out.splitlines()[1:] == [" - testtool==3.0"], (out, err, (root / "pylock.toml").read_text())
    assert 'dev = ["fmt>=1.2"]' in (root / "pyproject.toml").read_text()
    lock = tomllib.loads((root / "pylock.toml").read_text())
    assert sorted(p["name"] for p in lock["packages"]) == ["fmt", "lib"]


def test_errors(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root)
    app = root / "packages" / "app" / "pyproject.toml"
    app.write_text(app.read_text().replace(">=3.9", ">=3.99"))
    code, _, err = pkm("lock")  # the members' requires-python, combined, is the workspace's
    assert code == 1 and "workspace ws requires Python >=3.8,>=3.99;" in err
    (root / "pyproject.toml").write_text('[tool.pkm.workspace]\nmembers = ["libs/*", "apps/*"]\n')
    for argv in (["lock"], ["sync"], ["tree"], ["exec", "true"]):
        code, _, err = pkm(*argv)
        assert code == 2, (argv, err)
        assert "has no [project] and its members match no project" in err
        assert 'members = ["libs/*", "apps/*"]' in err and "pyproject.toml:2" in err
    (root / "pyproject.toml").write_text('[tool.pkm]\ndefault-groups = []\n')  # neither a project nor a workspace
    code, _, err = pkm("lock")
    assert code == 2 and "no [project] table with a name" in err



def test_building_a_virtual_root_is_refused(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root)
    code, out, err = pkm("build", ".")
    assert code == 2 and "is a virtual workspace root: there is no package to build" in err
    assert "its members: packages/app, packages/core" in err and not (root / "dist").exists()
