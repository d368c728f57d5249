"""One request with its retries: backoff, ``Retry-After``, the deadline, the size cap, dead hosts.

``Sender`` is the part of ``SentryClient`` that talks to the network. It sends one request
through the client's ``httpx.Client`` (whose request hook is the read-only guard), retries what
may be retried within one deadline, reads the body in chunks under a size cap, and remembers a
host that timed out or could not be reached so that every later request to it fails at once.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Final

import httpx

from pytest_sentry_gate import waits
from pytest_sentry_gate.errors import (
    RateLimited,
    ResponseTooLarge,
    SentryGateError,
    ServerError,
    TokenInvalid,
)
from pytest_sentry_gate.sentry.network import connect_failure
from pytest_sentry_gate.sentry.responses import Reader, float_header
from pytest_sentry_gate.sentry.transport import MAX_CONNECTIONS, deadline

#: The most requests one client has in flight at once, whatever the threads asking (well under
#: Sentry's default concurrency limit of 100 per caller; triage's details are at most 30).
MAX_IN_FLIGHT: Final = MAX_CONNECTIONS
#: How long closing the client waits for the requests still in flight (``Sender.quiesced``).
QUIESCE_S: Final = 2.0
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
ENVELOPE_RETRY_STATUSES: Final = frozenset({500, 502, 503, 504})
TIMED_OUT: Final = "timed out after {seconds:g}s ({attempts} attempts)"
CONNECTION_LOST: Final = "connection lost ({error}) after {attempts} attempts"
PAST_DEADLINE: Final = "no complete answer within the {seconds:g}s deadline ({attempts} attempts)"
TOO_LARGE: Final = "the body is larger than the {cap} bytes this client reads ({size})"
WAIT_TOO_LONG: Final = "Sentry asks to wait {wait:.0f}s, longer than the {cap:g}s this run waits"
ILLEGAL_REQUEST: Final = (
    "the token holds whitespace or a control character, so no request was sent ({kind})"
)

Pairs = tuple[tuple[str, str], ...]
Host = tuple[str, str, int | None]


class Sender:
    """Sends requests with bounded retries within a deadline (``SentryClient`` owns one)."""

    def __init__(
        self,
        http: httpx.Client,
        reader: Reader,
        *,
        timeout: httpx.Timeout,
        max_retries: int,
        backoff_base: float,
        backoff_cap: float,
        deadline: float,
        max_response_bytes: int,
        max_retry_wait: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        redact: Callable[[str], str],
    ) -> None:
        self._http = http
        self._reader = reader
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._deadline = deadline
        self._max_bytes = max_response_bytes
        self._max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._clock = clock
        self._redact = redact
        #: A host that timed out or could not be reached: every later request fails at once.
        self._down: dict[Host, SentryGateError] = {}
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)

    def send(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        retry: frozenset[int],
        params: Pairs = (),
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> tuple[httpx.Response, int]:
        """Send with bounded retries, within the deadline; the body is read here, capped (off the
        main thread: Ctrl-C comes through at once, ``waits``)."""
        call = functools.partial(
            self._send, method, url, endpoint, retry, params, content, headers, auth
        )
        return waits.call(call)

    def _send(
        self,
        method: str,
        url: str,
        endpoint: str,
        retry: frozenset[int],
        params: Pairs,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | None,
    ) -> tuple[httpx.Response, int]:
        attempts = self._max_retries + 1
        started = self._clock()
        target = self._http.base_url.join(url)
        host = (target.scheme, target.host, target.port)
        for attempt in range(1, attempts + 1):
            self._raise_if_down(host)
            try:
                request = self._http.build_request(
                    method, url, params=params, content=content, headers=headers
                )
                with self._in_flight:  # bounded concurrency: one client, MAX_IN_FLIGHT at once
                    response = self._attempt(request, auth, endpoint, started, attempt)
            except httpx.LocalProtocolError:
                # httpx's text is "Illegal header value b'Bearer <token>\n'": never keep it.
                raise TokenInvalid(ILLEGAL_REQUEST.format(kind="illegal header value")) from None
            except httpx.TransportError as exc:
                error = self._failure(exc, str(target), endpoint, started, attempt, attempts)
                if error is not None:  # reads that were in flight meanwhile say the same
                    raise self._down.setdefault(host, error).with_traceback(None) from None
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

    @contextlib.contextmanager
    def quiesced(self, *, wait: bool = True) -> Iterator[None]:
        """No attempt in flight while the body runs, as far as ``QUIESCE_S`` allows (no wait at
        all with ``wait=False``): each one under way is waited for (up to that in all; a host
        that hangs must not hold the end of the run for a whole deadline) and none starts
        meanwhile. The client closes its pool in here: a pool closed under an attempt that is
        still connecting would leave that connection open (an attempt still reading is cut, its
        socket closed with the pool)."""
        ends = time.monotonic() + (QUIESCE_S if wait else 0.0)
        held = 0
        try:
            for _ in range(MAX_IN_FLIGHT):
                if not self._in_flight.acquire(timeout=max(0.0, ends - time.monotonic())):
                    break
                held += 1
            yield
        finally:
            for _ in range(held):
                self._in_flight.release()

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
            return connect_failure(exc, url, self._redact(str(exc)))
        if attempt < attempts and not self._past(started, self._backoff(attempt)):
            return None
        if isinstance(exc, httpx.TimeoutException):
            message = TIMED_OUT.format(seconds=self._timeout.read or 0.0, attempts=attempt)
        else:
            message = CONNECTION_LOST.format(error=type(exc).__name__, attempts=attempt)
        return ServerError(endpoint, message)

    def _raise_if_down(self, host: Host) -> None:
        """Fail at once, with the same error, when this host already failed a request by not
        answering or not being reachable: a dead host costs one retry budget per run."""
        error = self._down.get(host)
        if error is not None:
            raise error.with_traceback(None)

    def _attempt(
        self,
        request: httpx.Request,
        auth: httpx.Auth | None,
        endpoint: str,
        started: float,
        attempt: int,
    ) -> httpx.Response:
        """One request; its body is read in chunks, refused past the size cap or the deadline."""
        # Connect, headers and body within what is left of the deadline (``transport.py``).
        left = self._deadline - (self._clock() - started)
        with deadline(left):
            response = self._http.send(request, auth=auth, stream=True)
            try:
                body = self._read(response, endpoint, started, attempt)
            finally:
                response.close()
        return _read_response(response, body)

    def _read(self, response: httpx.Response, endpoint: str, started: float, attempt: int) -> bytes:
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
                raise ResponseTooLarge(endpoint, TOO_LARGE.format(cap=self._max_bytes, size=size))
            if self._past(started, 0.0):
                message = PAST_DEADLINE.format(seconds=self._deadline, attempts=attempt)
                raise ServerError(endpoint, message)
            chunks.append(chunk)
        return b"".join(chunks)

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
