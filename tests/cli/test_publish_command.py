"""`pkm publish` against a real pypiserver on loopback (and the loopback index where a server must misbehave)."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import sys
from dataclasses import dataclass

import pytest

from pkm import cli as pkm_cli
from support.dists import make_sdist, make_wheel
from support.pypiserver import PASSWORD, TOKEN


README = "Description-Content-Type: text/markdown\n\n# A package\n\nWith a readme.\n"
_names = itertools.count(1)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def publish_cli(monkeypatch, tmp_path, capsys):
    """Run `pkm ARGS...` in this process (publish registered) from tmp_path, hermetic: no netrc, no ~/.pypirc."""
    monkeypatch.setitem(pkm_cli.COMMANDS, "publish", ("pkm.cli.publish", "Upload distributions to a package index"))
    for key in list(os.environ):
        if key.startswith("PKM_") or key in ("NETRC", "NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PKM_HOME", str(tmp_path / "pkm-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Result:
        code = pkm_cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def project(tmp_path):
    """A fresh project name per test (one server serves the module), with a wheel and an sdist in dist/."""
    name = f"pub-test-{next(_names)}-{os.getpid()}"
    dist = tmp_path / "dist"
    wheel = make_wheel(dist, name, "1.0", metadata_extra=README)
    sdist = make_sdist(dist, name, "1.0")
    return name, wheel, sdist


def _login(server):
    return ["--repository-url", server.url, "--username", "alice", "--password", PASSWORD]


def test_publish_uploads_dist_and_the_index_serves_it(publish_cli, pypiserver, project):
    name, wheel, sdist = project
    result = publish_cli("publish", *_login(pypiserver))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"Uploading {wheel.name} ({wheel.stat().st_size / 1024:.1f} KiB) ... done",
        f"Uploading {sdist.name} ({sdist.stat().st_size} B) ... done",
    ]
    assert pypiserver.has(wheel.name) and pypiserver.has(sdist.name)
    listed = publish_cli("index", "versions", name, "--index-url", pypiserver.simple_url)
    assert listed.code == 0 and listed.out.splitlines()[0] == "1.0"


def test_a_duplicate_fails_clearly_and_skip_existing_uploads_only_what_is_missing(publish_cli, pypiserver, project):
    name, wheel, sdist = project
    assert publish_cli("publish", wheel, *_login(pypiserver)).code == 0
    again = publish_cli("publish", wheel, *_login(pypiserver))
    assert again.code == 1
    assert f"error: {wheel.name} already exists on {pypiserver.url}" in again.err
    assert "--skip-existing" in again.err
    finish = publish_cli("publish", wheel, sdist, "--skip-existing", *_login(pypiserver))
    assert finish.code == 0, finish.err
    assert finish.out.splitlines() == [
        f"Uploading {wheel.name} ({wheel.stat().st_size / 1024:.1f} KiB) ... skipped (already exists)",
        f"Uploading {sdist.name} ({sdist.stat().st_size} B) ... done"]


def test_a_wrong_password_is_refused_and_never_shown(publish_cli, pypiserver, project):
    name, wheel, _ = project
    wrong = "Wrong-" + PASSWORD
    result = publish_cli("publish", wheel, "-v", "--repository-url", pypiserver.url, "-u", "alice", "-p", wrong)
    assert result.code == 1
    assert f"refused the upload of {wheel.name} by user `alice` (HTTP 403)" in result.err
    assert "check the password or token (from --username/--password)" in result.err
    assert wrong not in result.out + result.err and PASSWORD not in result.out + result.err
    assert not pypiserver.has(wheel.name)


def test_no_credentials_get_a_clear_401(publish_cli, pypiserver, project):
    _, wheel, _ = project
    result = publish_cli("publish", wheel, "--repository-url", pypiserver.url)
    assert result.code == 1
    assert "it needs credentials (HTTP 401)" in result.err and "--token" in result.err


def test_a_token_from_the_environment_uploads_as_the_token_user(publish_cli, pypiserver, project, monkeypatch):
    _, wheel, _ = project
    monkeypatch.setenv("PKM_PUBLISH_TOKEN", TOKEN)
    monkeypatch.setenv("PKM_PUBLISH_URL", pypiserver.url)
    result = publish_cli("publish", wheel, "-v")
    assert result.code == 0, result.err
    assert "as __token__ (PKM_PUBLISH_TOKEN)" in result.err
    assert TOKEN not in result.out + result.err and pypiserver.has(wheel.name)


def test_a_named_repository_comes_from_pypirc(publish_cli, pypiserver, project, tmp_path, monkeypatch):
    _, wheel, sdist = project
    pypirc = tmp_path / "my.pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers = local\n\n[local]\nrepository = {pypiserver.url}\n"
                      f"username = alice\npassword = {PASSWORD}\n")
    monkeypatch.setenv("PKM_PYPIRC", str(pypirc))
    assert publish_cli("publish", wheel, "--repository", "local").code == 0
    moved = tmp_path / "home" / ".pypirc"  # the default place, and the option naming another file
    pypirc.rename(moved)
    monkeypatch.delenv("PKM_PYPIRC")
    assert publish_cli("publish", sdist, "-r", "local").code == 0
    assert pypiserver.has(wheel.name) and pypiserver.has(sdist.name)
    unknown = publish_cli("publish", sdist, "-r", "nope", "--pypirc", moved)
    assert unknown.code == 2 and "no repository named `nope`" in unknown.err and "local, pypi" in unknown.err


def test_dry_run_checks_and_uploads_nothing(publish_cli, pypiserver, project):
    _, wheel, sdist = project
    result = publish_cli("publish", "--dry-run", *_login(pypiserver))
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].startswith(f"Would upload {wheel.name} (")
    assert "nothing was uploaded" in result.err
    assert not pypiserver.has(wheel.name) and not pypiserver.has(sdist.name)


def test_json_output_lists_each_file(publish_cli, pypiserver, project):
    name, wheel, sdist = project
    result = publish_cli("publish", "--format", "json", *_login(pypiserver))
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [(r["file"], r["status"], r["name"], r["version"]) for r in rows] == [
        (wheel.name, "uploaded", name, "1.0"), (sdist.name, "uploaded", name, "1.0")]


def test_preflight_failures_upload_nothing(publish_cli, pypiserver, project, tmp_path):
    name, wheel, sdist = project
    renamed = tmp_path / f"other_{wheel.name}"
    shutil.copy(wheel, renamed)
    html = make_wheel(tmp_path / "html", f"{name}-html", "1.0",
                      metadata_extra="Description-Content-Type: text/html\n\n<p>x</p>\n")
    result = publish_cli("publish", sdist, renamed, html, sdist, *_login(pypiserver))
    assert result.code == 1
    assert "error: 3 problems with the files to upload; nothing was uploaded" in result.err
    assert f"but the file name says `other-{name}`" in result.err
    assert "`text/html` is not one PyPI renders" in result.err
    assert f"{sdist.name}: given twice" in result.err
    assert not pypiserver.has(sdist.name)
    missing = publish_cli("publish", tmp_path / "nowhere.whl", *_login(pypiserver))
    assert missing.code == 1 and "nowhere.whl does not exist" in missing.err


def test_bad_option_combinations_are_usage_errors(publish_cli, project):
    _, wheel, _ = project
    both = publish_cli("publish", wheel, "--token", TOKEN, "--password", "x", "--dry-run")
    assert both.code == 2 and "give --token, or --username and --password, not both" in both.err
    assert TOKEN not in both.err
    two_places = publish_cli("publish", wheel, "--repository-url", "http://x/", "-r", "pypi")
    assert two_places.code == 2 and "give --repository-url or --repository, not both" in two_places.err


def test_a_cut_mid_upload_is_clear_and_a_rerun_with_skip_existing_completes(publish_cli, index_server, dists):
    wheel = dists.wheel("cut", "1.0", metadata_extra=README)
    sdist = dists.sdist("cut", "1.0")
    index_server.misbehave("reset", paths="/legacy/", every=2, count=1)  # the second upload is cut
    cut = publish_cli("publish", wheel, sdist, "--repository-url", index_server.upload_url)
    assert cut.code == 1
    assert f"error: the upload of {sdist.name} to {index_server.upload_url} was interrupted" in cut.err
    assert f"already done in this run: {wheel.name}" in cut.err
    assert "run the same command again with --skip-existing" in cut.err
    assert cut.out.splitlines() == [f"Uploading {wheel.name} ({wheel.stat().st_size} B) ... done"]
    rerun = publish_cli("publish", wheel, sdist, "--repository-url", index_server.upload_url, "--skip-existing")
    assert rerun.code == 0, rerun.err
    assert [line.rsplit(" ... ", 1)[1] for line in rerun.out.splitlines()] == ["skipped (already exists)", "done"]
    assert index_server.contains(wheel.name) and index_server.contains(sdist.name)


def test_a_terminal_gets_a_progress_bar_on_stderr_and_results_stay_on_stdout(publish_cli, index_server, dists,
                                                                             monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    wheel = dists.wheel("bar", "1.0", metadata_extra=README)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    result = publish_cli("publish", wheel, "--repository-url", index_server.upload_url)
    assert result.code == 0, terminal.getvalue()
    assert f"\r\x1b[2K{wheel.name} [" in terminal.getvalue()
    assert result.out == f"Uploading {wheel.name} ({wheel.stat().st_size} B) ... done\n"


def test_credentials_can_come_from_netrc(publish_cli, pypiserver, project, tmp_path):
    _, wheel, _ = project
    netrc = tmp_path / "home" / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login alice password {PASSWORD}\n")
    netrc.chmod(0o600)
    result = publish_cli("publish", wheel, "--repository-url", pypiserver.url)
    assert result.code == 0, result.err
    assert pypiserver.has(wheel.name)
