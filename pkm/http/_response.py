"""What a GET gives back: a final URL, a status, case-insensitive headers and the whole (decoded) body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

from pkm.errors import NetworkError, NotFoundError, PkmError

from ._redact import redact

__all__ = ["Headers", "Response"]


class Headers(Mapping):
    """Read-only response headers looked up without regard to case.

    A field sent several times is joined with ", " (RFC 9110 5.3), so
    `get("cache-control")` sees every directive.
    """

    def __init__(self, items: Iterable[Tuple[str, str]] = ()):
        self._fields: Dict[str, Tuple[str, str]] = {}
        for name, value in items:
            key = name.lower()
            if key in self._fields:
                value = self._fields[key][1] + ", " + value
                name = self._fields[key][0]
            self._fields[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()][1]

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        field = self._fields.get(name.lower())
        return default if field is None else field[1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(repr=False)
class Response:
    """A final answer from a server (or from the HTTP cache when `from_cache`).

    `url` is the final URL after redirects as the client used it (userinfo
    included when the caller gave some): pass it through `redact` before
    showing it. The repr does so.
    """

    url: str
    status: int
    headers: Headers
    body: bytes
    from_cache: bool = False
    reason: str = ""  # the status line's phrase; some APIs (PyPI's upload) put their message there

    def __repr__(self) -> str:
        cached = ", from_cache=True" if self.from_cache else ""
        return f"<Response {self.status} {redact(self.url)} ({len(self.body)} bytes{cached})>"

    @property
    def ok(self) -> bool:
        """True for 2xx answers."""
        return 200 <= self.status < 300

    def text(self) -> str:
        """The body decoded with the Content-Type charset (UTF-8 when none; bad bytes replaced)."""
        charset = "utf-8"
        for param in (self.headers.get("content-type") or "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; a NetworkError naming the URL when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise NetworkError(
                f"{redact(self.url)} did not answer valid JSON",
                why=str(exc),
                hint="the server or a proxy in between sent something else; retry, or check the URL",
            ) from None

    def raise_for_status(self) -> "Response":
        """Self when the status is below 400; otherwise the matching PkmError (URL redacted).

        404/410 -> NotFoundError, 401/403 -> PkmError with a credentials hint,
        anything else -> NetworkError.
        """
        if self.status < 400:
            return self
        where = redact(self.url)
        if self.status in (404, 410):
            raise NotFoundError(f"{where} was not found (HTTP {self.status})",
                                hint="check the URL, the package name and the index URL")
        if self.status in (401, 403):
            raise PkmError(f"{where} refused access (HTTP {self.status})",
                           hint="give credentials in the URL (https://user:token@host/...) or in ~/.netrc, "
                                "and check that they are allowed to read this")
        raise NetworkError(f"{where} answered HTTP {self.status}", why=_snippet(self.body),
                           hint="retry later; if it persists, the server is failing")


def _snippet(body: bytes, limit: int = 200) -> Optional[str]:
    text = body[:limit].decode("utf-8", errors="replace").strip()
    return text or None
