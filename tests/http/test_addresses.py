"""Host names are looked up once per client and shared by concurrent connections; failed lookups are not kept."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pkm.errors import NetworkError
from pkm.http._connect import Addresses
from support.server import LoopbackServer, Resource

BODY = b"x" * 100


class CountingLookups:
    """socket.getaddrinfo, slowed and counted, answering "localhost" for any name."""

    def __init__(self, real, fail_first: int = 0):
        self.real, self.calls, self.fail_first = real, [], fail_first
        self._lock = threading.Lock()

    def __call__(self, host, port, *args, **kwargs):
        with self._lock:
            self.calls.append(host)
            failing = len(self.calls) <= self.fail_first
        if failing:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        threading.Event().wait(0.02)  # a lookup takes a while: the other connections arrive meanwhile
        return self.real("127.0.0.1", port, *args, **kwargs)


def test_concurrent_connections_to_one_host_share_one_lookup(loopback_server: LoopbackServer, make_client,
                                                             monkeypatch):
    loopback_server.add("/file", Resource(BODY))
    lookups = CountingLookups(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", lookups)
    client = make_client(max_per_host=8)
    url = loopback_server.url.replace("127.0.0.1", "index.example") + "/file"
    loopback_server.misbehave("slow", delay=0.02)  # requests overlap, so each needs its own connection
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: client.get(url).body, range(16)))
    assert bodies == [BODY] * 16 and loopback_server.connections > 1
    assert lookups.calls == ["index.example"]


def test_a_failed_lookup_is_asked_again_by_the_next_connection(monkeypatch):
    lookups = CountingLookups(socket.getaddrinfo, fail_first=1)
    monkeypatch.setattr(socket, "getaddrinfo", lookups)
    addresses = Addresses()
    with pytest.raises(socket.gaierror):
        addresses.lookup("index.example", 443)
    assert addresses.lookup("index.example", 443) == addresses.lookup("index.example", 443)
    assert lookups.calls == ["index.example", "index.example"]


def test_a_host_that_does_not_resolve_is_a_network_error(make_client, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", CountingLookups(socket.getaddrinfo, fail_first=99))
    with pytest.raises(NetworkError):
        make_client(retries=0).get("http://index.example/simple/")
