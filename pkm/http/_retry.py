"""Which failures are worth another attempt, and how long to wait before it."""

from __future__ import annotations

import email.utils
import http.client
import random
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Optional

__all__ = [
    "Failure",
    "Truncated",
    "STALE_ERRORS",
    "classify",
    "retryable_status",
    "retry_after",
    "backoff_delay",
]

# A reused keep-alive connection that fails with one of these before any status
# line arrived was (almost surely) closed by the server while idle: the request
# is repeated at once on a fresh connection, not counted as an attempt.
STALE_ERRORS = (
    http.client.RemoteDisconnected,  # EOF before the status line
    http.client.BadStatusLine,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)

_DEFAULT_HINT = "check your network connection and proxy settings (HTTPS_PROXY, NO_PROXY), or retry later"


class Truncated(Exception):
    """A body ended before its Content-Length: never handed on as complete."""

    def __init__(self, received: int, expected: int):
        super().__init__(f"the connection closed after {received} of {expected} body bytes")
        self.received = received
        self.expected = expected


@dataclass(frozen=True)
class Failure:
    """A failed attempt, described for a user: may it be retried, why it failed, what to do."""

    retryable: bool
    why: str
    hint: str = _DEFAULT_HINT


def classify(exc: BaseException, *, timeout: float) -> Failure:
    """Describe an exception raised while connecting, sending or reading.

    Certificate errors and refused proxy tunnels are final (retrying cannot
    help, and TLS must never fall back to insecure); connection errors,
    timeouts, resets, EOF, truncated bodies and protocol garbage are retryable.
    """
    if isinstance(exc, (ssl.SSLCertVerificationError, ssl.CertificateError)):
        reason = getattr(exc, "verify_message", None) or str(exc)
        return Failure(False, f"the server's TLS certificate could not be verified: {reason}",
                       "if you are behind a TLS-intercepting proxy or use a private index, point PKM_CA_BUNDLE "
                       "(or SSL_CERT_FILE) to a PEM file with its CA certificate")
    if isinstance(exc, OSError) and str(exc).startswith("Tunnel connection failed"):
        return Failure(False, f"the proxy refused the CONNECT tunnel ({str(exc).split(':', 1)[1].strip()})",
                       "check the proxy URL and its credentials in HTTPS_PROXY, or add the host to NO_PROXY")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Failure(True, f"timed out after {timeout:g} s without data",
                       "the server or network is slow; retry later or raise PKM_HTTP_TIMEOUT (seconds)")
    if isinstance(exc, Truncated):
        return Failure(True, str(exc))
    if isinstance(exc, http.client.IncompleteRead):
        return Failure(True, f"the connection closed after {len(exc.partial)} body bytes, before the end")
    if isinstance(exc, http.client.RemoteDisconnected):
        return Failure(True, "the server closed the connection without answering")
    if isinstance(exc, http.client.BadStatusLine):
        return Failure(True, f"the server answered something that is not HTTP: {str(exc)[:60]!r}")
    if isinstance(exc, http.client.HTTPException):
        return Failure(True, f"the server broke the HTTP protocol ({type(exc).__name__}: {exc})")
    if isinstance(exc, socket.gaierror):
        return Failure(True, f"the host name could not be resolved ({exc.strerror or exc})",
                       "check the URL's host name and your DNS / network connection")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(True, "the connection was refused (nothing listens on that port)",
                       "check the URL's host and port, and that the server is up")
    if isinstance(exc, ConnectionResetError):
        return Failure(True, "the connection was reset by the server")
    if isinstance(exc, ssl.SSLError):
        return Failure(True, f"TLS failed: {exc.reason or exc}")
    if isinstance(exc, OSError):
        return Failure(True, f"{exc.strerror or exc}")
    return Failure(False, f"{type(exc).__name__}: {exc}")


def retryable_status(status: int) -> bool:
    """408, 429 and 5xx (except 501 Not Implemented and 505) are worth another attempt."""
    return status in (408, 429) or (500 <= status <= 599 and status not in (501, 505))


def retry_after(value: Optional[str], *, now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(base: float, attempt: int, rng: random.Random, cap: float = 10.0) -> float:
    """Jittered exponential backoff before attempt `attempt + 1`: base * 2**(attempt-1), times 0.5-1.5, capped."""
    if base <= 0:
        return 0.0
    return min(cap, base * (2 ** (attempt - 1)) * rng.uniform(0.5, 1.5))
