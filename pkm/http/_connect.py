"""Opening connections to an origin: directly or through a proxy named in the environment, TLS verified."""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, unquote, urlsplit

from pkm.errors import NetworkError, PkmError

from ._redact import redact

__all__ = ["Addresses", "Origin", "Target", "Proxy", "Connector", "parse_url", "proxy_for", "basic_auth"]

Origin = Tuple[str, str, int]  # (scheme, host, port): what a connection can be reused for
DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in a request target; everything else is %-encoded
# (spaces, non-ASCII), which http.client would otherwise reject.
_SAFE_PATH = "/%:@!$&'()*+,;=~-._"
_SAFE_QUERY = _SAFE_PATH + "?"


@dataclass(frozen=True)
class Target:
    """A parsed http(s) URL: where to connect, what to ask for, and any userinfo credentials."""

    url: str = field(repr=False)  # as given, userinfo included: never put it in a message
    scheme: str
    host: str
    port: int
    path: str  # origin-form request target: path and query, never empty
    username: Optional[str] = field(default=None, repr=False)
    password: Optional[str] = field(default=None, repr=False)

    @property
    def origin(self) -> Origin:
        return (self.scheme, self.host, self.port)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def absolute(self) -> str:
        """The absolute-form target a proxy needs (RFC 9112 3.2.2), without userinfo."""
        return f"{self.scheme}://{self.host_header}{self.path}"


def parse_url(url: str) -> Target:
    """Split `url` into a Target; NetworkError for a non-http(s) scheme, a missing host or a bad port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise NetworkError(f"bad URL {redact(url)}", why=str(exc), hint="check the URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise NetworkError(f"cannot fetch {redact(url)}: only http and https URLs are supported",
                           hint="use an http(s) URL (or a local path where one is allowed)")
    if not parts.hostname:
        raise NetworkError(f"bad URL {redact(url)}: it names no host", hint="check the URL")
    host = parts.hostname
    if not host.isascii():  # an internationalized name: the wire carries its IDNA (punycode) form
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise NetworkError(f"bad host name in {redact(url)}", why=str(exc), hint="check the URL") from None
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    if parts.query:
        path += "?" + quote(parts.query, safe=_SAFE_QUERY)
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS[scheme],
        path=path,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def basic_auth(username: str, password: str) -> str:
    """The value of an `Authorization: Basic` header."""
    token = base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")
    return "Basic " + token


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy: where it listens, and the Proxy-Authorization value from its URL's userinfo."""

    host: str
    port: int
    authorization: Optional[str] = field(repr=False)
    display: str  # the proxy URL, redacted, for messages
    password: Optional[str] = field(default=None, repr=False)


def proxy_for(origin: Origin, environ: Mapping[str, str]) -> Optional[Proxy]:
    """The proxy `environ` names for `origin` (`https_proxy`/`http_proxy`, lower case first), unless NO_PROXY excludes it.

    Only http:// proxies are supported (an https:// or socks proxy URL is a
    NetworkError with a hint): TLS to the origin goes through a CONNECT tunnel.
    """
    scheme, host, port = origin
    value = environ.get(f"{scheme}_proxy") or environ.get(f"{scheme.upper()}_PROXY")
    if not value or _bypassed(host, port, environ.get("no_proxy") or environ.get("NO_PROXY") or ""):
        return None
    if "://" not in value:
        value = "http://" + value
    try:
        parts = urlsplit(value)
        proxy_port = parts.port or 80
    except ValueError as exc:
        raise NetworkError(f"bad proxy URL {redact(value)}", why=str(exc),
                           hint=f"fix {scheme.upper()}_PROXY (e.g. http://proxy.example:3128)") from None
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise NetworkError(f"unsupported proxy URL {redact(value)}", why="only http:// proxies are supported",
                           hint=f"set {scheme.upper()}_PROXY to an http://host:port proxy")
    authorization = password = None
    if parts.username is not None:
        password = unquote(parts.password or "")
        authorization = basic_auth(unquote(parts.username), password)
    return Proxy(parts.hostname, proxy_port, authorization, redact(value), password)


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """True when `host` matches an entry of NO_PROXY: `*`, a host, a `.domain` suffix, optionally `:port`."""
    for entry in no_proxy.replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, entry_port = entry, None
        if entry.count(":") == 1:  # host:port (an IPv6 literal has several colons)
            name, _, raw = entry.partition(":")
            entry_port = int(raw) if raw.isdigit() else None
        name = name.strip("[]").lstrip(".")
        if (host == name or host.endswith("." + name)) and entry_port in (None, port):
            return True
    return False


