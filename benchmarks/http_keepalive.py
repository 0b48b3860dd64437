"""Benchmark: N small GETs over pkm's kept-alive pool vs a fresh urllib.request connection each time.

    python benchmarks/http_keepalive.py [--requests 1000] [--size 512]

Both clients talk to the same loopback HTTP/1.1 server (http.server, keep-alive
on), with proxies disabled, and must get identical bodies. Prints both wall
times and the ratio. A standalone script, not a test: numbers vary by machine.
"""

from __future__ import annotations

import argparse
import http.server
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pkm.http import HttpClient  # noqa: E402


def _serve(body: bytes) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two writes: without this, Nagle + delayed ACK
        # add ~40 ms to every kept-alive response (real servers set it too)
        disable_nagle_algorithm = True

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512, help="body size in bytes")
    args = parser.parse_args()
    body = b"x" * args.size
    server = _serve(body)
    url = "http://127.0.0.1:%d/simple/x/" % server.server_address[1]
    try:
        with HttpClient(environ={}) as client:
            client.get(url)  # warm-up: imports, first connection
            start = time.perf_counter()
            for _ in range(args.requests):
                assert client.get(url).body == body
            pooled = time.perf_counter() - start

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        opener.open(url).read()
        start = time.perf_counter()
        for _ in range(args.requests):
            with opener.open(url) as response:
                assert response.read() == body
        fresh = time.perf_counter() - start
    finally:
        server.shutdown()
        server.server_close()

    n = args.requests
    print(f"{n} GETs of {args.size} bytes to a loopback server")
    print(f"  pkm HttpClient (keep-alive pool): {pooled:.3f} s  ({pooled / n * 1e6:.0f} us/request)")
    print(f"  urllib.request (fresh each time): {fresh:.3f} s  ({fresh / n * 1e6:.0f} us/request)")
    print(f"  ratio urllib / pkm: {fresh / pooled:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
