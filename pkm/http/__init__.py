"""The HTTP layer: a pooled, retrying client on `http.client` with an HTTP cache, streaming downloads and uploads.

    with HttpClient(cache_dir=home / "index-v1") as client:
        page = client.get(url, headers={"Accept": "application/json"}, cache=True)
        client.download(file_url, dest, tmp_dir=home / "tmp", sha256=digest)
        with open(path, "rb") as f:  # streamed; never repeated once a body byte has left
            client.post(upload_url, body=f, length=size, headers={"Content-Type": kind})

One client is created by a command and passed down (no module-level
singleton). Credentials come from URL userinfo or netrc and never reach a
message, a log or a file: `redact` (URLs) and `scrub` (known secrets in
free text) are the helpers every layer should use.
"""

from __future__ import annotations

from ._client import HttpClient
from ._exchange import BodyTooLarge
from ._redact import redact, scrub
from ._response import Headers, Response

__all__ = ["BodyTooLarge", "HttpClient", "Response", "Headers", "redact", "scrub"]
