"""`-q/--quiet`: silence on success for commands that change things; answers, errors and JSON still printed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pkm.errors import PkmError
from pkm.ui import Console


def _console(**kwargs) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    return Console(stdout=out, stderr=err, **kwargs), out, err


def test_console_summary_is_dropped_when_quiet_but_its_json_is_not():
    console, out, err = _console(quiet=True)
    console.summary("Installed 1 package", data={"added": 1})
    console.info("Using CPython")
    console.result("demo==1.0")  # an answer: printed, quiet or not
    console.error(PkmError("boom", hint="fix it"))
    assert out.getvalue() == "demo==1.0\n"
    assert err.getvalue() == "error: boom\nhint: fix it\n"

    console, out, _ = _console()
    console.summary("Installed 1 package", data={"added": 1})
    assert out.getvalue() == "Installed 1 package\n"

    console, out, _ = _console(quiet=True, format="json")
    console.summary("Installed 1 package", data={"added": 1})
    assert json.loads(out.getvalue()) == {"added": 1}


@pytest.fixture
def quiet(run_pkm, publish, index_server, tmp_path):
    """`run(*args)` runs `pkm -q ARGS...` in tmp_path against the loopback index (app 1.0 -> lib 1.0)."""
    publish("app", "1.0", dependencies=["lib>=1"], files={"app.py": "A = 1\n"})
    publish("lib", "1.0", files={"lib.py": "L = 1\n"})

    def run(*args: str, cwd: Path = tmp_path):
        return run_pkm("-q", *args, cwd=cwd, env={"PKM_INDEX_URL": index_server.simple_url})

    return run


def _silent(proc) -> None:
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), proc.stderr


def test_lock_venv_sync_install_uninstall_print_nothing(quiet, tmp_path):
    _silent(quiet("lock", "app", "-o", "pylock.toml"))
    assert "name = \"lib\"" in (tmp_path / "pylock.toml").read_text()
    _silent(quiet("lock", "app", "-o", "pylock.toml"))  # up to date
    _silent(quiet("lock", "app", "-o", "pylock.toml", "--check"))
    _silent(quiet("venv", "v1"))
    assert (tmp_path / "v1" / "pyvenv.cfg").is_file()
    _silent(quiet("sync", "--lock", "pylock.toml", "--env", "v1"))
    _silent(quiet("sync", "--lock", "pylock.toml", "--env", "v1"))  # already in sync
    _silent(quiet("uninstall", "app", "--env", "v1"))
    _silent(quiet("uninstall", "app", "--env", "v1"))  # nothing to uninstall
    _silent(quiet("install", "app", "--env", "v1"))
    _silent(quiet("install", "app", "--env", "v1"))  # nothing to do
    # the answer of a query still comes, quiet or not: what the silent commands did
    listing = quiet("list", "--env", "v1")
    assert listing.returncode == 0, listing.stderr
    assert [line.split() for line in listing.stdout.splitlines()] == [["app", "1.0"], ["lib", "1.0"]]
    assert listing.stderr == ""


def test_json_is_printed_under_quiet(quiet, tmp_path):
    done = quiet("lock", "app", "-o", "pylock.toml", "--format", "json")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert [p["name"] for p in json.loads(done.stdout)["packages"]] == ["app", "lib"]
    _silent(quiet("venv", "v2"))
    done = quiet("sync", "--lock", "pylock.toml", "--env", "v2", "--format", "json")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    data = json.loads(done.stdout)
    assert data["added"] == [{"name": "app", "version": "1.0"}, {"name": "lib", "version": "1.0"}]
    assert data["environment"] == str(tmp_path / "v2")


def test_errors_are_shown_under_quiet(quiet, tmp_path):
    _silent(quiet("venv", "v3"))
    failed = quiet("install", "no-such-thing", "--env", "v3")
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("error: ") and "no-such-thing" in failed.stderr
    stale = quiet("lock", "lib", "-o", "missing.toml", "--check")
    assert stale.returncode == 1 and stale.stdout == ""
    assert stale.stderr.startswith("error: missing.toml is stale\n")


def test_a_project_new_add_build_remove_quietly(quiet, publish, tmp_path):
    publish("pytest", "8.0")  # the new project's dev group
    _silent(quiet("new", "demo"))
    project = tmp_path / "demo"
    assert (project / "pyproject.toml").is_file()
    _silent(quiet("add", "app", cwd=project))  # re-locks, creates .venv, syncs: all silent
    assert (project / "pylock.toml").is_file() and (project / ".venv" / "pyvenv.cfg").is_file()
    tree = quiet("tree", cwd=project)  # an answer
    assert tree.returncode == 0 and tree.stderr == "", tree.stderr
    assert "app" in tree.stdout and "lib" in tree.stdout
    _silent(quiet("build", "--wheel", cwd=project))
    assert [p.name for p in (project / "dist").iterdir()] == ["demo-0.1.0-py3-none-any.whl"]
    _silent(quiet("remove", "app", "--no-sync", cwd=project))
    _silent(quiet("sync", cwd=project))


def test_download_and_store_gc_are_summaries_store_path_and_config_are_answers(quiet, tmp_path):
    _silent(quiet("download", "lib", "-d", "out"))
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["lib-1.0-py3-none-any.whl"]
    _silent(quiet("store", "gc"))
    _silent(quiet("store", "verify"))
    where = quiet("store", "path")
    assert (where.returncode, where.stderr) == (0, "")
    assert where.stdout == f"{tmp_path / 'pkm-home'}\n"
    settings = quiet("config")
    assert settings.returncode == 0 and "index-url" in settings.stdout
    versions = quiet("index", "versions", "lib")
    assert versions.returncode == 0 and "1.0" in versions.stdout


def test_the_help_says_what_quiet_does(run_pkm):
    text = run_pkm("sync", "--help").stdout
    assert "-q, --quiet" in text and "nothing on success" in " ".join(text.split())


def test_publish_dry_run_is_silent_and_a_bad_file_still_fails(run_pkm, dists, tmp_path):
    wheel = dists.wheel("demo", "1.0")
    common = ("--dry-run", "--repository-url", "http://127.0.0.1:9/legacy/", "--token", "pypi-x")
    _silent(run_pkm("-q", "publish", str(wheel), *common))
    bad = tmp_path / "demo-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    failed = run_pkm("-q", "publish", str(bad), *common)
    assert failed.returncode != 0 and failed.stdout == ""
    assert failed.stderr.startswith("error: ")
