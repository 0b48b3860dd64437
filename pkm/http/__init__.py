"""The HTTP layer: a pooled, retrying client on `http.client` with an HTTP cache and streaming downloads.

    with HttpClient(cache_dir=home / "index-v1") as client:
        page = client.get(url, headers={"Accept": "application/json"}, cache=True)
        client.download(file_url, dest, tmp_dir=home / "tmp", sha256=digest)

One client is created by a command and passed down (no module-level
singleton). Credentials come from URL userinfo or netrc and never reach a
message, a log or a file: `redact` is the helper every layer should use.
"""

from __future__ import annotations

from ._client import HttpClient
from ._redact import redact
from ._response import Headers, Response

__all__ = ["HttpClient", "Response", "Headers", "redact"]
