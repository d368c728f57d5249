"""The client's bounds: an overall deadline, a size cap, waits it will not make; and redaction of
every form a secret takes in a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from pytest_sentry_gate.errors import RateLimited, ResponseTooLarge, ServerError, TokenInvalid
from pytest_sentry_gate.redact import MASK, Redactor, url_secrets, without_userinfo
from pytest_sentry_gate.sentry.client import SentryClient
from tests.conftest import CANARY_TOKEN

ISSUES = "/api/0/organizations/acme/issues/"


class FakeClock:
    """A clock that only moves when told (each streamed chunk advances it)."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


class Trickle(httpx.SyncByteStream):
    """A body that arrives one byte per ``step`` seconds of the fake clock, without end."""

    def __init__(self, clock: FakeClock, step: float) -> None:
        self.clock = clock
        self.step = step
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.clock.now += self.step
            self.sent += 1
            yield b" "


class Endless(httpx.SyncByteStream):
    """A body of 64 KiB chunks without end; counts what was read."""

    def __init__(self) -> None:
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.read += 65536
            yield b"x" * 65536


_BUILT: list[SentryClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every client a test built."""
    yield
    while _BUILT:
        _BUILT.pop().close()


def client_for(handler: Any, clock: FakeClock, **kwargs: Any) -> SentryClient:
    sleeps: list[float] = []
    client = SentryClient(
        base_url="http://sentry.test/",
        token=CANARY_TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        clock=clock,
        **kwargs,
    )
    _BUILT.append(client)
    return client


def test_a_trickling_body_stops_at_the_deadline() -> None:
    # Given a server that sends one byte every 2 s (each read is within the read timeout)
    clock = FakeClock()
    stream = Trickle(clock, step=2.0)
    client = client_for(lambda r: httpx.Response(200, stream=stream), clock, deadline=10.0)
    # When the endpoint is read, Then the client stops at the overall deadline, not never
    with pytest.raises(ServerError, match=r"no complete answer within the 10s deadline"):
        client.get(ISSUES)
    assert stream.sent <= 6


def test_a_body_declared_too_large_is_refused_unread() -> None:
    # Given a 300 MB body announced by Content-Length
    stream = Endless()
    headers = {"Content-Length": str(300 * 1024 * 1024)}
    client = client_for(lambda r: httpx.Response(200, headers=headers, stream=stream), FakeClock())
    # When it is read, Then it is refused before a byte of it is read
    with pytest.raises(ResponseTooLarge, match="larger than the 33554432 bytes"):
        client.get(ISSUES)
    assert stream.read == 0


def test_an_undeclared_body_stops_at_the_cap() -> None:
    # Given a chunked body without end and a 1 MiB cap
    stream = Endless()
    client = client_for(
        lambda r: httpx.Response(200, stream=stream), FakeClock(), max_response_bytes=2**20
    )
    # Then reading stops just past the cap
    with pytest.raises(ResponseTooLarge):
        client.get(ISSUES)
    assert stream.read <= 2**20 + 65536


def test_retry_after_beyond_the_longest_wait_stops_at_once() -> None:
    # Given a 429 asking for an hour
    clock = FakeClock()
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "3600"}, json={"detail": "slow down"})

    client = client_for(answer, clock)
    # When read, Then one request, no retry, and the error names when to retry
    with pytest.raises(RateLimited) as caught:
        client.get(ISSUES)
    assert len(calls) == 1
    assert caught.value.reset == clock.now + 3600


@pytest.mark.parametrize(
    "token", [CANARY_TOKEN + "\n", CANARY_TOKEN + "\r\n", "\x00" + CANARY_TOKEN]
)
def test_a_token_that_cannot_be_a_header_is_never_quoted(simulator: Any, token: str) -> None:
    # Given a token with a newline (a pasted CI secret) or a control character, and a real server
    client = SentryClient(base_url=simulator.url, token=token, max_retries=0)
    # When a read is attempted, Then nothing is sent and the error does not carry the token
    with pytest.raises(TokenInvalid) as caught:
        client.get("/api/0/")
    text = str(caught.value) + repr(caught.value)
    assert CANARY_TOKEN not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert "whitespace or a control character" in text
    client.close()


# -- redaction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        lambda t: t,
        lambda t: repr(t),
        lambda t: repr(t.encode()),
        lambda t: f"Illegal header value {('Bearer ' + t).encode()!r}",
        lambda t: json.dumps(t),
        lambda t: quote(t, safe=""),
        lambda t: quote_plus(t),
        lambda t: t.strip(),
        lambda t: "https://user:" + quote(t, safe="") + "@sentry.example/",
    ],
    ids=["raw", "repr", "bytes", "httpx", "json", "quoted", "quote-plus", "stripped", "url"],
)
@pytest.mark.parametrize(
    "secret",
    [CANARY_TOKEN, CANARY_TOKEN + "\n", CANARY_TOKEN + "\r\n", " " + CANARY_TOKEN + "\t"],
    ids=["plain", "lf", "crlf", "spaces"],
)
def test_every_form_of_a_secret_is_redacted(secret: str, form: Any) -> None:
    redact = Redactor([secret])
    text = redact(f"before {form(secret)} after")
    assert "c4n4ry" not in text
    assert MASK in text
    assert text.startswith("before ")
    assert text.endswith(" after")


def test_short_pieces_of_a_secret_stay_visible() -> None:
    # A token split by inner whitespace: long pieces are secret, a two-letter piece is not
    redact = Redactor(["ab " + CANARY_TOKEN])
    assert redact("ab cd " + CANARY_TOKEN) == "ab cd " + MASK


def test_url_credentials() -> None:
    url = f"https://ci:{CANARY_TOKEN}@sentry.example/"
    assert url_secrets(url) == ("ci", CANARY_TOKEN)
    assert without_userinfo(url) == "https://sentry.example/"
    assert without_userinfo("https://sentry.example/") == "https://sentry.example/"
