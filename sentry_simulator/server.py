"""``Simulator``: a real HTTP server on 127.0.0.1 (stdlib ``ThreadingHTTPServer``).

Per request, in order: record it; sleep ``latency``; apply the first matching fault (delay,
status, reset, malformed body, hang); then route. ``/api/0/…`` takes GET/HEAD only (else 405),
authenticates ``Authorization: Bearer <token>`` against ``tokens`` (unknown token: 401
``Invalid token``; no token: 401, except ``GET /api/0/`` which answers with ``auth``/``user``
null), checks the route's scopes (403), then answers. ``POST /api/<id>/envelope/`` is ingest.
Anything else is 404. HTTP/1.1 keep-alive; ``stop()`` closes every open connection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from .data import SimulatorData
from .faults import (
    DETAIL_INVALID_TOKEN,
    DETAIL_NO_CREDENTIALS,
    DETAIL_NO_PERMISSION,
    DETAIL_NOT_FOUND,
    MALFORMED_BODY,
    Fault,
    FaultBook,
    RecordedRequest,
    TokenSpec,
)
from .ingest import envelope
from .routes import ENVELOPE, match
from .scopes import challenge, expand
from .seed import seeded
from .wire import HttpError, Reply, Request

HOST = "127.0.0.1"
METHOD_NOT_ALLOWED = 'Method "{method}" not allowed.'


class _Server(ThreadingHTTPServer):
    """A listen backlog like a real server's: socketserver's default of 5 drops the connections
    of a burst of concurrent reads beyond it, and the client's kernel tries again after 1 s."""

    request_queue_size = 128


