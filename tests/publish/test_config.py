"""Choosing the repository and the credentials: options, environment, .pypirc, in that order."""

from __future__ import annotations

import pytest

from pkm.errors import InputFileError, UsageError
from pkm.publish import PYPI_UPLOAD_URL, Repository, choose_repository, load_pypirc, resolve_auth

PYPIRC = """\
[distutils]
index-servers =
    pypi
    private

[pypi]
username = __token__
password = pypi-AgEtoken%with%percent

[private]
repository = https://repo.example/legacy/
username = alice
password = s3cret
"""


@pytest.fixture
def pypirc(tmp_path):
    path = tmp_path / ".pypirc"
    path.write_text(PYPIRC)
    return path


def _choose(pypirc, **kwargs):
    kwargs.setdefault("url", None)
    kwargs.setdefault("name", None)
    kwargs.setdefault("env_url", None)
    return choose_repository(pypirc=load_pypirc(pypirc), pypirc_path=pypirc, **kwargs)


def test_pypirc_sections_are_read_literally(pypirc):
    sections = load_pypirc(pypirc)
    assert sections["pypi"]["password"] == "pypi-AgEtoken%with%percent"
    assert sections["private"]["repository"] == "https://repo.example/legacy/"
    assert load_pypirc(pypirc.parent / "missing") == {}


def test_a_malformed_pypirc_names_the_file(tmp_path):
    bad = tmp_path / "bad.pypirc"
    bad.write_text("username = nobody\n")
    with pytest.raises(InputFileError, match="bad.pypirc") as info:
        load_pypirc(bad)
    assert info.value.exit_code == 2


def test_repository_precedence(pypirc):
    assert _choose(pypirc) == Repository(PYPI_UPLOAD_URL, "pypi", "__token__", "pypi-AgEtoken%with%percent")
    assert _choose(pypirc, env_url="https://env.example/").url == "https://env.example/"
    private = _choose(pypirc, name="private", env_url="https://env.example/")
    assert (private.url, private.username, private.password) == ("https://repo.example/legacy/", "alice", "s3cret")
    given = _choose(pypirc, url="https://given.example/")
    assert (given.url, given.username, given.password) == ("https://given.example/", None, None)
    assert _choose(pypirc, name="testpypi").url == "https://test.pypi.org/legacy/"


def test_an_unknown_repository_name_lists_the_known_ones(pypirc):
    with pytest.raises(UsageError, match="no repository named `nope`") as info:
        _choose(pypirc, name="nope")
    assert "private, pypi, testpypi" in info.value.why
    assert "[nope]" in info.value.hint


def test_url_and_name_together_are_bad_usage(pypirc):
    with pytest.raises(UsageError, match="not both"):
        _choose(pypirc, url="https://x/", name="private")


def test_a_section_without_a_url_is_a_bad_input_file(tmp_path):
    path = tmp_path / ".pypirc"
    path.write_text("[mine]\nusername = a\n")
    with pytest.raises(InputFileError, match="no `repository = URL`"):
        _choose(path, name="mine")


REPO = Repository("https://repo.example/legacy/", "private", "alice", "s3cret")


def _auth(repo=REPO, **kwargs):
    for key in ("username", "password", "token", "env_token"):
        kwargs.setdefault(key, None)
    return resolve_auth(repo, **kwargs)


def test_credential_precedence():
    assert (_auth(token="tok-1", env_token="tok-2").username, _auth(token="tok-1").password) == ("__token__", "tok-1")
    given = _auth(username="bob", password="pw", env_token="tok-2")
    assert (given.username, given.password, given.source) == ("bob", "pw", "--username/--password")
    env = _auth(env_token="tok-2")
    assert (env.username, env.password, env.source) == ("__token__", "tok-2", "PKM_PUBLISH_TOKEN")
    section = _auth()
    assert (section.username, section.password, section.source) == ("alice", "s3cret", ".pypirc [private]")
    assert _auth(password="other").password == "other"  # the section's user with the given password
    assert _auth(repo=Repository("https://x/")) is None  # left to netrc


def test_token_with_password_is_bad_usage_and_secrets_stay_out_of_reprs():
    with pytest.raises(UsageError, match="not both"):
        _auth(token="tok", password="pw")
    assert "s3cret" not in repr(REPO) and "s3cret" not in repr(_auth())


def test_a_username_without_password_prompts_or_fails():
    bare = Repository("https://x/")
    with pytest.raises(UsageError, match="no password for user `bob`"):
        _auth(repo=bare, username="bob")
    asked = []
    auth = _auth(repo=bare, username="bob", prompt=lambda text: asked.append(text) or "typed")
    assert auth.password == "typed" and asked == ["Password for bob at https://x/: "]
    with pytest.raises(UsageError, match="without a username"):
        _auth(repo=bare, password="pw")
