"""Publishing: pre-flight checks of wheels and sdists, then uploads through the legacy API PyPI speaks.

    checked = check_files(collect_files(args, cwd), docutils_rst_check())
    if checked.problems:
        raise preflight_error(checked.problems)
    repo = choose_repository(url=None, name="private", env_url=None, pypirc=load_pypirc(path), pypirc_path=path)
    publisher = Publisher(http_client, repo.url, resolve_auth(repo, ...), skip_existing=True)
    for dist in checked.distributions:
        publisher.upload(dist)  # UPLOADED or SKIPPED; errors say how to go on

Files are read and hashed once for the checks, then streamed from disk by
each upload attempt: a large file is never held in memory. Secrets (passwords,
tokens) never reach a message: the index's words are scrubbed of them.
"""

from __future__ import annotations

from ._checks import Checked, Problem, check_files, collect_files, preflight_error
from ._config import PYPI_UPLOAD_URL, Auth, Repository, choose_repository, default_pypirc, load_pypirc, resolve_auth
from ._dist import Distribution, NotADistribution, read_distribution
from ._form import MultipartForm, upload_fields
from ._readme import RstCheck, check_readme, docutils_rst_check
from ._upload import SKIPPED, UPLOADED, Poster, Publisher, already_exists

__all__ = [
    "Checked",
    "Problem",
    "collect_files",
    "check_files",
    "preflight_error",
    "PYPI_UPLOAD_URL",
    "Auth",
    "Repository",
    "choose_repository",
    "default_pypirc",
    "load_pypirc",
    "resolve_auth",
    "Distribution",
    "NotADistribution",
    "read_distribution",
    "MultipartForm",
    "upload_fields",
    "RstCheck",
    "check_readme",
    "docutils_rst_check",
    "Poster",
    "Publisher",
    "UPLOADED",
    "SKIPPED",
    "already_exists",
]
