"""The command-line frame: version, help, usage errors, error rendering, exit codes, laziness."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

import pkm
from pkm.cli import COMMANDS, main
from pkm.errors import InputFileError, PkmError


def test_version_via_python_m_and_main(run_pkm, capsys):
    proc = run_pkm("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"pkm {pkm.__version__}\n"
    assert main(["-V"]) == 0
    assert capsys.readouterr().out == f"pkm {pkm.__version__}\n"


def test_help_lists_every_command(run_pkm):
    proc = run_pkm("--help")
    assert proc.returncode == 0
    for name, (_, summary) in COMMANDS.items():
        assert f"  {name}" in proc.stdout and summary in proc.stdout
    assert "PKM_DEBUG=1" in proc.stdout


def test_each_command_has_help(run_pkm):
    for name in COMMANDS:
        proc = run_pkm(name, "--help")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"usage: pkm {name}")
        assert "--format" in proc.stdout  # global options are accepted after the command too


def test_unknown_command_is_a_usage_error_with_a_suggestion(run_pkm):
    proc = run_pkm("confg")
    assert proc.returncode == 2
    assert proc.stderr == "error: unknown command `confg`\nhint: did you mean `pkm config`?\n"
    assert proc.stdout == ""


def test_unknown_option_shows_the_usage(run_pkm):
    proc = run_pkm("config", "--no-such-flag")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unrecognized arguments: --no-such-flag\n  usage: pkm config")
    assert "hint: see `pkm config --help`" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_command_prints_help_and_exits_2(run_pkm):
    proc = run_pkm()
    assert proc.returncode == 2
    assert "commands:" in proc.stdout


def test_main_returns_instead_of_exiting(capsys):
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert main(["-q", "-V"]) == 0
    assert capsys.readouterr().out.endswith(f"pkm {pkm.__version__}\n")


def test_config_never_prints_credentials(run_pkm):
    proc = run_pkm("config", "--extra-index-url", "https://alice:s3cr3tTOKEN@private.example/simple/",
                   env={"PKM_INDEX_URL": "https://mirror.example/simple/?token=abcd1234"})
    assert proc.returncode == 0, proc.stderr
    assert "s3cr3tTOKEN" not in proc.stdout and "abcd1234" not in proc.stdout
    assert "private.example/simple/" in proc.stdout
    as_json = run_pkm("config", "--format", "json",
                      "--extra-index-url", "https://alice:s3cr3tTOKEN@private.example/simple/")
    assert "s3cr3tTOKEN" not in as_json.stdout


def test_global_options_before_or_after_the_command(run_pkm):
    before = run_pkm("--format", "json", "config")
    after = run_pkm("config", "--format", "json")
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout
    assert before.stdout.lstrip().startswith("{")


@pytest.fixture
def fake_command(monkeypatch):
    """Register a command `boom` whose run() does what the test says."""
    module = types.ModuleType("fake_boom")
    module.add_arguments = lambda parser: parser.add_argument("--kind", default="pkm")
    monkeypatch.setitem(sys.modules, "fake_boom", module)
    monkeypatch.setitem(COMMANDS, "boom", ("fake_boom", "A command that fails"))
    return module


@pytest.mark.parametrize(
    "raised, code, expected",
    [
        (PkmError("the thing failed", why="because\nof reasons", hint="do this"), 1,
         "error: the thing failed\n  because\n  of reasons\nhint: do this\n"),
        (InputFileError("bad value", path="a.toml", line=3), 2, "error: a.toml:3: bad value\n"),
        (RuntimeError("oops"), 1,
         "error: internal error: RuntimeError: oops\nhint: run again with PKM_DEBUG=1 to see the traceback, and report it\n"),
        (KeyboardInterrupt(), 130,
         "error: interrupted\nhint: run the command again; an interrupted install is rolled back\n"),
    ],
)
def test_failures_become_messages_and_exit_codes(fake_command, monkeypatch, capsys, raised, code, expected):
    monkeypatch.delenv("PKM_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")

    def run(args, ctx):
        raise raised

    fake_command.run = run
    assert main(["boom"]) == code
    captured = capsys.readouterr()
    assert captured.err == expected
    assert captured.out == ""


def test_pkm_debug_shows_the_traceback(fake_command, monkeypatch):
    monkeypatch.setenv("PKM_DEBUG", "1")

    def run(args, ctx):
        raise PkmError("the thing failed")

    fake_command.run = run
    with pytest.raises(PkmError):
        main(["boom"])


def test_quiet_and_json_reach_the_command(fake_command, capsys):
    seen = {}

    def run(args, ctx):
        seen.update(quiet=ctx.console.quiet, json=ctx.console.json, verbose=ctx.console.verbose)
        ctx.console.info("not shown when quiet")
        ctx.console.result("text", data={"ok": True})
        return 0

    fake_command.run = run
    assert main(["boom", "-q", "--format", "json"]) == 0
    assert seen == {"quiet": True, "json": True, "verbose": 0}
    captured = capsys.readouterr()
    assert captured.out == '{\n  "ok": true\n}\n' and captured.err == ""
    assert main(["-vv", "boom"]) == 0
    assert seen["verbose"] == 2


def test_version_and_help_import_no_command_module():
    code = (
        "import sys; from pkm.cli import main; main(['--version']);"
        "heavy = [m for m in ('argparse', 'pkm.cli._app', 'pkm.project.settings') if m in sys.modules];"
        "print('after version:', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.endswith("after version: []\n")
    code = (
        "import sys, contextlib, io; from pkm.cli import main, COMMANDS\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "print([m for m, _ in COMMANDS.values() if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_pkm_venv_starts_without_pathlib_typing_json_or_toml(pkm_env, tmp_path):
    # `pkm venv` is measured against `uv venv` (README, Performance): its start path keeps to
    # argparse, marshal and os. The second run is the usual one (the interpreter probe is cached).
    code = (
        "import sys; from pkm.cli import main\n"
        "assert main(['venv', '-q', sys.argv[1]]) == 0\n"
        "print(sorted(m for m in ('pathlib', 'typing', 'tomllib', 'tomli', 'urllib.parse', 'email', 'http.client',"
        " 'packaging', 'subprocess', 'hashlib', 'json', 'pkm.project._pyproject', 'pkm.ui.progress') if m in sys.modules))"
    )
    # Settings look for a pyproject.toml; one whose [tool.pkm] has only subtables holds none.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '1'\n[tool.pkm.tasks]\nt = 'x'\n")
    for name in ("first", "second"):
        proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], capture_output=True, text=True,
                              cwd=tmp_path, env=pkm_env)
        assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[]\n"
    assert (tmp_path / "second" / "bin" / "activate").is_file()


def test_output_to_a_closed_pipe_is_not_an_error(pkm_env, tmp_path):
    # `pkm config | head -0`: the reader is gone before pkm writes; no traceback, no noise.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "pkm", "config"], stdout=write_end, stderr=subprocess.PIPE,
                              cwd=tmp_path, env=pkm_env, text=True)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 1
