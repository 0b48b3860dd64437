"""Uploading one distribution through the legacy API, and reading the index's answer for a user."""

from __future__ import annotations

import base64
import html
import re
import time
from http import HTTPStatus
from typing import Any, Callable, Iterable, List, Mapping, Optional, Protocol, Tuple
from urllib.parse import urljoin

from pkm.errors import NetworkError, PkmError
from pkm.http import redact, scrub

from ._config import Auth
from ._dist import Distribution
from ._form import MultipartForm, upload_fields

__all__ = ["Poster", "Publisher", "UPLOADED", "SKIPPED", "already_exists", "body_text"]

UPLOADED, SKIPPED = "uploaded", "skipped"
Progress = Callable[[int, Optional[int]], None]
_RERUN = ("run the same command again with --skip-existing: files the index already has are skipped, "
          "the rest are uploaded")
# Answers that say "nothing was taken, come back later": a repeat cannot store a file twice.
_BUSY = (429, 503)


class Poster(Protocol):
    """What uploading needs from an HTTP client (`pkm.http.HttpClient` is one)."""

    def post(self, url: str, *, body: Iterable[bytes], headers: Optional[Mapping[str, str]] = None,
             length: Optional[int] = None, progress: Optional[Progress] = None) -> Any:
        """Send `body` once (never repeated after a body byte left); the answer has status, reason, headers, body."""


