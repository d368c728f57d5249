"""The client's live transport: one overall deadline per request, down to each socket operation.

httpx bounds each socket read (``timeout``), not a request: a server that sends its status line
and headers one byte a second never trips a 10 s read timeout. Here every connect, TLS
handshake, read and write of the request running under ``deadline(seconds)`` gets the smaller
of its own timeout and the time left, and fails at once (as httpx's timeout of that stage) when
none is left. So connect, headers and body together never outlast the deadline.

It is httpcore's connection pool with a wrapping ``network_backend`` (httpcore's public
extension point for exactly this), behind a small ``httpx.BaseTransport`` because
``httpx.HTTPTransport`` does not take a backend. Proxies from the environment are mounted by
httpx itself and keep httpx's per-read timeouts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Final

import httpcore
import httpx

PAST: Final = "the request's overall deadline has passed"
_LOCAL = threading.local()

#: httpcore's errors and the httpx error each stands for, most specific first.
_ERRORS: Final[tuple[tuple[type[Exception], type[httpx.HTTPError]], ...]] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.NetworkError, httpx.NetworkError),
)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Run the requests of this thread within ``seconds`` from now (socket time, monotonic)."""
    previous = getattr(_LOCAL, "at", None)
    _LOCAL.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _LOCAL.at = previous


def _bound(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before this thread's deadline (``expired`` if none)."""
    at: float | None = getattr(_LOCAL, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired(PAST)
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int]] | None = None,  # type: ignore[override]
    ) -> httpcore.NetworkStream:
        bounded = _bound(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _Stream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@contextlib.contextmanager
def _as_httpx() -> Iterator[None]:
    """httpcore's errors as the httpx errors the client handles (cause kept)."""
    try:
        yield
    except Exception as exc:
        for found, mapped in _ERRORS:
            if isinstance(exc, found):
                raise mapped(str(exc)) from exc
        raise


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


#: Connections open at once (httpcore's default is 10, which made the 11th concurrent read wait
#: a round trip): as many as the client sends at once (``sending.MAX_IN_FLIGHT``).
MAX_CONNECTIONS: Final = 32


@functools.cache
def _default_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's default context for these ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, built once per
    process (loading the CA bundle takes tens of milliseconds; a context is shared safely)."""
    return httpx.create_ssl_context()


def _default_ssl_context() -> ssl.SSLContext:
    return _default_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


class DeadlineTransport(httpx.BaseTransport):
    """httpx's transport over httpcore's pool, with every socket operation under the deadline."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        context = ssl_context if ssl_context is not None else _default_ssl_context()
        self._pool = httpcore.ConnectionPool(
            ssl_context=context, network_backend=_Backend(), max_connections=MAX_CONNECTIONS
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx():
            answer = self._pool.handle_request(core)
        assert isinstance(answer.stream, Iterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()
