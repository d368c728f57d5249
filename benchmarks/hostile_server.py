"""A hostile Sentry on 127.0.0.1, for trying the plugin by hand the way the world may treat it.

    python benchmarks/hostile_server.py PORT MODE

MODE ``shape``: the organization answers ``[1, 2]`` (not the documented object). ``trickle``:
the project detail sends one byte every 2 s and never finishes. ``limits``: every issue query
answers 429 with ``Retry-After: 3600``. ``headers``: ``GET /api/0/`` sends its status line and
headers one byte a second, forever. ``silent``: every request is read and never answered.
``null``: ``GET /api/0/`` answers ``null``. ``deep``: the organization answers JSON nested
100,000 levels deep. In the other modes ``GET /api/0/`` accepts any token, and a project list
answers Sentry's real 403 (generic body, ``WWW-Authenticate`` naming the scope).
Stop it with Ctrl-C or by its process id. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCOPES = ["org:read", "project:read", "event:read", "project:releases"]
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
CHALLENGE = 'Bearer error="insufficient_scope", scope="org:read"'


class Hostile(BaseHTTPRequestHandler):
    mode = "shape"

    def log_message(self, *args: Any) -> None:
        return

    def answer(self, code: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(2)
        except OSError:
            return

    def trickle_headers(self) -> None:
        try:
            for byte in (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 10**6
            ):
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if self.mode == "silent":
            time.sleep(10**6)
        if path == "/api/0/" and self.mode == "headers":
            return self.trickle_headers()
        if path == "/api/0/" and self.mode == "null":
            return self.answer(200, None)
        if path == "/api/0/organizations/acme/" and self.mode == "deep":
            data = b"[" * 100_000 + b"]" * 100_000
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        if path == "/api/0/":
            return self.answer(200, {"auth": {"scopes": SCOPES}, "user": {"id": "1"}})
        if path == "/api/0/organizations/acme/":
            shaped = {"id": "1", "slug": "acme", "name": "Acme"}
            return self.answer(200, [1, 2] if self.mode == "shape" else shaped)
        if path.endswith("/projects/"):
            return self.answer(403, FORBIDDEN, (("WWW-Authenticate", CHALLENGE),))
        if path == "/api/0/projects/acme/codictate/" and self.mode == "limits":
            return self.answer(200, {"id": "42", "slug": "codictate", "name": "codictate"})
        if path.startswith("/api/0/projects/acme/codictate/"):
            return self.trickle()
        return self.answer(429, {"detail": "slow down"}, (("Retry-After", "3600"),))


MODES = ("shape", "trickle", "limits", "headers", "silent", "null", "deep")

if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or sys.argv[2] not in MODES:
        sys.exit(f"usage: python benchmarks/hostile_server.py PORT {{{','.join(MODES)}}}")
    Hostile.mode = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hostile)
    server.daemon_threads = True
    server.serve_forever()
