"""A real pypiserver on loopback, for publishing tests (pypiserver and passlib are in the `test` extra)."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

__all__ = ["PASSWORD", "TOKEN", "PypiServer", "pypiserver"]

PASSWORD = "Hunter2-Not-Shown-9931"
TOKEN = "pypi-TestToken-Not-Shown-4417"


@dataclass
class PypiServer:
    url: str  # the upload URL (pypiserver takes uploads at its root)
    simple_url: str
    packages: Path

    def has(self, filename: str) -> bool:
        return (self.packages / filename).is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", "/simple/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pypiserver(tmp_path_factory) -> Iterator[PypiServer]:
    """A real pypiserver on 127.0.0.1: uploads need alice's password or the __token__ user's token."""
    with warnings.catch_warnings():  # passlib imports the deprecated `crypt` module
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile

    root = tmp_path_factory.mktemp("pypiserver")
    packages = root / "packages"
    packages.mkdir()
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password("alice", PASSWORD)
    htpasswd.set_password("__token__", TOKEN)
    htpasswd.save()
    port = _free_port()
    log = open(root / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-P", str(root / "htpasswd"), "-a", "update",
         "--host", "127.0.0.1", str(packages)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("pypiserver did not start:\n" + (root / "server.log").read_text(errors="replace"))
            time.sleep(0.05)
        yield PypiServer(f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/simple/", packages)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
