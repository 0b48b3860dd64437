"""A project's extension methods and patches, applied by `python -m pkm.run` to scripts in the project."""

from __future__ import annotations


def _project(run, extensions):
    root = run.work / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "myext.py").write_text(
        "def as_percent(self):\n    return f'{float(self):.0%}'\n"
        "def patch_json(module):\n    module.pretty = lambda o: module.dumps(o, indent=1)\n")
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1"\ndependencies = []\n' + extensions)
    return root


def test_extensions_and_patches_apply_to_scripts_of_the_project_and_their_children(run):
    root = _project(run, '[tool.pkm.extensions]\n"fractions.Fraction" = ["myext:as_percent"]\n'
                         '[tool.pkm.patches]\n"json" = ["myext:patch_json"]\n')
    run.script("proj/go.py", "import json, subprocess, sys\nfrom fractions import Fraction\n"
                             "print(Fraction(1, 8).as_percent(), json.pretty([1]).count('\\n'))\n"
                             "code = 'from fractions import Fraction; print(Fraction(1, 4).as_percent())'\n"
                             "print(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True).stdout, end='')\n")
    done = run("go.py", cwd=root)
    assert (done.returncode, done.stdout) == (0, "12% 2\n25%\n"), done.stderr


def test_a_malformed_extension_is_exit_2_with_the_line(run):
    root = _project(run, '[tool.pkm.extensions]\n"fractions.Fraction" = ["myext.as_percent"]\n')
    run.script("proj/go.py", "print('never')\n")
    done = run("go.py", cwd=root)
    assert (done.returncode, done.stdout) == (2, "")
    assert "pyproject.toml:6:" in done.stderr and "is not [name=]module:function" in done.stderr


def test_an_extension_that_cannot_apply_stops_the_script(run):
    root = _project(run, '[tool.pkm.extensions]\n"builtins.str" = ["myext:as_percent"]\n')
    run.script("proj/go.py", "print('never')\n")
    done = run("go.py", cwd=root)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("error: ") and "str" in done.stderr and "\nhint: " in done.stderr


def test_extensions_are_active_in_the_projects_synced_venv(run, tmp_path, monkeypatch, capsys):
    import subprocess

    from pkm.cli import main

    root = _project(run, '[tool.pkm.extensions]\n"fractions.Fraction" = ["myext:as_percent"]\n'
                          '[tool.pkm.patches]\n"json" = ["myext:patch_json"]\n')
    (root / "pyproject.toml").write_text('[build-system]\nrequires = ["pkm-tool"]\nbuild-backend = "pkm.backend"\n'
                                         + (root / "pyproject.toml").read_text()
                                         + '[tool.pkm.build]\npackages = ["myext"]\n')
    (root / "src" / "myext").mkdir()
    (root / "src" / "myext.py").rename(root / "src" / "myext" / "__init__.py")  # a package, so it builds
    for key, value in run.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    assert main(["sync"]) == 0, capsys.readouterr().err
    venv_python = str(root / ".venv" / "bin" / "python")
    code = "import json; from fractions import Fraction; print(Fraction(1, 4).as_percent(), json.pretty([1]).count('\\n'))"
    done = subprocess.run([venv_python, "-c", code], capture_output=True, text=True, env=run.env)
    assert (done.returncode, done.stdout) == (0, "25% 2\n"), done.stderr
    text = (root / "pyproject.toml").read_text().split("[tool.pkm.extensions]")[0]
    (root / "pyproject.toml").write_text(text + '[tool.pkm.build]\npackages = ["myext"]\n')
    assert main(["sync"]) == 0
    done = subprocess.run([venv_python, "-c", "from fractions import Fraction; Fraction(1).as_percent"],
                          capture_output=True, text=True, env=run.env)
    assert done.returncode == 1 and "AttributeError" in done.stderr  # declarations gone: hook gone
