"""`python -m pkm.run SCRIPT`: a PEP 723 script runs with its dependencies, cold then warm, like plain python."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_a_script_runs_with_its_dependencies_then_warm_without_the_index(run, publish, index_server):
    publish("greeting", "1.0", dependencies=["helper>=2"],
            files={"greeting/__init__.py": "from helper import name\ndef hello():\n    return 'hello ' + name\n"})
    publish("helper", "2.1", files={"helper.py": "name = 'world'\n"})
    publish("helper", "1.0", files={"helper.py": "name = 'old'\n"})
    script = run.script("tool.py", "import sys, importlib.metadata as md, greeting\n"
                                   "print(greeting.hello(), md.version('helper'), sys.argv, __name__, __file__)\n"
                                   "sys.exit(7)\n", deps=["greeting"])
    first = run("tool.py", "a", "--b")
    assert first.returncode == 7, first.stderr
    assert first.stdout == f"hello world 2.1 ['tool.py', 'a', '--b'] __main__ {script}\n"
    [manifest] = run.manifests()
    data = json.loads(manifest.read_text())
    assert sorted((d["name"], d["version"], d["requested"]) for d in data["distributions"]) == [
        ("greeting", "1.0", True), ("helper", "2.1", False)]
    served = len(index_server.hits())
    second = run("tool.py", "a", "--b")
    assert (second.returncode, second.stdout, second.stderr) == (7, first.stdout, "")
    assert len(index_server.hits()) == served  # warm: the index is not asked again


def test_the_context_shadows_the_host_environment(run, publish):
    # The host (the interpreter running pkm) has `packaging` installed; the script declares its own.
    publish("packaging", "1.0", files={"packaging/__init__.py": "__version__ = 'from-the-context'\n"})
    run.script("shadow.py", "import packaging, importlib.metadata as md\n"
                            "print(packaging.__version__, md.version('packaging'))\n", deps=["packaging==1.0"])
    done = run("shadow.py")
    assert (done.returncode, done.stdout) == (0, "from-the-context 1.0\n"), done.stderr


def test_tracebacks_show_the_users_code_only(run, publish):
    publish("lib", "1.0", files={"lib.py": "def boom():\n    raise ValueError('no')\n"})
    run.script("fail.py", "import lib\n\ndef main():\n    lib.boom()\n\nmain()\n", deps=["lib"])
    done = run("fail.py")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "fail.py\", line 9, in <module>" in lines[1] and lines[-1] == "ValueError: no"
    assert "pkm" not in "".join(line for line in lines if line.startswith("  File")).replace("/lib.py", "")


def test_stdin_stdout_and_plain_scripts(run):
    run.script("echo.py", "import sys\nprint(sys.stdin.read().upper(), end='')\n")
    done = run("echo.py", stdin="hi\n")
    assert (done.returncode, done.stdout, done.stderr) == (0, "HI\n", "")


def test_dash_c_and_dash_m(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 42\n"})
    run.script("pkgmod/__init__.py", "")
    run.script("pkgmod/__main__.py", "import sys\nprint('module', sys.argv[1:])\n")
    done = run("-m", "pkgmod", "x")
    assert (done.returncode, done.stdout) == (0, "module ['x']\n"), done.stderr
    done = run("--with", "lib", "-c", "import sys, lib; print(lib.x, sys.argv)", "arg")
    assert (done.returncode, done.stdout) == (0, "42 ['-c', 'arg']\n"), done.stderr
    assert run.manifests() == []  # -c outside a project: a throw-away context


def test_a_project_context_with_its_own_package(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 'lib'\n"})
    (run.work / "proj" / "src" / "myproj").mkdir(parents=True)
    (run.work / "proj" / "src" / "myproj" / "__init__.py").write_text("name = 'myproj'\n")
    (run.work / "proj" / "pyproject.toml").write_text(
        '[project]\nname = "myproj"\nversion = "0.1"\ndependencies = ["lib"]\n')
    run.script("proj/scripts/go.py", "import lib, myproj\nprint(lib.x, myproj.name)\n")
    done = run("scripts/go.py", cwd=run.work / "proj")
    assert (done.returncode, done.stdout) == (0, "lib myproj\n"), done.stderr


def _member(root, name, deps):
    (root / "packages" / name / name).mkdir(parents=True)
    (root / "packages" / name / name / "__init__.py").write_text(f"name = {name!r}\n")
    (root / "packages" / name / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1"\ndependencies = {deps!r}\n'.replace("'", '"'))


@pytest.mark.parametrize("virtual", [False, True])
def test_a_workspace_member_runs_with_the_other_members_and_their_dependencies(run, publish, virtual):
    publish("lib", "1.0", files={"lib.py": "x = 'lib'\n"})
    publish("lib", "2.0", files={"lib.py": "x = 'lib 2'\n"})
    root = run.work / "ws"
    _member(root, "core", ["lib"])
    _member(root, "app", ["core"])  # a member: met by its source, never looked up on the index
    head = "" if virtual else '[project]\nname = "ws"\nversion = "0.1"\n'
    (root / "pyproject.toml").write_text(head + '[tool.pkm.workspace]\nmembers = ["packages/*"]\n')
    run.script("ws/packages/app/go.py", "import app, core, lib\nprint(app.name, core.name, lib.x)\n")
    done = run("go.py", cwd=root / "packages" / "app")
    assert (done.returncode, done.stdout) == (0, "app core lib 2\n"), done.stderr
    # Another member changes and the workspace is re-locked: the root's lock is part of the member's context.
    core_toml = root / "packages" / "core" / "pyproject.toml"
    core_toml.write_text(core_toml.read_text().replace('["lib"]', '["lib<2"]'))
    locked = subprocess.run([sys.executable, "-m", "pkm", "lock"], cwd=str(root), env=run.env,
                            capture_output=True, text=True, timeout=120)
    assert locked.returncode == 0, locked.stderr
    done = run("go.py", cwd=root / "packages" / "app")
    assert (done.returncode, done.stdout) == (0, "app core lib\n"), done.stderr


def test_child_processes_inherit_the_context(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 'inherited'\n"})
    run.script("parent.py",
               "import subprocess, sys, multiprocessing as mp\n"
               "def child(q):\n    import lib; q.put(lib.x)\n"
               "if __name__ == '__main__':\n"
               "    out = subprocess.run([sys.executable, '-c', 'import lib; print(lib.x)'], capture_output=True, text=True)\n"
               "    print(out.stdout.strip(), out.stderr.strip()[-200:])\n"
               "    ctx = mp.get_context('spawn'); q = ctx.Queue(); p = ctx.Process(target=child, args=(q,))\n"
               "    p.start(); print(q.get(timeout=60)); p.join()\n", deps=["lib"])
    done = run("parent.py")
    assert (done.returncode, done.stdout) == (0, "inherited \ninherited\n"), done.stderr


def test_a_namespace_package_across_trees_metadata_resources_and_entry_points(run, publish):
    publish("ns-one", "1.0", files={"nsx/one.py": "v = 1\n"})
    publish("ns-two", "1.0", files={"nsx/two.py": "v = 2\n", "nsx/two_data/info.txt": "data!"},
            entry_points={"demo.plugins": {"two": "nsx.two:v"}})
    run.script("ns.py",
               "import nsx.one, nsx.two, importlib.metadata as md, importlib.resources as r\n"
               "print(nsx.one.v + nsx.two.v, (r.files('nsx') / 'two_data' / 'info.txt').read_text())\n"
               "print([e.load() for e in md.entry_points(group='demo.plugins')])\n", deps=["ns-one", "ns-two"])
    done = run("ns.py")
    assert (done.returncode, done.stdout) == (0, "3 data!\n[2]\n"), done.stderr


def test_imports_served_by_the_host_are_reported_once(run):
    run.script("host.py", "import pytest\nimport pytest\nprint('ok')\n", deps=[])
    done = run("host.py")
    assert done.returncode == 0 and done.stdout == "ok\n"
    assert done.stderr.count("'pytest' was imported from the host environment") == 1


def test_a_store_tree_gone_means_a_cold_start_again(run, publish):
    import shutil

    publish("lib", "1.0", files={"lib.py": "x = 1\n"})
    run.script("t.py", "import lib\nprint(lib.x)\n", deps=["lib"])
    assert run("t.py").stdout == "1\n"
    run.wait_for_bytecode()
    for tree in (run.home / "trees").iterdir():
        for path in [tree, *tree.rglob("*")]:
            path.chmod(0o755)
        shutil.rmtree(tree)
    done = run("t.py")
    assert (done.returncode, done.stdout) == (0, "1\n"), done.stderr


def test_usage_errors(run):
    done = run()
    assert done.returncode == 2 and done.stderr.startswith("error: nothing to run\nhint: ")
    done = run("--bogus", "x.py")
    assert done.returncode == 2 and "error: unknown option --bogus" in done.stderr
    done = run("missing.py")
    assert done.returncode == 2 and "error: cannot open the script missing.py" in done.stderr
    done = run("--help")
    assert done.returncode == 0 and "python -m pkm.run [OPTIONS]" in done.stdout


def test_python_version_is_what_the_script_sees(run):
    run.script("v.py", "import sys; print(sys.version_info[:2] == %r)\n" % (tuple(sys.version_info[:2]),))
    assert run("v.py").stdout == "True\n"


def test_a_nested_run_gets_its_own_context_not_the_parents(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 'one'\n"})
    publish("lib", "2.0", files={"lib.py": "x = 'two'\n"})
    run.script("inner.py", "import lib\nprint('inner', lib.x)\n", deps=["lib==2.0"])
    run.script("outer.py", "import lib, subprocess, sys\nprint('outer', lib.x, flush=True)\n"
                           "subprocess.run([sys.executable, '-m', 'pkm.run', 'inner.py'], check=True)\n",
               deps=["lib==1.0"])
    done = run("outer.py")
    assert (done.returncode, done.stdout) == (0, "outer one\ninner two\n"), done.stderr


def test_bytecode_is_compiled_after_the_first_run_has_started(run, publish):
    publish("lib", "1.0", files={"lib.py": "x = 1\n", "libpkg/__init__.py": "y = 2\n"})
    run.script("b.py", "import lib\nprint(lib.x)\n", deps=["lib"])
    assert run("b.py").stdout == "1\n"  # the script did not wait for the compile
    run.wait_for_bytecode()
    (tree,) = [t for t in (run.home / "trees").iterdir() if (t / "lib.py").exists()]
    assert sorted(p.name.split(".")[0] for p in tree.rglob("*.pyc")) == ["__init__", "lib"]
