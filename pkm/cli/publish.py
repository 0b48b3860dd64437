"""Upload distributions (wheels and sdists) to a package index.

Every file is checked before anything is sent: it is a wheel or sdist, its
metadata agrees with its file name, its version is PEP 440, its readme
declares a content type PyPI renders, and no file is named twice.

Where to: --repository-url URL (env PKM_PUBLISH_URL), or --repository NAME,
a section of ~/.pypirc (another file: --pypirc PATH or env PKM_PYPIRC), or
PyPI. As whom, the first that is given: --token, --username/--password,
PKM_PUBLISH_TOKEN (a token's user is __token__), the .pypirc section, a
netrc entry for the host. A password or token is never printed.

An upload cut short is never repeated blindly (the index may have stored
it): run the same command again with --skip-existing to finish.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from pkm.cli._context import Context
from pkm.errors import OfflineError, PkmError
from pkm.ui import format_bytes

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="wheels and sdists to upload, directories of them, or glob patterns (default: dist/)")
    where = parser.add_argument_group("repository")
    where.add_argument("--repository-url", metavar="URL",
                       help="the index's upload URL (default: https://upload.pypi.org/legacy/; env PKM_PUBLISH_URL)")
    where.add_argument("-r", "--repository", metavar="NAME",
                       help="a repository section of the .pypirc file (pypi and testpypi are known without one)")
    where.add_argument("--pypirc", type=Path, metavar="PATH",
                       help="the .pypirc file to read (default: ~/.pypirc; env PKM_PYPIRC)")
    who = parser.add_argument_group("credentials")
    who.add_argument("-u", "--username", help="the user to upload as")
    who.add_argument("-p", "--password", help="the user's password (asked for on a terminal when left out)")
    who.add_argument("-t", "--token", help="an API token; the user is __token__ (env PKM_PUBLISH_TOKEN)")
    parser.add_argument("--skip-existing", action="store_true",
                        help="leave files the index already has and upload the rest (finishes an interrupted run)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the files and show what would be uploaded where; send nothing")


def _prompt() -> Optional[Any]:
    """getpass on a terminal; None when stdin is not one (a script gets a usage error instead of a hang)."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass
    return None


def run(args: argparse.Namespace, ctx: Context) -> int:
    from pkm import publish

    env = os.environ
    pypirc_path = args.pypirc or publish.default_pypirc(env)
    env_url = env.get("PKM_PUBLISH_URL")
    wants_pypirc = not args.repository_url and (args.repository is not None or not env_url)
    repo = publish.choose_repository(url=args.repository_url, name=args.repository, env_url=env_url,
                                     pypirc=publish.load_pypirc(pypirc_path) if wants_pypirc else {},
                                     pypirc_path=pypirc_path)
    paths = publish.collect_files(args.files, Path.cwd())
    checked = publish.check_files(paths, publish.docutils_rst_check())
    for note in checked.notes:
        ctx.console.info(f"note: {note}")
    if checked.problems:
        raise publish.preflight_error(checked.problems)
    # in a dry run the credentials are checked for conflicts, but nobody is asked for a password
    prompt = (lambda _: "") if args.dry_run else _prompt()
    auth = publish.resolve_auth(repo, username=args.username, password=args.password, token=args.token,
                                env_token=env.get("PKM_PUBLISH_TOKEN"), prompt=prompt)
    who = f" as {auth.username} ({auth.source})" if auth is not None else ""
    results: List[Dict[str, Any]] = []
    if args.dry_run:
        for dist in checked.distributions:
            results.append(_row(dist, "would-upload", repo.display))
            _line(ctx, f"Would upload {dist.filename} ({format_bytes(dist.size)}) to {repo.display}{who}")
        ctx.console.info(f"dry run: {len(results)} file(s) checked; nothing was uploaded")
        if ctx.console.json:
            ctx.console.result(None, data=results)
        return 0
    client = ctx.http()
    if client.offline:
        raise OfflineError("cannot publish with the network off (--offline)",
                           hint="run without --offline, or use --dry-run to check the files only")
    publisher = publish.Publisher(client, repo.url, auth, skip_existing=args.skip_existing, sleep=time.sleep)
    ctx.console.detail(f"uploading to {repo.display}{who}")
    for dist in checked.distributions:
        line = f"Uploading {dist.filename} ({format_bytes(dist.size)})"
        try:
            with ctx.console.progress(dist.filename, dist.size, unit="bytes") as bar:
                outcome = publisher.upload(dist, progress=lambda done, total: bar.update(min(done, dist.size)))
        except PkmError as error:
            _finish_with_error(ctx, error, results)
            raise
        results.append(_row(dist, outcome, repo.display))
        _line(ctx, f"{line} ... {'done' if outcome == publish.UPLOADED else 'skipped (already exists)'}")
    if ctx.console.json:
        ctx.console.result(None, data=results)
    return 0


def _line(ctx: Context, text: str) -> None:
    """One summary line as it happens (text mode; none when quiet); JSON gathers the rows and prints them at the end."""
    if not ctx.console.json:
        ctx.console.summary(text)


def _row(dist: Any, status: str, where: str) -> Dict[str, Any]:
    return {"file": dist.filename, "path": str(dist.path), "name": dist.name, "version": str(dist.version),
            "size": dist.size, "sha256": dist.sha256, "status": status, "repository": where}


def _finish_with_error(ctx: Context, error: PkmError, results: List[Dict[str, Any]]) -> None:
    """Say which files made it before the failure; with --format json, print them as the partial result."""
    done = [row["file"] for row in results]
    if done:
        extra = f"already done in this run: {', '.join(done)}"
        error.why = f"{error.why}\n{extra}" if error.why else extra
    if ctx.console.json:
        ctx.console.result(None, data=results)
