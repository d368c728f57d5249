"""The Sentry web API client: read-only guard, retries, error mapping, caching, pagination, counts.

Everything this package sends to Sentry goes through one ``httpx.Client`` owned by
``SentryClient``. Its request hook is the read-only guard: only GET/HEAD under ``/api/0/``
(after the base URL's path prefix), plus ``POST /api/<project_id>/envelope/`` when allowed.
Anything else raises ``ReadOnlyViolation`` before a byte is sent. The token travels only in the
``Authorization`` header of ``get`` requests and never appears in a message, repr or response.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import httpx

from pytest_sentry_gate.errors import ApiError, MalformedResponse, ReadOnlyViolation
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
from pytest_sentry_gate.sentry.responses import ENVELOPE_PATH, ApiResponse, Listing, Reader, items
from pytest_sentry_gate.sentry.sending import ENVELOPE_RETRY_STATUSES, RETRY_STATUSES, Sender
from pytest_sentry_gate.sentry.transport import DeadlineTransport

__all__ = ["DEFAULT_TIMEOUT", "USER_AGENT", "ApiResponse", "BearerAuth", "ClientConfig", "gather"]

PAGING: Final = "paging {path}: page {page}"
CURSOR_LOOP: Final = "pagination cursor {cursor!r} came back twice"

Params = Mapping[str, str | int | Sequence[str]]
_Pairs = tuple[tuple[str, str], ...]


def _pairs(params: Params | None) -> _Pairs:
    """Params as (key, value) string pairs, sorted by key (repeated values keep their order)."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(item)) for item in value)
    return tuple(sorted(pairs, key=lambda kv: kv[0]))


def _endpoint(path: str, pairs: _Pairs) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


class SentryClient:
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
    ) -> None:
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
        self._cache: dict[tuple[str, _Pairs], ApiResponse | ApiError] = {}
        self._key_locks: dict[tuple[str, _Pairs], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.request_count = 0

    def __repr__(self) -> str:
        base = self._base.copy_with(username=None, password=None)
        return f"SentryClient(base_url={str(base)!r})"

    def __enter__(self) -> SentryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
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
        key = (path, _pairs(params))
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
        return self._fetch(path, _pairs(params)).data

    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        max_pages: int | None = None,
        cache: bool = True,
        extract: Callable[[ApiResponse], list[Any]] = items,
    ) -> Iterator[list[Any]]:
        """Yield each page's items, following ``rel="next"`` while ``results="true"``.

        ``cache=False`` keeps no page (for a complete walk whose caller keeps only ids);
        ``extract`` reads the items of an answer that is not a plain list.
        """
        for page, _ in self._pages(path, params, max_pages, cache, extract):
            yield page

    def collect(
        self,
        path: str,
        params: Params | None = None,
        *,
        max_pages: int,
        extract: Callable[[ApiResponse], list[Any]] = items,
    ) -> Listing:
        """Every item of a paged list up to ``max_pages``, and whether that was all of it."""
        found: list[Any] = []
        pages, complete = 0, True
        for page, response in self._pages(path, params, max_pages, True, extract):
            found.extend(page)
            pages += 1
            complete = response.next_cursor is None
        return Listing(
            items=tuple(found),
            pages=pages,
            complete=complete,
            endpoint=_endpoint(path, _pairs(params)),
        )

    def _pages(
        self,
        path: str,
        params: Params | None,
        max_pages: int | None,
        cache: bool,
        extract: Callable[[ApiResponse], list[Any]],
    ) -> Iterator[tuple[list[Any], ApiResponse]]:
        query = dict(params or {})
        fetch = self.get if cache else (lambda p, q: self._fetch(p, _pairs(q)))
        response = fetch(path, query)
        seen: set[str] = set()
        pages = 0
        while True:
            yield extract(response), response
            pages += 1
            cursor = response.next_cursor
            if cursor is None or (max_pages is not None and pages >= max_pages):
                return
            if cursor in seen:
                raise MalformedResponse(response.endpoint, CURSOR_LOOP.format(cursor=cursor))
            seen.add(cursor)
            self._report(PAGING.format(path=path, page=pages + 1))
            response = fetch(path, {**query, "cursor": cursor})

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

    def _fetch(self, path: str, pairs: _Pairs) -> ApiResponse:
        endpoint = _endpoint(path, pairs)
        response, attempts = self._sender.send(
            "GET", path, endpoint, params=pairs, auth=self._auth, retry=RETRY_STATUSES
        )
        return self._reader.result(response, endpoint, attempts, empty_ok=False)

    def _report(self, text: str) -> None:
        if self._progress is not None:
            self._progress(text)

    def _redacted(self, text: str) -> str:
        return self._redact(text)