class Simulator:
    """A Sentry web API + ingest simulator serving ``data`` on 127.0.0.1.

    ``Simulator(data=..., latency=0.0, port=0, tokens=None, max_hits=None)``; ``start()`` binds
    and serves in a daemon thread, ``stop()`` shuts down (also as a context manager).
    ``max_hits`` caps ``X-Hits`` of the issue list (``X-Max-Hits`` then says so).
    ``scope_challenge`` adds ``WWW-Authenticate`` to a scope 403 (SaaS since mid-2026).
    ``legacy`` names older servers' behaviours: ``debug_needs_frame_idx`` (source-map debug before
    June 2026), ``bundle_query_no_debug_id`` (the bundle list's ``query`` does not take debug
    ids), ``bundles_2023`` (bundles without ``associations``, their files as a plain list).
    ``latency_covers_work``: the latency is counted from the request's arrival and the answer is
    built meanwhile (sent ``latency`` after arrival, or when ready if later), as a real server's
    round trip includes its own work; by default the work follows the latency.
    """

    def __init__(
        self,
        *,
        data: SimulatorData | None = None,
        latency: float = 0.0,
        port: int = 0,
        tokens: dict[str, TokenSpec] | None = None,
        max_hits: int | None = None,
        scope_challenge: bool = False,
        legacy: tuple[str, ...] = (),
        latency_covers_work: bool = False,
    ) -> None:
        self.latency_covers_work = latency_covers_work
        self.legacy = frozenset(legacy)
        self.scope_challenge = scope_challenge
        self.renamed: dict[tuple[str, str], str] = {}
        self.data = data if data is not None else seeded()
        self.latency = latency
        self.port = port
        self.tokens: dict[str, TokenSpec] = dict(tokens or {})
        self.max_hits = max_hits
        self.requests: list[RecordedRequest] = []
        self._faults = FaultBook()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._base = f"http://{HOST}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (after ``start()``)."""
        if self._server is None:
            raise RuntimeError("the simulator is not running: call start() first")
        return self._base

    def start(self) -> Simulator:
        """Bind 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        handler = type("BoundHandler", (_Handler,), {"sim": self})
        self._server = _Server((HOST, self.port), handler)
        self._server.daemon_threads = True
        self._base = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sentry-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hanging requests and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def add_token(self, token: str, spec: TokenSpec | None = None) -> None:
        """Accept ``token`` as a bearer token with ``spec`` (default: a user token)."""
        self.tokens[token] = spec if spec is not None else TokenSpec()

    def rename_project(self, org: str, old: str, new: str) -> None:
        """Rename a project: its old slug answers 302 to the new one (Sentry's ``ProjectMoved``)."""
        with self.data.lock:
            project = self.data.project(org, old)
            if project is None:
                raise KeyError(f"no project {org}/{old}")
            project.slug = new
            self.data.touch()
        self.renamed[(org, old)] = new

    def add_fault(self, fault: Fault) -> Fault:
        """Inject a fault (see ``Fault``)."""
        self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    # -- called by the handler ----------------------------------------------------------------

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _dispatch(self, req: Request) -> Reply:
        if req.method == "POST" and ENVELOPE.match(req.path):
            project_id = req.path.split("/")[2]
            return envelope(self.data, req, project_id)
        if not req.path.startswith("/api/0/"):
            raise HttpError(404, DETAIL_NOT_FOUND)
        if req.method not in ("GET", "HEAD"):
            raise HttpError(405, METHOD_NOT_ALLOWED.format(method=req.method))
        found = match(req.path)
        if found is None:
            raise HttpError(404, DETAIL_NOT_FOUND)
        route, params = found
        moved = self.renamed.get((params.get("org", ""), params.get("project", "")))
        if moved is not None and req.path.startswith("/api/0/projects/"):
            raise moved_error(req.path, params["org"], params["project"], moved)
        auth = req.headers.get("authorization", "")
        if auth:
            scheme, _, value = auth.partition(" ")
            req.token = self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
            if req.token is None:
                raise HttpError(401, DETAIL_INVALID_TOKEN)
        if route.scopes:
            if req.token is None:
                raise HttpError(401, DETAIL_NO_CREDENTIALS)
            if not set(expand(req.token.scopes)) & set(route.scopes):
                headers = challenge(route.scopes) if self.scope_challenge else None
                raise HttpError(403, DETAIL_NO_PERMISSION, headers=headers)
        req.max_hits = self.max_hits
        req.legacy = self.legacy
        with self.data.lock:
            return route.endpoint(self.data, req, **{k: unquote(v) for k, v in params.items()})


def moved_error(path: str, org: str, old: str, new: str) -> HttpError:
    """Sentry's ``ProjectMoved``: 302, ``Location`` on the new slug, ``resource-moved`` body."""
    prefix = f"/api/0/projects/{org}/{old}/"
    url = f"/api/0/projects/{org}/{new}/" + path[len(prefix) :]
    body = {
        "detail": {
            "code": "resource-moved",
            "message": "Resource has been moved",
            "extra": {"url": url, "slug": new},
        }
    }
    return HttpError(302, "Resource has been moved", headers={"Location": url}, body=body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "SentrySimulator/1.0"
    sim: ClassVar[Simulator]
    _answer_at: float | None = None

    def setup(self) -> None:
        super().setup()
        self.sim._track(self.connection, True)

    def finish(self) -> None:
        self.sim._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read ``sim.requests`` instead."""

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        sim = self.sim
        body = self._read_body()
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = dict(self.headers.items())
        sim.requests.append(RecordedRequest(self.command, parts.path, query, headers, body))
        if sim.latency > 0 and sim.latency_covers_work:
            self._answer_at = time.monotonic() + sim.latency
        elif sim.latency > 0:
            sim._stopping.wait(sim.latency)
        fault = sim._faults.take(self.command, parts.path, parts.query)
        if fault is not None and self._apply(fault):
            return
        req = Request(
            method=self.command,
            path=parts.path,
            query=query,
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            base=sim._base,
        )
        try:
            reply = sim._dispatch(req)
        except HttpError as error:
            answer = error.body if error.body is not None else {"detail": error.detail}
            reply = Reply(status=error.status, body=answer, headers=error.headers)
        payload = json.dumps(reply.body, separators=(",", ":")).encode()
        self._send(reply.status, payload, reply.content_type, reply.headers)

    def _apply(self, fault: Fault) -> bool:
        """Apply a fault; False when it was only a delay and the request goes on."""
        if fault.delay > 0:
            self.sim._stopping.wait(fault.delay)
        if fault.hang:
            self.sim._stopping.wait()
            self.close_connection = True
            return True
        if fault.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return True
        if fault.malformed:
            self._send(
                fault.status or 200, MALFORMED_BODY, "application/json", fault.response_headers()
            )
            return True
        if fault.status is not None:
            payload, content_type = fault.response_body()
            self._send(fault.status, payload, content_type, fault.response_headers())
            return True
        return False

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str]
    ) -> None:
        if self._answer_at is not None:
            self.sim._stopping.wait(max(0.0, self._answer_at - time.monotonic()))
            self._answer_at = None
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True
