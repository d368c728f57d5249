"""How the client waits and who it is: ``ClientConfig``, its defaults, the bearer token, ``gather``.

``ClientConfig`` is the seam tests and a ``conftest.py`` replace (timeouts, retries, backoff,
the transport, the clock); ``gather`` runs independent reads of one client concurrently.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Final, TypeVar

import httpx

from pytest_sentry_gate import waits
from pytest_sentry_gate.errors import ApiError


def _version() -> str:
    try:
        return version("pytest-sentry-gate")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


VERSION: Final = _version()

DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=3.0)
USER_AGENT: Final = f"pytest-sentry-gate/{VERSION}"
#: The most threads one ``gather`` reads in (the client bounds the requests in flight too).
GET_MANY_WORKERS: Final = 32
#: One request, its retries and its waits together never take longer than this (seconds).
DEFAULT_DEADLINE: Final = 60.0
#: A body larger than this is refused, not read into memory (bytes, after decompression).
DEFAULT_MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
#: The longest wait a 429 may ask for before the client gives up at once (seconds).
DEFAULT_MAX_RETRY_WAIT: Final = 8.0

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


@dataclass(frozen=True)
class ClientConfig:
    """How the client waits: timeouts, retries and backoff, and the seams tests replace.

    The ``sentry_client_config`` fixture builds one from the settings; a ``conftest.py`` can
    override that fixture (as pytest-recording's ``vcr_config``) to change any field, for example
    ``dataclasses.replace(sentry_client_config, backoff_base=0.0)`` so no test sleeps.
    ``SentryClient.configured`` builds the client from it.
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


def gather(calls: Sequence[Callable[[], _T]]) -> list[_T | ApiError]:
    """Run independent reads concurrently; results in call order, each ``ApiError`` returned.

    Errors that are not ``ApiError`` (the host unreachable, the read-only guard) are raised, the
    first in call order once the reads under way ended (none is started after it): they concern
    every read. The reads run in at most ``GET_MANY_WORKERS`` daemon threads: Ctrl-C or SIGTERM
    comes through at once and starts no more, and a read still waiting for a host that never
    answers holds neither the interrupt nor the end of the process.
    """

    def one(call: Callable[[], _T]) -> _T | ApiError:
        try:
            return call()
        except ApiError as exc:
            return exc

    if len(calls) <= 1:
        return [one(call) for call in calls]
    pending = iter(enumerate(calls))
    taking = threading.Lock()
    stop = threading.Event()  # an interrupt, or an error concerning every read: start no more
    answers: dict[int, _T | ApiError] = {}
    errors: dict[int, BaseException] = {}

    def work() -> None:
        while not stop.is_set():
            with taking:
                index, call = next(pending, (-1, None))
            if call is None:
                return
            try:
                answers[index] = one(call)
            except BaseException as exc:  # raised in the caller's thread, below
                errors[index] = exc
                stop.set()

    workers = [
        threading.Thread(target=work, daemon=True) for _ in range(min(len(calls), GET_MANY_WORKERS))
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            waits.join(worker)  # (Ctrl-C raises here)
    finally:
        stop.set()
    if errors:
        raise errors[min(errors)]
    return [answers[index] for index in range(len(calls))]
