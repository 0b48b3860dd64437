"""Hiding credentials: userinfo and token-like query values in URLs, known secrets in free text."""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["redact", "scrub"]

MASK = "***"

# Query parameter names that usually carry a secret (access_token, api_key,
# X-Amz-Signature, X-Amz-Credential, password, ...). Over-matching only hides
# a harmless value from a message; under-matching would leak one.
_SECRET_PARAM = re.compile(r"token|secret|passw|pwd|key|sig|auth|credential|session", re.IGNORECASE)
_USERINFO = re.compile(r"(//)[^/?#@]*@")


def redact(url: str) -> str:
    """`url` with its userinfo and token-like query values replaced by `***`.

    Safe on anything: text that is not a URL comes back with any `//user@`
    part masked all the same. Cheap (one split); call it on every URL that
    goes into a message, a log line or a file name.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 literal: mask by pattern alone
        return _USERINFO.sub(r"\1" + MASK + "@", url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        fields = []
        for field in query.split("&"):
            name, eq, value = field.partition("=")
            if eq and value and _SECRET_PARAM.search(name):
                value = MASK
            fields.append(name + eq + value)
        query = "&".join(fields)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (as given and percent-encoded) replaced by `***`.

    Secrets shorter than 4 characters are left alone: masking them would
    garble ordinary words while protecting next to nothing.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in {secret, quote(secret, safe="")}:
                text = text.replace(form, MASK)
    return text
