"""Workspaces: members from source, one lock and one venv at the root, `sync --package`."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

BACKEND = '[build-system]\nrequires = ["pkm-tool"]\nbuild-backend = "pkm.backend"\n\n'


def _member(root, name, deps):
    folder = root / "packages" / name
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text(f"NAME = {name!r}\n")
    (folder / "pyproject.toml").write_text(
        BACKEND + f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = {deps!r}\n'.replace("'", '"'))
    return folder


def _workspace(pkm, publish):
    publish("lib", "1.0", files={"lib.py": ""})
    publish("helper", "2.0", files={"helper.py": ""})
    root = pkm.work / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "ws"\nversion = "0"\ndependencies = []\n\n'
                                         '[tool.pkm.workspace]\nmembers = ["packages/*"]\n')
    _member(root, "core", ["lib"])
    _member(root, "cli", ["core>=0.1", "helper"])
    return root


def test_one_lock_members_from_source_and_editable(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root / "packages" / "cli")  # from inside a member: the workspace's lock and venv
    code, out, err = pkm("lock")
    assert code == 0, err
    lock = tomllib.loads((root / "pylock.toml").read_text())
    assert sorted(p["name"] for p in lock["packages"]) == ["helper", "lib"]  # members are not from an index
    assert not (root / "packages" / "cli" / "pylock.toml").exists()
    code, out, err = pkm("sync")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + helper==2.0", " + lib==1.0"]
    probe = pkm.python(root, "import core, cli, lib, helper; print(core.NAME, cli.NAME)")
    assert probe.stdout == "core cli\n", probe.stderr


def test_sync_one_package_and_a_member_version_that_does_not_fit(pkm, publish, monkeypatch):
    root = _workspace(pkm, publish)
    monkeypatch.chdir(root)
    code, out, err = pkm("sync", "--package", "core")
    assert code == 0, err
    assert out.splitlines()[1:] == [" + lib==1.0"]
    assert pkm.python(root, "import core; import cli").returncode == 1  # cli was not asked for
    code, _, err = pkm("sync", "--package", "nope")
    assert code == 2 and "not a member of the workspace" in err
    pyproject = root / "packages" / "cli" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("core>=0.1", "core>=2"))
    code, _, err = pkm("lock")
    assert code == 1 and "cli requires core>=2, but the workspace's core is 0.1.0" in err