class Publisher:
    """Uploads distributions to one repository URL as one user.

    `retries` bounds repeats after 429/503 (the index took nothing and said
    so), waiting its Retry-After (at most `max_wait` s) or 1, 2, 4... s.
    Nothing else is repeated: after a cut, or another 5xx, the index may have
    stored the file, and the error says how to finish (`--skip-existing`).
    """

    def __init__(self, poster: Poster, url: str, auth: Optional[Auth], *, skip_existing: bool = False,
                 retries: int = 3, sleep: Callable[[float], None] = time.sleep, max_wait: float = 30.0):
        self._poster = poster
        self.url = url
        self._auth = auth
        self._skip_existing = skip_existing
        self._retries = retries
        self._sleep = sleep
        self._max_wait = max_wait
        self._secrets: Tuple[str, ...] = (auth.password,) if auth is not None and auth.password else ()

    def upload(self, dist: Distribution, progress: Optional[Progress] = None) -> str:
        """Upload `dist`: UPLOADED, or SKIPPED when the index has the file and `skip_existing` is set.

        Raises PkmError/NetworkError with what happened and how to go on:
        the file exists, credentials refused, rejected, redirected, the index
        failed, or the connection was cut (and how far the upload got).
        Cost: one streaming pass over the file per attempt.
        """
        form = MultipartForm(upload_fields(dist), "content", dist.path, dist.filename, dist.size)
        headers = {"Content-Type": form.content_type, "Accept": "text/plain, text/html;q=0.9, */*;q=0.1"}
        if self._auth is not None:
            token = base64.b64encode(f"{self._auth.username}:{self._auth.password}".encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic " + token
        for attempt in range(self._retries + 1):
            sent = [0]

            def track(done: int, total: Optional[int]) -> None:
                sent[0] = done
                if progress is not None:
                    progress(done, total)

            try:
                response = self._poster.post(self.url, body=form, headers=headers, length=form.length,
                                             progress=track)
            except NetworkError as exc:
                raise self._network_error(dist, exc, sent[0]) from None
            except OSError as exc:  # reading the file: network failures arrive as NetworkError
                raise PkmError(f"cannot read {dist.path} while uploading it", why=str(exc),
                               hint="check the file and the disk, then run the command again with "
                                    "--skip-existing") from None
            if response.status in _BUSY and attempt < self._retries:
                self._sleep(self._delay(response, attempt))
                continue
            return self._outcome(dist, response)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading answers ---------------------------------------------------------

    def _outcome(self, dist: Distribution, response: Any) -> str:
        status = response.status
        says = self._server_says(response)
        where = redact(self.url)
        if 200 <= status < 300:
            return UPLOADED
        if already_exists(status, response.reason or "", says):
            if self._skip_existing:
                return SKIPPED
            raise PkmError(f"{dist.filename} already exists on {where}", why=says or None,
                           hint="an index takes a file name only once: raise the version to publish changes, or "
                                "pass --skip-existing to upload only the files it does not have")
        if 300 <= status < 400:
            location = redact(urljoin(self.url, response.headers.get("location") or ""))
            raise PkmError(f"{where} answered the upload with a redirect (HTTP {status}) to {location}",
                           why="an upload is not sent again to another address",
                           hint=f"if that is the right index, upload to it: --repository-url {location}")
        if status in (401, 403):
            raise self._refused(dist, status, says)
        if status in _BUSY:
            raise NetworkError(f"{where} is not taking uploads now (HTTP {status}); {dist.filename} was not uploaded",
                               why=says or None, hint="retry later")
        if status >= 500:
            raise NetworkError(f"{where} failed while taking {dist.filename} (HTTP {status})",
                               why=(says + "\n" if says else "") + "the file may or may not be stored now; "
                               "pkm does not repeat an upload the index may have acted on", hint=_RERUN)
        hint = ("the file is larger than this index accepts" if status == 413
                else "the index says why above; fix that and upload again")
        raise PkmError(f"{where} rejected {dist.filename} (HTTP {status})", why=says or None, hint=hint)

    def _refused(self, dist: Distribution, status: int, says: str) -> PkmError:
        where = redact(self.url)
        if self._auth is None:
            return PkmError(f"{where} refused the upload of {dist.filename}: it needs credentials (HTTP {status})",
                            why=says or "none were given (and netrc has none that it accepts)",
                            hint="pass --token (or set PKM_PUBLISH_TOKEN), or --username and --password, or "
                                 "name a .pypirc section with --repository")
        return PkmError(f"{where} refused the upload of {dist.filename} by user `{self._auth.username}` "
                        f"(HTTP {status})", why=says or None,
                        hint=f"check the password or token (from {self._auth.source}), and that this user may "
                             "upload to this project")

    def _network_error(self, dist: Distribution, exc: NetworkError, sent: int) -> NetworkError:
        why = scrub(exc.why or str(exc), self._secrets)
        if sent == 0:
            return NetworkError(f"could not upload {dist.filename} to {redact(self.url)}",
                                why=f"{why}\nnothing of the file was sent", hint=exc.hint)
        return NetworkError(f"the upload of {dist.filename} to {redact(self.url)} was interrupted", why=why,
                            hint=_RERUN)

    def _server_says(self, response: Any) -> str:
        """The index's own words: a non-standard status phrase (PyPI's style), else the body's text."""
        reason = (response.reason or "").strip()
        try:
            standard = HTTPStatus(response.status).phrase
        except ValueError:
            standard = ""
        if reason and reason.lower() != standard.lower():
            return scrub(reason, self._secrets)
        return scrub(body_text(response.body), self._secrets)

    def _delay(self, response: Any, attempt: int) -> float:
        value = (response.headers.get("retry-after") or "").strip()
        if value.isdigit():
            return min(float(value), self._max_wait)
        return min(2.0 ** attempt, self._max_wait)


def already_exists(status: int, reason: str, text: str) -> bool:
    """Whether an answer means "this file is on the index already", in the words each index uses.

    409 (pypiserver, devpi), 400 "File already exists" (PyPI), 400 "updating
    asset" / "already been taken" (Nexus, GitLab), 403 "overwrite artifact"
    (Artifactory).
    """
    said = f"{reason}\n{text}".lower()
    if status == 409:
        return True
    if status == 400:
        return any(words in said for words in ("already exist", "updating asset", "already been taken"))
    return status == 403 and "overwrite artifact" in said


def body_text(body: bytes, limit: int = 400) -> str:
    """An error page as one line of text: a <pre> block if there is one, else the text without tags."""
    text = body[:65536].decode("utf-8", errors="replace")
    pre = re.search(r"<pre>(.*?)</pre>", text, re.IGNORECASE | re.DOTALL)
    if pre is not None:
        # bottle (pypiserver) renders an error raised without a message as "None"
        text = "" if pre.group(1).strip() == "None" else pre.group(1)
    elif "<" in text:
        text = re.sub(r"<(script|style|title)\b.*?</\1>", " ", text, flags=re.IGNORECASE | re.DOTALL)
        text = re.sub(r"<[^>]*>", " ", text)
    lines: List[str] = [" ".join(line.split()) for line in html.unescape(text).splitlines()]
    joined = " ".join(line for line in lines if line)
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."
