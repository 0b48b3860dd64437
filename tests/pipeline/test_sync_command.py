"""`pkm sync --lock`: an environment made to match a lock exactly, all or nothing, a no-op without network."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

SCRIPT = {"console_scripts": {"greet": "greeter:main"}}
GREETER = {"greeter/__init__.py": "def main():\n    print('hello from greeter')\n"}


def test_sync_installs_the_lock_into_a_fresh_venv(pkm, shelf):
    env = pkm.venv()
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("greeter", "1.0", files=GREETER, entry_points=SCRIPT),
                                              shelf("helper-lib", "2.1", dependencies=[])])
    code, out, err = pkm("sync", "--lock", str(lock), "--env", str(env))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Installed 2 packages in ")
    assert lines[1:] == [" + greeter==1.0", " + helper-lib==2.1"]
    done = pkm.python(env, "import greeter, helper_lib; print(helper_lib.__version__)")
    assert done.returncode == 0 and done.stdout == "2.1\n", done.stderr
    script = env / "bin" / "greet"
    assert os.access(script, os.X_OK)
    assert subprocess.run([str(script)], capture_output=True, text=True).stdout == "hello from greeter\n"


def test_second_sync_is_a_no_op_that_needs_no_network(pkm, shelf, index_server):
    env = pkm.venv()
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    index_server.stop()
    code, out, err = pkm("sync", "--lock", str(lock), "--env", str(env))
    assert (code, err) == (0, "")
    assert out == f"Already in sync: 1 package in {env} match {lock}\n"


def test_a_wheel_already_in_the_store_installs_without_network(pkm, shelf, index_server):
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(pkm.venv("one")))[0] == 0
    index_server.stop()
    code, out, err = pkm("sync", "--lock", str(lock), "--env", str(pkm.venv("two")), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["added"] == [{"name": "demo", "version": "1.0"}] and data["environment"] == str(pkm.work / "two")
    # hard links from the store: the same file in both environments
    one = next((pkm.work / "one").glob("lib/*/site-packages/demo/__init__.py"))
    two = next((pkm.work / "two").glob("lib/*/site-packages/demo/__init__.py"))
    assert os.stat(one).st_ino == os.stat(two).st_ino


def test_a_warm_sync_never_loads_the_http_client(pkm, shelf, index_server):
    """Everything in the store: no HTTP client is made, so neither `http.client` nor `ssl` is imported."""
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(pkm.venv("one")))[0] == 0
    index_server.stop()
    two = pkm.venv("two")
    probe = ("import json, sys\nfrom pkm.cli import main\n"
             f"code = main(['sync', '-q', '--lock', {str(lock)!r}, '--env', {str(two)!r}])\n"
             "print(json.dumps([code, sorted(m for m in ('http.client', 'ssl', 'pkm.http') if m in sys.modules)]))\n")
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environ, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [0, []]
    assert pkm.python(two, "import demo").returncode == 0


def test_a_sync_with_nothing_to_change_loads_neither_the_installer_nor_the_store(pkm, shelf):
    """A sync of an environment already right costs reading the lock and the installed list:
    the installer, the store and the resolver stay unimported."""
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    env = pkm.venv()
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    probe = ("import json, sys\nfrom pkm.cli import main\n"
             f"code = main(['sync', '-q', '--lock', {str(lock)!r}, '--env', {str(env)!r}])\n"
             "print(json.dumps([code, sorted(m for m in ('pkm.install.transaction', 'pkm.install._core', 'pkm.store',"
             " 'pkm.resolver', 'concurrent.futures') if m in sys.modules)]))\n")
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environ, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [0, []]


def test_sync_removes_what_the_lock_lacks_and_upgrades(pkm, shelf):
    env = pkm.venv()
    old = pkm.lock(pkm.work / "old.toml", [shelf("keep", "1.0"), shelf("gone", "1.0"), shelf("idna", "3.6")])
    assert pkm("sync", "--lock", str(old), "--env", str(env))[0] == 0
    new = pkm.lock(pkm.work / "new.toml", [shelf("keep", "1.0"), shelf("idna", "3.7"), shelf("fresh", "0.1")])
    code, out, err = pkm("sync", "--lock", str(new), "--env", str(env))
    assert code == 0, err
    assert out.splitlines()[0].startswith("Installed 1, changed 1, removed 1 packages in ")
    assert out.splitlines()[1:] == [" + fresh==0.1", " - gone==1.0", " ~ idna 3.6 -> 3.7"]
    code, out, _ = pkm("list", "--env", str(env))
    assert out.split() == ["fresh", "0.1", "idna", "3.7", "keep", "1.0"]
    assert pkm.python(env, "import gone").returncode == 1


def test_a_hash_mismatch_installs_nothing(pkm, shelf, tmp_path):
    env = pkm.venv()
    good = pkm.lock(pkm.work / "good.toml", [shelf("base", "1.0")])
    assert pkm("sync", "--lock", str(good), "--env", str(env))[0] == 0
    before = sorted(p.relative_to(env) for p in env.rglob("*"))
    bad = dict(shelf("victim", "1.0"), sha256="0" * 64)
    lock = pkm.lock(pkm.work / "bad.toml", [shelf("base", "2.0"), shelf("other", "1.0"), bad])
    code, out, err = pkm("sync", "--lock", str(lock), "--env", str(env))
    assert code == 1 and out == ""
    assert "error:" in err and "victim" in err and "sha256" in err.lower()
    assert sorted(p.relative_to(env) for p in env.rglob("*")) == before
    assert pkm("list", "--env", str(env))[1].split() == ["base", "1.0"]


def test_an_sdist_only_package_is_built_from_the_lock(pkm, dists, index_server):
    env = pkm.venv()
    sdist = dists.sdist("srconly", "1.0", build_backend="pkm.backend", files={"srconly.py": "ok = True\n"})
    lock = pkm.lock(pkm.work / "pylock.toml", [{"name": "srconly", "version": "1.0", "path": str(sdist),
                                              "url": index_server.add_file(sdist)}])
    code, out, err = pkm("sync", "--lock", str(lock), "--env", str(env))
    assert code == 0, err
    assert out.splitlines()[1:] == [" + srconly==1.0"]
    assert pkm.python(env, "import srconly; print(srconly.ok)").stdout == "True\n"


def test_a_lock_for_another_python_is_refused(pkm, shelf):
    env = pkm.venv()
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")], python="3.1")
    code, _, err = pkm("sync", "--lock", str(lock), "--env", str(env))
    assert code == 1 and "does not fit this environment" in err and "hint:" in err


def test_a_malformed_lock_is_exit_2_with_its_line(pkm):
    env = pkm.venv()
    lock = pkm.work / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "me"\npackages = [\n')
    code, _, err = pkm("sync", "--lock", str(lock), "--env", str(env))
    assert code == 2 and f"{lock}:" in err and "invalid TOML" in err


def test_sync_needs_an_existing_environment(pkm, shelf):
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    code, _, err = pkm("sync", "--lock", str(lock), "--env", "nowhere")
    assert code == 1 and "is not a virtual environment" in err and "pkm venv" in err


def test_pip_agrees_with_what_sync_did(pkm, shelf):
    env = pkm.venv()
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("app", "1.0", dependencies=["lib>=2"]), shelf("lib", "2.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    listed = pkm.pip(env, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert {(d["name"], d["version"]) for d in json.loads(listed.stdout)} == {("app", "1.0"), ("lib", "2.0")}
    checked = pkm.pip(env, "check")
    assert checked.returncode == 0, checked.stdout


def test_copy_mode_gives_the_environment_its_own_files(pkm, shelf):
    lock = pkm.lock(pkm.work / "pylock.toml", [shelf("demo", "1.0")])
    assert pkm("sync", "--lock", str(lock), "--env", str(pkm.venv("linked")))[0] == 0
    assert pkm("sync", "--lock", str(lock), "--env", str(pkm.venv("copied")), "--link-mode", "copy")[0] == 0
    linked = next((pkm.work / "linked").glob("lib/*/site-packages/demo/__init__.py"))
    copied = next((pkm.work / "copied").glob("lib/*/site-packages/demo/__init__.py"))
    assert os.stat(linked).st_nlink >= 2 and os.stat(copied).st_nlink == 1
    assert copied.read_text() == linked.read_text()


def test_the_environment_is_a_store_root(pkm, shelf):
    from pkm.store import Store

    env = pkm.venv()
    one = shelf("one", "1.0")
    lock = pkm.lock(pkm.work / "pylock.toml", [one])
    assert pkm("sync", "--lock", str(lock), "--env", str(env))[0] == 0
    [root] = Store(pkm.home).roots()
    digest = hashlib.sha256(open(one["path"], "rb").read()).hexdigest()
    assert (root.path, root.kind, set(root.trees)) == (env, "environment", {digest})
