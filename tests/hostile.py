"""A small hostile HTTP(S) server on 127.0.0.1 for the client's tests: fixed bodies, a status
line and headers that trickle, a host that accepts and never answers, a self-signed certificate.

Each route maps a path (without the query) to what the server does; unknown paths answer 404.
Every connection is served in its own daemon thread and closed when the server stops.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Action = Callable[[socket.socket, threading.Event], None]
ROOT_OK = {"version": "0", "auth": {"scopes": ["org:read", "project:read"]}, "user": {"id": "1"}}


def answer(body: Any, status: int = 200, *, raw: bytes | None = None) -> Action:
    """An action that answers ``body`` as JSON (or ``raw`` bytes as they are) at once."""
    data = raw if raw is not None else json.dumps(body).encode()

    def act(conn: socket.socket, stop: threading.Event) -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        conn.sendall(head.encode() + data)

    return act


def trickle_headers(step: float, count: int = 10**6, body: Any = ROOT_OK) -> Action:
    """An action that sends a status line and headers one byte per ``step`` seconds (``count``
    bytes of padding header), then the end of the headers and ``body`` as JSON."""

    def act(conn: socket.socket, stop: threading.Event) -> None:
        data = json.dumps(body).encode()
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * count
        for byte in head:
            if stop.wait(step):
                return
            conn.sendall(bytes([byte]))
        conn.sendall(f"\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)

    return act


def silent(conn: socket.socket, stop: threading.Event) -> None:
    """Accept, read the request, never answer."""
    stop.wait()


@dataclass
class Hostile:
    """The server; ``url`` once started, ``requests`` the paths asked in order."""

    routes: dict[str, Action]
    default: Action | None = None
    tls: ssl.SSLContext | None = None
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.port: int = port
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}/"
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Hostile:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                self._conns.append(conn)
            while not self._stop.is_set():
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1].decode().split("?")[0]
                self.requests.append(path)
                action = self.routes.get(path, self.default) or answer({"detail": "no"}, 404)
                action(conn, self._stop)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def elapsed(call: Callable[[], Any]) -> tuple[Any, float]:
    """``call()``'s result (or the exception it raised) and the seconds it took."""
    started = time.monotonic()
    try:
        result = call()
    except Exception as exc:  # the test inspects it
        result = exc
    return result, time.monotonic() - started


@contextlib.contextmanager
def serving(routes: dict[str, Action], **kwargs: Any) -> Iterator[Hostile]:
    with Hostile(routes, **kwargs) as server:
        yield server
