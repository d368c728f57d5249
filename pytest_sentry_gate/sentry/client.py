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
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

from pytest_sentry_gate.errors import (
    ApiError,
    MalformedResponse,
    RateLimited,
    ReadOnlyViolation,
    ResponseTooLarge,
    SentryGateError,
    ServerError,
    TokenInvalid,
)
from pytest_sentry_gate.redact import active
from pytest_sentry_gate.sentry.network import connect_failure
from pytest_sentry_gate.sentry.responses import (
    ENVELOPE_PATH,
    ApiResponse,
    Listing,
    Reader,
    float_header,
    items,
)
from pytest_sentry_gate.sentry.transport import MAX_CONNECTIONS, DeadlineTransport, deadline


def _version() -> str:
    try:
        return version("pytest-sentry-gate")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


VERSION: Final = _version()

DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=3.0)
USER_AGENT: Final = f"pytest-sentry-gate/{VERSION}"
GET_MANY_WORKERS: Final = 32
#: The most requests one client has in flight at once, whatever the threads asking (well under
#: Sentry's default concurrency limit of 100 per caller; triage's details are at most 30).
MAX_IN_FLIGHT: Final = MAX_CONNECTIONS
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
ENVELOPE_RETRY_STATUSES: Final = frozenset({500, 502, 503, 504})
TIMED_OUT: Final = "timed out after {seconds:g}s ({attempts} attempts)"
CONNECTION_LOST: Final = "connection lost ({error}) after {attempts} attempts"
PAGING: Final = "paging {path}: page {page}"
CURSOR_LOOP: Final = "pagination cursor {cursor!r} came back twice"
#: One request, its retries and its waits together never take longer than this (seconds).
DEFAULT_DEADLINE: Final = 60.0
#: A body larger than this is refused, not read into memory (bytes, after decompression).
DEFAULT_MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
#: The longest wait a 429 may ask for before the client gives up at once (seconds).
DEFAULT_MAX_RETRY_WAIT: Final = 8.0
PAST_DEADLINE: Final = "no complete answer within the {seconds:g}s deadline ({attempts} attempts)"
TOO_LARGE: Final = "the body is larger than the {cap} bytes this client reads ({size})"
WAIT_TOO_LONG: Final = "Sentry asks to wait {wait:.0f}s, longer than the {cap:g}s this run waits"
ILLEGAL_REQUEST: Final = (
    "the token holds whitespace or a control character, so no request was sent ({kind})"
)

Params = Mapping[str, str | int | Sequence[str]]
_Pairs = tuple[tuple[str, str], ...]
_T = TypeVar("_T")


