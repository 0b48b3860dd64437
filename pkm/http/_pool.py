"""Bounded per-origin pools of kept-alive connections, shared by threads."""

from __future__ import annotations

import http.client
import select
import threading
from typing import Callable, Dict, List

from ._connect import Origin

__all__ = ["Pool", "Lease"]


class Lease:
    """One connection lent to one request; give it back exactly once with `release`."""

    __slots__ = ("conn", "origin", "reused", "_pool", "_done")

    def __init__(self, pool: "Pool", origin: Origin, conn: http.client.HTTPConnection, reused: bool):
        self.conn = conn
        self.origin = origin
        self.reused = reused  # it served an earlier request: a failure may just mean the server closed it
        self._pool = pool
        self._done = False

    def release(self, reusable: bool) -> None:
        """Return the connection: kept for the next request when `reusable`, closed otherwise. Idempotent."""
        if self._done:
            return
        self._done = True
        self._pool._give_back(self, reusable)


class Pool:
    """At most `max_per_host` connections per origin, idle ones reused newest first.

    `acquire` blocks while `max_per_host` requests to that origin are in flight
    (the bound holds across threads). An idle connection that the server has
    closed meanwhile is noticed before reuse (a zero-timeout poll) and dropped;
    the race that remains is the client's to handle (see `Lease.reused`).
    """

    def __init__(self, connect: Callable[[Origin], http.client.HTTPConnection], max_per_host: int = 10):
        if max_per_host < 1:
            raise ValueError("max_per_host must be at least 1")
        self._connect = connect
        self._max = max_per_host
        self._lock = threading.Lock()
        self._idle: Dict[Origin, List[http.client.HTTPConnection]] = {}
        self._slots: Dict[Origin, threading.BoundedSemaphore] = {}
        self._closed = False

    def acquire(self, origin: Origin, *, fresh: bool = False) -> Lease:
        """A connection to `origin`: an idle one unless `fresh`, else a new one (connect errors propagate)."""
        with self._lock:
            slots = self._slots.get(origin)
            if slots is None:
                slots = self._slots[origin] = threading.BoundedSemaphore(self._max)
        slots.acquire()
        try:
            if not fresh:
                conn = self._pop_idle(origin)
                if conn is not None:
                    return Lease(self, origin, conn, reused=True)
            return Lease(self, origin, self._connect(origin), reused=False)
        except BaseException:
            slots.release()
            raise

    def _pop_idle(self, origin: Origin):
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                conn = idle.pop()
            if not _dropped(conn):
                return conn
            conn.close()

    def _give_back(self, lease: Lease, reusable: bool) -> None:
        with self._lock:
            keep = reusable and not self._closed and lease.conn.sock is not None
            if keep:
                self._idle.setdefault(lease.origin, []).append(lease.conn)
            slots = self._slots[lease.origin]
        if not keep:
            lease.conn.close()
        slots.release()

    def idle_count(self, origin: Origin) -> int:
        """How many idle connections to `origin` wait for reuse."""
        with self._lock:
            return len(self._idle.get(origin, ()))

    def close(self) -> None:
        """Close idle connections; connections in use are closed when released."""
        with self._lock:
            self._closed = True
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """True when an idle connection is unusable: no socket, or readable (EOF, or bytes nobody asked for)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True
