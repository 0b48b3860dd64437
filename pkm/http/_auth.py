"""Credentials for a request: the URL's userinfo first, then the netrc file."""

from __future__ import annotations

import netrc
import threading
from pathlib import Path
from typing import Mapping, Optional, Tuple

from ._connect import Target

__all__ = ["Credentials", "default_netrc_path"]


def default_netrc_path(environ: Mapping[str, str]) -> Optional[Path]:
    """`$NETRC`, else `$HOME/.netrc`, from `environ` (so an empty environ means no netrc at all)."""
    if environ.get("NETRC"):
        return Path(environ["NETRC"])
    if environ.get("HOME"):
        return Path(environ["HOME"]) / ".netrc"
    return None


class Credentials:
    """Looks up (username, password) for a Target; the netrc file is read once, on first need.

    Sources, in order: userinfo in the URL (`https://user:token@host/...`),
    then the netrc entry for the host (`machine host login user password
    token`, or its `default` entry). Environment variables are deliberately
    not a source: a variable applies to every host, and a token sent to the
    wrong host is a leak; netrc ties each secret to its host.
    A missing or malformed netrc file means "no credentials", as pip and curl
    treat it.
    """

    def __init__(self, netrc_path: Optional[Path]):
        self._path = netrc_path
        self._netrc: Optional[netrc.netrc] = None
        self._loaded = False
        self._lock = threading.Lock()

    def lookup(self, target: Target) -> Optional[Tuple[str, str]]:
        if target.username is not None:
            return target.username, target.password or ""
        entries = self._load()
        if entries is None:
            return None
        found = entries.authenticators(target.host)
        if not found:
            return None
        login, account, password = found
        if not login and not password:
            return None
        return login or account or "", password or ""

    def _load(self) -> Optional[netrc.netrc]:
        with self._lock:
            if not self._loaded:
                self._loaded = True
                if self._path is not None and self._path.is_file():
                    try:
                        self._netrc = netrc.netrc(str(self._path))
                    except (OSError, netrc.NetrcParseError):
                        self._netrc = None
            return self._netrc