class BearerAuth(httpx.Auth):
    """Sets ``Authorization: Bearer <token>`` when a token is set, and yields."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth(token={'<set>' if self._token else None})"


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


@dataclass(frozen=True)
class ClientConfig:
    """How the client waits: timeouts, retries and backoff, and the seams tests replace.

    The ``sentry_client_config`` fixture builds one from the settings; a ``conftest.py`` can
    override that fixture (as pytest-recording's ``vcr_config``) to change any field, for example
    ``dataclasses.replace(sentry_client_config, backoff_base=0.0)`` so no test sleeps.
    """

    timeout: float = 10.0
    connect_timeout: float = 3.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    deadline: float = DEFAULT_DEADLINE
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    #: Told how far a long wait got (one short line); the plugin shows it on a terminal only.
    progress: Callable[[str], None] | None = None
    #: TLS (``[http] ca_certs`` / ``verify_ssl``; ``None``: httpx's default, with
    #: ``SSL_CERT_FILE``) and a proxy (``[http] proxy_url``; ``None``: httpx's ``HTTPS_PROXY``).
    ssl_context: ssl.SSLContext | None = None
    proxy: str | None = None
    #: The Sentry environments every issue and session query is filtered by (``scope.py``).
    environments: tuple[str, ...] = ()

    def client(self, *, base_url: str, token: str | None, allow_envelope: bool) -> SentryClient:
        """A client with this configuration."""
        return SentryClient(
            base_url=base_url,
            token=token,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, self.connect_timeout)),
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            deadline=self.deadline,
            max_response_bytes=self.max_response_bytes,
            max_retry_wait=self.max_retry_wait,
            allow_envelope=allow_envelope,
            transport=self.transport,
            sleep=self.sleep,
            clock=self.clock,
            progress=self.progress,
            ssl_context=self.ssl_context,
            proxy=self.proxy,
            environments=self.environments,
        )


def gather(calls: Sequence[Callable[[], _T]]) -> list[_T | ApiError]:
    """Run independent reads concurrently; results in call order, each ``ApiError`` returned.

    Errors that are not ``ApiError`` (the host unreachable, the read-only guard) are raised:
    they concern every read.
    """

    def one(call: Callable[[], _T]) -> _T | ApiError:
        try:
            return call()
        except ApiError as exc:
            return exc

    if len(calls) <= 1:
        return [one(call) for call in calls]
    with ThreadPoolExecutor(max_workers=GET_MANY_WORKERS) as pool:
        return list(pool.map(one, calls))


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
        environments: tuple[str, ...] = (),
    ) -> None:
        self.environments = environments
        self._progress = progress
        self._auth = BearerAuth(token)
        self._redact = active().add(token)  # the run's redactor (redaction.install), and this token
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._deadline = deadline
        self._max_bytes = max_response_bytes
        self._max_retry_wait = max_retry_wait
        self._allow_envelope = allow_envelope
        self._sleep = sleep
        self._clock = clock
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
        self._base = self._http.base_url
        self._prefix = self._base.path.rstrip("/")
        self._envelope_prefixes = {"", self._prefix}
        self._cache: dict[tuple[str, _Pairs], ApiResponse | ApiError] = {}
        #: A host that timed out or could not be reached: every later request fails at once.
        self._down: dict[tuple[str, str, int | None], SentryGateError] = {}
        self._key_locks: dict[tuple[str, _Pairs], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
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
        response, attempts = self._send(
            "POST", url, path, content=envelope, headers=headers, retry=ENVELOPE_RETRY_STATUSES
        )
        return self._reader.result(response, path, attempts, empty_ok=True)

    # -- internals ----------------------------------------------------------------------------

    def _fetch(self, path: str, pairs: _Pairs) -> ApiResponse:
        endpoint = _endpoint(path, pairs)
        response, attempts = self._send(
            "GET", path, endpoint, params=pairs, auth=self._auth, retry=RETRY_STATUSES
        )
        return self._reader.result(response, endpoint, attempts, empty_ok=False)

    def _send(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        retry: frozenset[int],
        params: _Pairs = (),
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> tuple[httpx.Response, int]:
        """Send with bounded retries, within the deadline; the body is read here, capped."""
        attempts = self._max_retries + 1
        started = self._clock()
        target = self._base.join(url)
        host = (target.scheme, target.host, target.port)
        for attempt in range(1, attempts + 1):
            self._raise_if_down(host)
            try:
                with self._in_flight:  # bounded concurrency: one client, MAX_IN_FLIGHT at once
                    response = self._attempt(
                        method, url, endpoint, started, attempt, params, content, headers, auth
                    )
            except httpx.LocalProtocolError:
                # httpx's text is "Illegal header value b'Bearer <token>\n'": never keep it.
                raise TokenInvalid(ILLEGAL_REQUEST.format(kind="illegal header value")) from None
            except httpx.TransportError as exc:
                error = self._failure(exc, str(target), endpoint, started, attempt, attempts)
                if error is not None:
                    self._down.setdefault(host, error)
                    raise error from None
            else:
                if response.status_code not in retry or attempt == attempts:
                    return response, attempt
                delay = self._delay(response, attempt)
                if response.status_code == 429 and delay > self._max_retry_wait:
                    raise self._wait_too_long(response, endpoint, delay, attempt)
                if self._past(started, delay):
                    return response, attempt
                self._sleep(delay)
                continue
            self._sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(
        self,
        exc: httpx.TransportError,
        url: str,
        endpoint: str,
        started: float,
        attempt: int,
        attempts: int,
    ) -> SentryGateError | None:
        """The error a failed attempt ends the request with, or ``None`` to try again."""
        if isinstance(exc, httpx.TimeoutException) and self._past(started, 0.0):
            return ServerError(
                endpoint, PAST_DEADLINE.format(seconds=self._deadline, attempts=attempt)
            )
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return connect_failure(exc, url, self._redacted(str(exc)))
        if attempt < attempts and not self._past(started, self._backoff(attempt)):
            return None
        if isinstance(exc, httpx.TimeoutException):
            message = TIMED_OUT.format(seconds=self._timeout.read or 0.0, attempts=attempt)
        else:
            message = CONNECTION_LOST.format(error=type(exc).__name__, attempts=attempt)
        return ServerError(endpoint, message)

    def _raise_if_down(self, host: tuple[str, str, int | None]) -> None:
        """Fail at once, with the same error, when this host already failed a request by not
        answering or not being reachable: a dead host costs one retry budget per run."""
        error = self._down.get(host)
        if error is not None:
            raise error.with_traceback(None)

    def _attempt(
        self,
        method: str,
        url: str,
        endpoint: str,
        started: float,
        attempt: int,
        params: _Pairs,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | None,
    ) -> httpx.Response:
        """One request; its body is read in chunks, refused past the size cap or the deadline."""
        request = self._http.build_request(
            method, url, params=params, content=content, headers=headers
        )
        # Connect, headers and body within what is left of the deadline (``transport.py``).
        left = self._deadline - (self._clock() - started)
        with deadline(left):
            return self._read(request, auth, endpoint, started, attempt)

    def _read(
        self,
        request: httpx.Request,
        auth: httpx.Auth | None,
        endpoint: str,
        started: float,
        attempt: int,
    ) -> httpx.Response:
        response = self._http.send(request, auth=auth, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                size = f"Content-Length {declared}"
                raise ResponseTooLarge(endpoint, TOO_LARGE.format(cap=self._max_bytes, size=size))
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > self._max_bytes:
                    size = f"more than {self._max_bytes} read"
                    message = TOO_LARGE.format(cap=self._max_bytes, size=size)
                    raise ResponseTooLarge(endpoint, message)
                if self._past(started, 0.0):
                    message = PAST_DEADLINE.format(seconds=self._deadline, attempts=attempt)
                    raise ServerError(endpoint, message)
                chunks.append(chunk)
        finally:
            response.close()
        return _read_response(response, b"".join(chunks))

    def _past(self, started: float, wait: float) -> bool:
        """Whether waiting ``wait`` more seconds would end past the request's deadline."""
        return self._clock() + wait - started > self._deadline

    def _wait_too_long(
        self, response: httpx.Response, endpoint: str, wait: float, attempt: int
    ) -> RateLimited:
        error = self._reader.error(response, endpoint, attempt)
        reset = error.reset if isinstance(error, RateLimited) else None
        message = WAIT_TOO_LONG.format(wait=wait, cap=self._max_retry_wait)
        return RateLimited(endpoint, message, reset=reset or self._clock() + wait)

    def _backoff(self, attempt: int) -> float:
        return float(min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1)))

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code == 429:
            reset = float_header(response, "X-Sentry-Rate-Limit-Reset")
            wait = reset - self._clock() if reset is not None else None
            if wait is None:
                wait = float_header(response, "Retry-After")
            if wait is not None:
                return max(0.0, wait)
        return self._backoff(attempt)

    def _report(self, text: str) -> None:
        if self._progress is not None:
            self._progress(text)

    def _redacted(self, text: str) -> str:
        return self._redact(text)


def _read_response(streamed: httpx.Response, body: bytes) -> httpx.Response:
    """What ``Response.read()`` gives, for a body read with the caps applied: a new response
    built with httpx's public constructor (the body is decoded: the wire headers go)."""
    wire = ("content-encoding", "content-length", "transfer-encoding")
    headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in wire]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=body,
        request=streamed.request,
        extensions=streamed.extensions,
        history=streamed.history,
    )
