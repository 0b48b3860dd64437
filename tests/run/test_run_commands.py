"""`pkm run` and `pkm x`: the runtime behind the pkm command (they exec `python -m pkm.run`)."""

from __future__ import annotations

import subprocess
import sys


def pkm(run, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pkm", *args], cwd=str(cwd or run.work), capture_output=True,
                          text=True, env=run.env, timeout=120)


def _tool(publish):
    publish("zztool", "1.0", entry_points={"console_scripts": {"zztool": "zztool:main", "zzother": "zztool:other"}},
            files={"zztool/__init__.py": "import sys\ndef main():\n    print('tool', sys.argv)\n    return 3\n"
                                         "def other():\n    print('other')\n"})


def test_pkm_run_a_script_python_and_a_console_script(run, publish):
    _tool(publish)
    run.script("s.py", "import sys, zztool\nprint('script', sys.argv[1:])\n", deps=["zztool"])
    done = pkm(run, "run", "s.py", "a", "-v")
    assert (done.returncode, done.stdout) == (0, "script ['a', '-v']\n"), done.stderr
    done = pkm(run, "run", "--with", "zztool", "python", "-c", "import zztool, sys; print(sys.argv)", "x")
    assert (done.returncode, done.stdout) == (0, "['-c', 'x']\n"), done.stderr
    done = pkm(run, "run", "--with", "zztool", "zztool", "--flag")
    assert (done.returncode, done.stdout) == (3, "tool ['zztool', '--flag']\n"), done.stderr


def test_pkm_x_runs_a_tool_isolated_and_warm_the_second_time(run, publish, index_server):
    _tool(publish)
    (run.work / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\ndependencies = ["missing-dep"]\n')
    done = pkm(run, "x", "zztool==1.0", "hello")  # the enclosing project's (unresolvable) deps do not matter
    assert (done.returncode, done.stdout) == (3, "tool ['zztool', 'hello']\n"), done.stderr
    served = len(index_server.hits())
    done = pkm(run, "x", "zztool==1.0", "hello")
    assert (done.returncode, done.stdout) == (3, "tool ['zztool', 'hello']\n")
    assert len(index_server.hits()) == served
    done = pkm(run, "x", "--from", "zztool", "zzother")
    assert (done.returncode, done.stdout) == (0, "other\n"), done.stderr


def test_errors_of_pkm_run_and_pkm_x(run, publish):
    _tool(publish)
    done = pkm(run, "run")
    assert done.returncode == 2 and "error: nothing to run" in done.stderr
    done = pkm(run, "x", "zztool", "--from")
    assert (done.returncode, done.stdout) == (3, "tool ['zztool', '--from']\n")  # after TOOL: the tool's
    done = pkm(run, "x", "--from", "zztool", "nosuchscript")
    assert done.returncode == 1 and "no console script named 'nosuchscript'" in done.stderr
    done = pkm(run, "x", "bad req!")
    assert done.returncode == 2 and "invalid requirement `bad req!`" in done.stderr


def test_pkm_run_falls_back_to_a_program_on_path(run):
    done = pkm(run, "run", "sh", "-c", "echo from-path")
    assert (done.returncode, done.stdout) == (0, "from-path\n"), done.stderr
    done = pkm(run, "run", "no-such-program-zz")
    assert done.returncode == 127 and "command not found: no-such-program-zz" in done.stderr
