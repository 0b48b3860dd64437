"""`pkm install`: --no-deps from the index, from -r files, from a lock; the resolver seam; hashes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest



def test_install_no_deps_takes_the_newest_matching_wheel(pkm, publish, index_server):
    env = pkm.venv()
    publish("demo", "1.0")
    publish("demo", "1.5")
    publish("demo", "2.0")
    publish("extra-thing", "0.3")
    code, out, err = pkm("install", "--no-deps", "demo<2", "Extra_Thing", "--env", str(env),
                         "--index-url", index_server.simple_url)
    assert code == 0, err
    assert out.splitlines()[1:] == [" + demo==1.5", " + extra-thing==0.3"]
    assert pkm.python(env, "import demo; print(demo.__version__)").stdout == "1.5\n"
    requested = list(env.glob("lib/*/site-packages/demo-1.5.dist-info/REQUESTED"))
    installer = next(env.glob("lib/*/site-packages/demo-1.5.dist-info/INSTALLER")).read_text()
    assert requested and installer.strip() == "pkm"


def test_an_installed_requirement_is_left_alone_without_network(pkm, publish, index_server):
    env = pkm.venv()
    publish("demo", "1.0")
    assert pkm("install", "--no-deps", "demo", "--env", str(env), "--index-url", index_server.simple_url)[0] == 0
    index_server.stop()
    code, out, err = pkm("install", "--no-deps", "demo>=1", "--env", str(env), "--index-url", index_server.simple_url)
    assert (code, out, err) == (0, f"Nothing to do: 1 package already installed in {env}\n", "")


def test_upgrade_and_reinstall(pkm, publish, index_server):
    env = pkm.venv()
    publish("demo", "1.0")
    url = ("--index-url", index_server.simple_url, "--env", str(env))
    assert pkm("install", "--no-deps", "demo", *url)[0] == 0
    publish("demo", "1.1")
    code, out, _ = pkm("install", "--no-deps", "demo>1.0", *url)
    assert code == 0 and out.splitlines()[1:] == [" ~ demo 1.0 -> 1.1"]
    code, out, _ = pkm("install", "--no-deps", "--reinstall", "demo", *url, "--format", "json")
    assert code == 0 and json.loads(out)["changed"] == [{"name": "demo", "from": "1.1", "to": "1.1"}]
    assert [d.name for d in env.glob("lib/*/site-packages/*.dist-info")] == ["demo-1.1.dist-info"]


def test_an_sdist_is_built_and_only_binary_picks_an_older_wheel(pkm, publish, index_server):
    env = pkm.venv()
    publish("mixed", "1.0")
    publish("mixed", "2.0", sdist=True, build_backend="pkm.backend",
            files={"mixed/__init__.py": "built = 'from the sdist'\n"})
    args = ("mixed", "--env", str(env), "--index-url", index_server.simple_url)
    code, out, err = pkm("install", *args, "--only-binary", ":all:")
    assert code == 0 and out.splitlines()[1:] == [" + mixed==1.0"]
    code, out, err = pkm("install", *args, "--reinstall")
    assert code == 0, err
    assert out.splitlines()[1:] == [" ~ mixed 1.0 -> 2.0"]
    assert pkm.python(env, "import mixed; print(mixed.built)").stdout == "from the sdist\n"


def test_an_sdist_whose_build_fails_installs_nothing(pkm, publish, index_server):
    env = pkm.venv()
    publish("broken", "1.0", sdist=True)  # setuptools backend: the loopback index has no setuptools
    code, out, err = pkm("install", "broken", "--env", str(env), "--index-url", index_server.simple_url)
    assert (code, out) == (1, "")
    assert "cannot set up the build environment of broken" in err and "setuptools" in err
    assert list(env.glob("lib/*/site-packages/*.dist-info")) == []


def test_requirements_file_with_constraints_and_hashes(pkm, publish, index_server, dists):
    env = pkm.venv()
    for version in ("1.0", "1.1", "2.0"):
        publish("alpha", version)
    publish("beta", "3.0")
    beta = hashlib.sha256((dists.directory / "beta-3.0-py3-none-any.whl").read_bytes()).hexdigest()
    (pkm.work / "constraints.txt").write_text("alpha<2  # keep below 2\n")
    (pkm.work / "reqs.txt").write_text(
        f"--index-url {index_server.simple_url}\n-c constraints.txt\nalpha\n"
        f"beta==3.0 \\\n    --hash=sha256:{beta}\nnever ; python_version < '3'\n")
    code, out, err = pkm("install", "--no-deps", "-r", "reqs.txt", "--env", str(env))
    assert code == 0, err
    assert out.splitlines()[1:] == [" + alpha==1.1", " + beta==3.0"]


def test_a_wrong_hash_in_a_requirements_file_installs_nothing(pkm, publish, index_server):
    env = pkm.venv()
    publish("alpha", "1.0")
    publish("beta", "1.0")
    (pkm.work / "reqs.txt").write_text(f"alpha\nbeta==1.0 --hash=sha256:{'0' * 64}\n")
    code, out, err = pkm("install", "--no-deps", "-r", "reqs.txt", "--env", str(env),
                         "--index-url", index_server.simple_url)
    assert code == 1 and "does not match the hashes in reqs.txt:2" in err
    assert pkm("list", "--env", str(env))[1] == f"No packages installed in {env}\n"


def test_require_hashes_needs_pins_and_hashes(pkm, publish, index_server):
    env = pkm.venv()
    publish("alpha", "1.0")
    code, _, err = pkm("install", "--no-deps", "--require-hashes", "alpha==1.0", "--env", str(env),
                       "--index-url", index_server.simple_url)
    assert code == 2 and "`alpha` is not pinned with == and a --hash" in err


def test_a_bad_requirements_file_is_exit_2_with_file_and_line(pkm):
    env = pkm.venv()
    (pkm.work / "reqs.txt").write_text("ok-pkg\n\nbad pkg ===\n")
    code, out, err = pkm("install", "--no-deps", "-r", "reqs.txt", "--env", str(env))
    assert code == 2 and out == "" and "reqs.txt:3: invalid requirement `bad pkg ===`" in err


def test_install_from_a_lock_keeps_other_packages(pkm, shelf):
    env = pkm.venv()
    first = pkm.lock(pkm.work / "a.toml", [shelf("other", "1.0")])
    assert pkm("install", "--lock", str(first), "--env", str(env))[0] == 0
    lock = pkm.lock(pkm.work / "b.toml", [shelf("one", "1.0"), shelf("two", "1.0")])
    code, out, err = pkm("install", "--lock", str(lock), "two", "--env", str(env))
    assert code == 0 and out.splitlines()[1:] == [" + two==1.0"]
    assert pkm("list", "--env", str(env))[1].split() == ["other", "1.0", "two", "1.0"]
    code, _, err = pkm("install", "--lock", str(lock), "three", "--env", str(env))
    assert code == 1 and "three not in the lock" in err


def test_virtual_env_variable_and_dot_venv_choose_the_environment(pkm, publish, index_server, monkeypatch):
    publish("demo", "1.0")
    env = pkm.venv(".venv")
    assert pkm("install", "--no-deps", "demo", "--index-url", index_server.simple_url)[0] == 0
    assert "demo" in pkm("list")[1]
    other = pkm.venv("other")
    monkeypatch.setenv("VIRTUAL_ENV", str(other))
    assert pkm("list")[1] == f"No packages installed in {other}\n"
    assert env.is_dir()


def test_nothing_named_is_a_usage_error(pkm):
    pkm.venv(".venv")
    code, _, err = pkm("install")
    assert code == 2 and "nothing to install" in err


@pytest.mark.online
def test_install_rich_from_pypi(pkm):
    env = pkm.venv()
    code, out, err = pkm("install", "--no-deps", "rich==14.0.0", "markdown-it-py", "mdurl", "pygments",
                         "--env", str(env))
    assert code == 0, err
    assert " + rich==14.0.0" in out.splitlines()
    done = pkm.python(env, "import rich; from rich.console import Console; Console().print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert pkm.pip(env, "check").returncode == 0


def _pyenv_pythons():
    import glob

    found = [sorted(glob.glob(f"/root/.pyenv/versions/3.{minor}.*/bin/python3.{minor}"))[-1:] for minor in range(9, 14)]
    return [paths[0] for paths in found if paths] or [sys.executable]  # no pyenv: the running Python


@pytest.mark.multipython
@pytest.mark.parametrize("python", _pyenv_pythons())
def test_a_venv_of_each_python_gets_a_working_install_with_its_bytecode(pkm, publish, index_server, python):
    from pkm.env import create_venv, probe

    interpreter = probe(python, cache_dir=pkm.home / "interpreters-v1")
    env = Path(create_venv(pkm.work / "venv", interpreter))
    publish("demo", "1.0", entry_points={"console_scripts": {"demo-tool": "demo:main"}},
            files={"demo/__init__.py": "__version__ = '1.0'\ndef main():\n    print('tool ran')\n"})
    code, out, err = pkm("install", "--no-deps", "demo", "--env", str(env), "--index-url", index_server.simple_url)
    assert code == 0, err
    short = interpreter.python_version
    assert list(env.glob(f"lib/python{short}/site-packages/demo/__pycache__/__init__.{interpreter.cache_tag}.pyc"))
    done = pkm.python(env, "import demo, sys; print(sys.version_info[:2], demo.__version__)")
    assert done.stdout == f"{interpreter.version[:2]} 1.0\n", done.stderr
    assert subprocess.run([str(env / "bin" / "demo-tool")], capture_output=True, text=True).stdout == "tool ran\n"
    code, out, err = pkm("uninstall", "demo", "--env", str(env))
    assert code == 0 and not list(env.glob(f"lib/python{short}/site-packages/demo*")), err