class Connector:
    """Makes connected `http.client` connections for an origin; thread-safe.

    One TLS context per connector, built on first use: the platform trust store
    (`ssl.create_default_context`), or only the bundle named by `ca_bundle`,
    `PKM_CA_BUNDLE` or `SSL_CERT_FILE`. Never an unverified context.
    """

    def __init__(self, *, timeout: float, environ: Mapping[str, str], ca_bundle: Optional[str] = None):
        self.timeout = timeout
        self._environ = environ
        self._ca_bundle = ca_bundle or environ.get("PKM_CA_BUNDLE") or environ.get("SSL_CERT_FILE") or None
        self._context: Optional[ssl.SSLContext] = None
        self._proxies: Dict[Origin, Optional[Proxy]] = {}
        self._lock = threading.Lock()
        self._addresses = Addresses()

    def proxy(self, origin: Origin) -> Optional[Proxy]:
        """The proxy used for `origin` (decided once per origin)."""
        with self._lock:
            if origin not in self._proxies:
                self._proxies[origin] = proxy_for(origin, self._environ)
            return self._proxies[origin]

    def ssl_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                try:
                    self._context = ssl.create_default_context(cafile=self._ca_bundle)
                except (OSError, ssl.SSLError) as exc:
                    raise PkmError(f"cannot load the CA bundle {self._ca_bundle}", why=str(exc),
                                   hint="point PKM_CA_BUNDLE (or SSL_CERT_FILE) to a readable PEM file, or unset it") from None
            return self._context

    def open(self, origin: Origin) -> http.client.HTTPConnection:
        """A connected connection to `origin` (through its proxy, if any); raises OSError and friends."""
        scheme, host, port = origin
        proxy = self.proxy(origin)
        conn: http.client.HTTPConnection
        if scheme == "https":
            context = self.ssl_context()
            if proxy is None:
                conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
            else:
                conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=self.timeout, context=context)
                tunnel_headers = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
                conn.set_tunnel(host, port, headers=tunnel_headers)
        elif proxy is None:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        else:
            conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=self.timeout)
        conn._create_connection = self._addresses.connect  # type: ignore[attr-defined]  # http.client's hook
        try:
            conn.connect()
        except BaseException:
            conn.close()
            raise
        return conn

    def request_line_target(self, target: Target) -> Tuple[str, Optional[str]]:
        """(request target, Proxy-Authorization or None): absolute-form through a plain-http proxy, else origin-form."""
        if target.scheme == "http":
            proxy = self.proxy(target.origin)
            if proxy is not None:
                return target.absolute, proxy.authorization
        return target.path, None

    def secrets(self, origin: Origin) -> Tuple[str, ...]:
        """Proxy passwords to scrub from messages about `origin`."""
        proxy = self.proxy(origin)
        return (proxy.password,) if proxy is not None and proxy.password else ()


_DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]  # what http.client passes for "none given"


class Addresses:
    """Host name lookups made once per (host, port) and shared by every connection; thread-safe.

    Eight connections opened together would otherwise ask the resolver eight times at once,
    and some resolvers (a container's DNS forwarder) drop such bursts: a lookup then stalls
    5 s or fails. The first caller looks up while the others wait for its answer; a failed
    lookup is not kept (the next connection asks again). `connect` is `socket.create_connection`
    over the kept addresses, for `http.client`'s `_create_connection` hook.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: Dict[Tuple[str, int], List[tuple]] = {}
        self._pending: Dict[Tuple[str, int], threading.Lock] = {}

    def lookup(self, host: str, port: int) -> List[tuple]:
        """getaddrinfo(host, port) for stream sockets, asked once (see the class docstring)."""
        key = (host, port)
        with self._lock:
            if key in self._found:
                return self._found[key]
            gate = self._pending.setdefault(key, threading.Lock())
        with gate:  # one lookup at a time per host; the ones waiting find its answer
            with self._lock:
                if key in self._found:
                    return self._found[key]
            found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
            with self._lock:
                self._found[key] = found
            return found

    def connect(self, address: Tuple[str, int], timeout: object = _DEFAULT_TIMEOUT,
                source_address: Optional[Tuple[str, int]] = None) -> socket.socket:
        """A connected socket to the first address of `address` that answers (as socket.create_connection)."""
        error: Optional[OSError] = None
        for family, kind, proto, _, where in self.lookup(*address):
            sock = None
            try:
                sock = socket.socket(family, kind, proto)
                if timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)  # type: ignore[arg-type]
                if source_address:
                    sock.bind(source_address)
                sock.connect(where)
                return sock
            except OSError as exc:
                error = exc
                if sock is not None:
                    sock.close()
        raise error if error is not None else OSError(f"no address found for {address[0]}")
