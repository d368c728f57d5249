"""The Sentry web API client: read-only guard, retries, error mapping, caching, pagination, counts.

Everything this package sends to Sentry goes through one ``httpx.Client`` owned by
``SentryClient``. Its request hook is the read-only guard: only GET/HEAD under ``/api/0/``
(after the base URL's path prefix), plus ``POST /api/<project_id>/envelope/`` when allowed.
Anything else raises ``ReadOnlyViolation`` before a byte is sent. The token travels only in the
``Authorization`` header of ``get`` requests and never appears in a message, repr or response.
The retry loop is ``sending.Sender``, the list walks ``paging.Paging``, the configuration seam
``client_config.ClientConfig`` (``SentryClient.configured`` builds a client from one).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from pytest_sentry_gate.errors import ApiError, ReadOnlyViolation
from pytest_sentry_gate.redact import active
from pytest_sentry_gate.sentry.client_config import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    BearerAuth,
    ClientConfig,
    gather,
)
from pytest_sentry_gate.sentry.paging import Paging, Pairs, Params, Received, endpoint_of, pairs
from pytest_sentry_gate.sentry.responses import ENVELOPE_PATH, ApiResponse, Reader
from pytest_sentry_gate.sentry.sending import ENVELOPE_RETRY_STATUSES, RETRY_STATUSES, Sender
from pytest_sentry_gate.sentry.transport import DeadlineTransport

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ApiResponse",
    "BearerAuth",
    "ClientConfig",
    "Params",
    "gather",
]


class SentryClient(Paging):
    """Read-only Sentry web API client: cached GETs, bounded retries, errors from ``errors.py``."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        allow_envelope: bool = False,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        user_agent: str = USER_AGENT,
        progress: Callable[[str], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | None = None,
        environments: tuple[str, ...] = (),
    ) -> None:
        self.environments = environments
        self._progress = progress
        self._auth = BearerAuth(token)
        self._redact = active().add(token)  # the run's redactor (redaction.install), and this token
        self._allow_envelope = allow_envelope
        self._reader = Reader(redact=self._redacted, clock=clock)
        self._user_agent = user_agent
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport if transport is not None else DeadlineTransport(ssl_context),
            verify=ssl_context if ssl_context is not None else True,  # an env proxy's TLS too
            proxy=proxy if transport is None else None,  # (a test transport: no proxy)
            headers={"User-Agent": user_agent},
            event_hooks={"request": [self._guard]},
            follow_redirects=False,
        )
        self._sender = Sender(
            self._http,
            self._reader,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            max_retry_wait=max_retry_wait,
            sleep=sleep,
            clock=clock,
            redact=self._redacted,
        )
        self._base = self._http.base_url
        self._prefix = self._base.path.rstrip("/")
        self._envelope_prefixes = {"", self._prefix}
        self._cache: dict[tuple[str, Pairs], ApiResponse | ApiError] = {}
        self._key_locks: dict[tuple[str, Pairs], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.request_count = 0

    @classmethod
    def configured(
        cls, config: ClientConfig, *, base_url: str, token: str | None, allow_envelope: bool
    ) -> SentryClient:
        """A client with ``config``'s timeouts, retries, backoff and seams."""
        return cls(
            base_url=base_url,
            token=token,
            timeout=httpx.Timeout(
                config.timeout, connect=min(config.timeout, config.connect_timeout)
            ),
            max_retries=config.max_retries,
            backoff_base=config.backoff_base,
            backoff_cap=config.backoff_cap,
            deadline=config.deadline,
            max_response_bytes=config.max_response_bytes,
            max_retry_wait=config.max_retry_wait,
            allow_envelope=allow_envelope,
            transport=config.transport,
            sleep=config.sleep,
            clock=config.clock,
            progress=config.progress,
            ssl_context=config.ssl_context,
            proxy=config.proxy,
            environments=config.environments,
        )

    def __repr__(self) -> str:
        base = self._base.copy_with(username=None, password=None)
        return f"SentryClient(base_url={str(base)!r})"

    def __enter__(self) -> SentryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self, *, wait: bool = True) -> None:
        """Close the connections once the requests in flight (other threads') have ended, or
        after ``QUIESCE_S`` seconds (at once with ``wait=False``: an interrupted run); a request
        after this fails at once."""
        with self._sender.quiesced(wait=wait):
            self._http.close()

    # -- the guard ----------------------------------------------------------------------------

    def _guard(self, request: httpx.Request) -> None:
        """Request hook: refuse anything but reads (and the allowed envelope) before sending."""
        method, path = request.method, request.url.path
        segments = path.split("/")
        allowed = ".." not in segments and "." not in segments
        if method in ("GET", "HEAD"):
            allowed = allowed and path.startswith(f"{self._prefix}/api/0/")
        elif method == "POST" and self._allow_envelope:
            allowed = allowed and any(
                path.startswith(prefix) and ENVELOPE_PATH.fullmatch(path[len(prefix) :])
                for prefix in self._envelope_prefixes
            )
        else:
            allowed = False
        if not allowed:
            query = request.url.query.decode()
            raise ReadOnlyViolation(method, f"{path}?{query}" if query else path)
        with self._count_lock:
            self.request_count += 1

    # -- reads --------------------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None) -> ApiResponse:
        """GET ``path`` (relative to the base URL) once per client; identical calls share it.

        A failure is remembered like a success: every later caller gets the same ``ApiError``
        without a request, so one dead endpoint costs one retry budget per run.
        """
        key = (path, pairs(params))
        outcome = self._cache.get(key)
        if outcome is None:
            with self._locks_lock:
                lock = self._key_locks.setdefault(key, threading.Lock())
            with lock:
                outcome = self._cache.get(key)
                if outcome is None:
                    try:
                        outcome = self._fetch(path, key[1])
                    except ApiError as exc:
                        outcome = exc
                    self._cache[key] = outcome
        if isinstance(outcome, ApiError):
            raise outcome.with_traceback(None)
        return outcome

    def get_json(self, path: str, params: Params | None = None) -> Any:
        return self.get(path, params).data

    def fetch(self, path: str, params: Params | None = None) -> Any:
        """GET ``path`` now, bypassing the session cache (for a poll); returns the JSON body."""
        return self._fetch(path, pairs(params)).data

    # -- the one write ------------------------------------------------------------------------

    def post_envelope(self, *, dsn: str, envelope: bytes) -> ApiResponse:
        """POST one envelope to the DSN's ingest endpoint (only with ``allow_envelope``)."""
        parts = urlsplit(dsn)
        prefix, _, project_id = parts.path.rstrip("/").rpartition("/")
        if not (parts.scheme and parts.hostname and parts.username and project_id.isdigit()):
            raise ValueError("the DSN is not {scheme}://{public_key}@{host}[/path]/{project_id}")
        path = f"/api/{project_id}/envelope/"
        if not self._allow_envelope:
            raise ReadOnlyViolation("POST", path)
        self._redact = self._redact.add(parts.username)
        port = f":{parts.port}" if parts.port else ""
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self._envelope_prefixes.add(prefix)
        headers = {
            "X-Sentry-Auth": (
                f"Sentry sentry_version=7, sentry_client={self._user_agent}, "
                f"sentry_key={parts.username}"
            ),
            "Content-Type": "application/x-sentry-envelope",
        }
        url = f"{parts.scheme}://{host}{port}{prefix}{path}"
        response, attempts = self._sender.send(
            "POST", url, path, content=envelope, headers=headers, retry=ENVELOPE_RETRY_STATUSES
        )
        return self._reader.result(response, path, attempts, empty_ok=True)

    # -- internals ----------------------------------------------------------------------------

    def _fetch(self, path: str, pairs: Pairs) -> ApiResponse:
        return self._answer(self._receive(path, pairs))

    def _receive(self, path: str, pairs: Pairs) -> Received:
        """One GET, its body read, not yet parsed (a list walk asks for its next page meanwhile:
        ``read_ahead``)."""
        endpoint = endpoint_of(path, pairs)
        response, attempts = self._sender.send(
            "GET", path, endpoint, params=pairs, auth=self._auth, retry=RETRY_STATUSES
        )
        return Received(response, endpoint, attempts)

    def _answer(self, received: Received) -> ApiResponse:
        response, endpoint, attempts = received
        return self._reader.result(response, endpoint, attempts, empty_ok=False)

    def _report(self, text: str) -> None:
        if self._progress is not None:
            self._progress(text)

    def _redacted(self, text: str) -> str:
        return self._redact(text)
