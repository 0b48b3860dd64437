"""Where to upload and as whom: the repository URL, `.pypirc` sections, and the credentials' precedence."""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional

from pkm.errors import InputFileError, UsageError
from pkm.http import redact

__all__ = ["PYPI_UPLOAD_URL", "Repository", "Auth", "default_pypirc", "load_pypirc", "choose_repository",
           "resolve_auth"]

PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"
_KNOWN = {"pypi": PYPI_UPLOAD_URL, "testpypi": "https://test.pypi.org/legacy/"}
TOKEN_USER = "__token__"


@dataclass(frozen=True)
class Repository:
    """An upload endpoint, and the credentials its `.pypirc` section holds (if any)."""

    url: str = field(repr=False)  # may carry userinfo: show `redact(url)`
    name: Optional[str] = None  # the .pypirc section, when it came from one
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)

    @property
    def display(self) -> str:
        return redact(self.url)


@dataclass(frozen=True)
class Auth:
    """Credentials for Basic auth, and where they came from (for messages; never the secret)."""

    username: str
    password: str = field(repr=False)
    source: str = ""


def default_pypirc(environ: Mapping[str, str]) -> Optional[Path]:
    """`$PKM_PYPIRC`, else `$HOME/.pypirc`."""
    if environ.get("PKM_PYPIRC"):
        return Path(environ["PKM_PYPIRC"])
    if environ.get("HOME"):
        return Path(environ["HOME"]) / ".pypirc"
    return None


def load_pypirc(path: Optional[Path]) -> Dict[str, Dict[str, str]]:
    """The sections of a `.pypirc` file (distutils format) as {name: {key: value}}; {} when there is no file.

    Values are taken literally (no `%` interpolation: passwords may hold `%`).
    A file that is not INI is an InputFileError naming it.
    """
    if path is None or not path.is_file():
        return {}
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as file:
            parser.read_file(file)
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        raise InputFileError("cannot read it as a .pypirc file", path=str(path), why=str(exc).splitlines()[0],
                             hint="fix the file: [NAME] sections with repository, username and password") from None
    return {name: dict(parser.items(name)) for name in parser.sections()}


def choose_repository(*, url: Optional[str], name: Optional[str], env_url: Optional[str],
                      pypirc: Dict[str, Dict[str, str]], pypirc_path: Optional[Path]) -> Repository:
    """The upload endpoint: `--repository-url`, else `--repository NAME`, else PKM_PUBLISH_URL, else PyPI.

    A named repository is a `.pypirc` section (`pypi` and `testpypi` exist
    without one); PyPI by default also takes the credentials of `[pypi]`.
    A plain URL takes no `.pypirc` credentials: they belong to their section.
    """
    if url and name:
        raise UsageError("give --repository-url or --repository, not both",
                         hint="--repository NAME takes the URL from that .pypirc section")
    if url:
        return Repository(url=url)
    if name is None and env_url:
        return Repository(url=env_url)
    chosen = name or "pypi"
    section = pypirc.get(chosen)
    if section is None:
        if chosen in _KNOWN:
            return Repository(url=_KNOWN[chosen], name=chosen)
        where = str(pypirc_path) if pypirc_path is not None else "~/.pypirc"
        known = sorted(set(pypirc) - {"distutils"} | set(_KNOWN))
        raise UsageError(f"no repository named `{chosen}`", why=f"{where} defines: {', '.join(known)}",
                         hint=f"add a [{chosen}] section with `repository = URL` to {where}, or pass "
                              "--repository-url URL (PKM_PYPIRC names another .pypirc file)")
    repo_url = section.get("repository") or _KNOWN.get(chosen)
    if not repo_url:
        raise InputFileError(f"section [{chosen}] has no `repository = URL`", path=str(pypirc_path),
                             hint="add the upload URL of that index, e.g. `repository = https://host/legacy/`")
    return Repository(url=repo_url.strip(), name=chosen, username=section.get("username") or None,
                      password=section.get("password") or None)


def resolve_auth(repo: Repository, *, username: Optional[str], password: Optional[str], token: Optional[str],
                 env_token: Optional[str], prompt: Optional[Callable[[str], str]] = None) -> Optional[Auth]:
    """The credentials to send, or None to leave it to netrc (or to send none).

    Precedence: `--token`, `--username`/`--password`, PKM_PUBLISH_TOKEN, the
    `.pypirc` section. A token is a password for the user `__token__`. A
    username without a password asks `prompt` (None: a UsageError).
    """
    if token is not None and (password is not None or (username is not None and username != TOKEN_USER)):
        raise UsageError("give --token, or --username and --password, not both",
                         hint=f"a token is the password of the user {TOKEN_USER}: pass --token alone")
    if token:
        return Auth(TOKEN_USER, token, "--token")
    if username is not None or password is not None:
        user = username if username is not None else repo.username
        secret = password if password is not None else (repo.password if user == repo.username else None)
        source = "--username/--password"
    elif env_token:
        return Auth(TOKEN_USER, env_token, "PKM_PUBLISH_TOKEN")
    elif repo.username is not None or repo.password is not None:
        user, secret, source = repo.username, repo.password, f".pypirc [{repo.name}]"
    else:
        return None
    if not user:
        raise UsageError("a password was given without a username",
                         hint=f"add --username (or use --token for an API token; its user is {TOKEN_USER})")
    if secret is None:
        if prompt is None:
            raise UsageError(f"no password for user `{user}`",
                             hint="pass --password, or --token (or PKM_PUBLISH_TOKEN) for an API token, or put "
                                  "it in the .pypirc section")
        secret = prompt(f"Password for {user} at {repo.display}: ")
    return Auth(user, secret, source)
