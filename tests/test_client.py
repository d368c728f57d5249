"""The Sentry client's own unit tests, on ``httpx.MockTransport`` (nothing leaves the process)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_sentry_gate.errors import (
    ApiError,
    AuthError,
    MalformedResponse,
    NetworkUnavailable,
    NotFound,
    ProjectMoved,
    RateLimited,
    ReadOnlyViolation,
    ScopeError,
    ServerError,
)
from pytest_sentry_gate.sentry.client import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    ApiResponse,
    BearerAuth,
    SentryClient,
)

CANARY = "sntryu_" + "c4n4ry" * 10 + "cafe"
PUBLIC_KEY = "5ca1ab1ec0ffee5ca1ab1ec0ffee0042"
DSN = f"https://{PUBLIC_KEY}@o1.ingest.example.test/4242"
ISSUES = "/api/0/organizations/acme/issues/"
NOW = 1_750_000_000.0

Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """A MockTransport handler that records every request and answers from a function."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return self.answer(request)


def json_ok(data: Any = None, **headers: str) -> Handler:
    return lambda request: httpx.Response(
        200, json=data if data is not None else {}, headers=headers
    )


def link(cursor: str, *, more: bool) -> str:
    url = f"http://sentry.test{ISSUES}?&cursor="
    return (
        f'<{url}0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
        f'<{url}{cursor}>; rel="next"; results="{"true" if more else "false"}"; cursor="{cursor}"'
    )


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the client asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def make(sleeps: list[float]) -> Iterator[Callable[..., tuple[SentryClient, Server]]]:
    """Build a client with the canary token over a recording MockTransport."""
    clients: list[SentryClient] = []

    def build(answer: Handler, **kwargs: Any) -> tuple[SentryClient, Server]:
        server = Server(answer)
        options: dict[str, Any] = {
            "base_url": "http://sentry.test/",
            "token": CANARY,
            "transport": httpx.MockTransport(server),
            "sleep": sleeps.append,
            "clock": lambda: NOW,
            **kwargs,
        }
        client = SentryClient(**options)
        clients.append(client)
        return client, server

    yield build
    for client in clients:
        client.close()


def assert_no_canary(*objects: object) -> None:
    for obj in objects:
        assert CANARY not in str(obj)
        assert CANARY not in repr(obj)
        assert PUBLIC_KEY not in str(obj)
        assert PUBLIC_KEY not in repr(obj)


# -- requests as sent --------------------------------------------------------------------------


def test_bearer_token_and_user_agent_are_sent(make: Any) -> None:
    # Given a client with a token
    client, server = make(json_ok({"version": "0"}))

    # When it reads the API root
    data = client.get_json("/api/0/")

    # Then the request carries the bearer token and our user agent
    assert data == {"version": "0"}
    sent = server.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {CANARY}"
    assert sent.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("pytest-sentry-gate/")


def test_no_token_sends_no_authorization(make: Any) -> None:
    # Given a client without a token
    client, server = make(json_ok(), token=None)

    # When it reads
    client.get("/api/0/")

    # Then no Authorization header is sent
    assert "Authorization" not in server.requests[0].headers


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://sentry.test", "http://sentry.test/api/0/projects/acme/app/"),
        ("http://sentry.test/", "http://sentry.test/api/0/projects/acme/app/"),
        ("http://sentry.test/sentry/", "http://sentry.test/sentry/api/0/projects/acme/app/"),
        ("http://sentry.test/sentry", "http://sentry.test/sentry/api/0/projects/acme/app/"),
    ],
)
def test_paths_join_the_base_url(make: Any, base_url: str, expected: str) -> None:
    # Given a base URL with or without a trailing slash or a self-hosted prefix
    client, server = make(json_ok(), base_url=base_url)

    # When a path is read
    client.get("/api/0/projects/acme/app/")

    # Then it is appended to the base URL
    assert str(server.requests[0].url) == expected


def test_params_are_sent_sorted_with_repeats(make: Any) -> None:
    # Given params with a repeated key
    client, server = make(json_ok([]))

    # When they are sent
    response = client.get(ISSUES, {"query": "is:unresolved", "project": ["1", "2"], "limit": 1})

    # Then the query string is sorted by key and the endpoint names it
    assert server.requests[0].url.query == b"limit=1&project=1&project=2&query=is%3Aunresolved"
    assert response.endpoint == f"{ISSUES}?limit=1&project=1&project=2&query=is%3Aunresolved"


def test_default_timeout_is_short_to_connect() -> None:
    # Given / When the module default
    # Then connect is bounded tighter than reads
    assert (DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.read) == (3.0, 10.0)


# -- caching -----------------------------------------------------------------------------------


def test_identical_requests_are_fetched_once(make: Any) -> None:
    # Given a client
    client, server = make(json_ok([{"id": "1"}]))

    # When the same path and params are read twice (params in a different order)
    first = client.get(ISSUES, {"query": "is:unresolved", "limit": 100})
    second = client.get(ISSUES, {"limit": 100, "query": "is:unresolved"})

    # Then one request was sent and both callers share the answer
    assert len(server.requests) == 1
    assert client.request_count == 1
    assert first is second


def test_different_params_are_fetched_separately(make: Any) -> None:
    # Given a client
    client, server = make(json_ok([]))

    # When two different queries are read
    client.get(ISSUES, {"query": "is:unresolved"})
    client.get(ISSUES, {"query": "is:resolved"})

    # Then two requests were sent
    assert len(server.requests) == 2


def test_concurrent_identical_requests_make_one_request(make: Any) -> None:
    # Given a slow server
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        return httpx.Response(200, json={"ok": True})

    client, server = make(slow)

    # When eight threads read the same endpoint at once
    results: list[ApiResponse] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.get("/api/0/"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then only one request reached the server
    assert len(server.requests) == 1
    assert len(results) == 8
    assert all(result is results[0] for result in results)


# -- pagination and counts ---------------------------------------------------------------------


def paged(pages: int, size: int, *, hits: int | None = None) -> Handler:
    """Serve ``pages`` pages of ``size`` items; cursor "0:<n>:0" is page n."""

    def answer(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor", "0:0:0")
        page = int(cursor.split(":")[1])
        items = [{"id": str(page * size + i)} for i in range(size)]
        headers = {"Link": link(f"0:{page + 1}:0", more=page + 1 < pages)}
        if hits is not None:
            headers["X-Hits"] = str(hits)
        return httpx.Response(200, json=items, headers=headers)

    return answer


def test_paginate_follows_next_while_results_true(make: Any) -> None:
    # Given three pages, the last saying results="false"
    client, server = make(paged(3, 2))

    # When every page is read
    pages = list(client.paginate(ISSUES, {"limit": 2}))

    # Then three requests were sent, each later one with the next cursor
    assert [[item["id"] for item in page] for page in pages] == [["0", "1"], ["2", "3"], ["4", "5"]]
    assert [r.url.params.get("cursor") for r in server.requests] == [None, "0:1:0", "0:2:0"]
    assert all(r.url.params["limit"] == "2" for r in server.requests)


def test_paginate_stops_at_max_pages_and_caches_pages(make: Any) -> None:
    # Given many pages
    client, server = make(paged(10, 1))

    # When the first two pages are read twice
    first = list(client.paginate(ISSUES, max_pages=2))
    again = list(client.paginate(ISSUES, max_pages=2))

    # Then two requests were sent in all
    assert len(first) == len(again) == 2
    assert len(server.requests) == 2


def test_paginate_refuses_a_non_list_page(make: Any) -> None:
    # Given an endpoint that answers with an object
    client, _ = make(json_ok({"detail": "not a list"}))

    # When / Then paginating it is a malformed response
    with pytest.raises(MalformedResponse, match="expected a JSON list"):
        list(client.paginate(ISSUES))


def sequence(*responses: httpx.Response) -> Handler:
    queue = list(responses)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


def test_429_beyond_the_longest_wait_stops_at_once(make: Any, sleeps: list[float]) -> None:
    # Given a 429 whose reset is 100 s away (beyond the 8 s this run waits), then a 200
    reset = {"X-Sentry-Rate-Limit-Reset": str(int(NOW + 100))}
    client, server = make(
        sequence(httpx.Response(429, headers=reset), httpx.Response(200, json=[])),
        max_retry_wait=8.0,
    )

    # When the endpoint is read
    with pytest.raises(RateLimited) as caught:
        client.get(ISSUES)

    # Then the client gave up at once, without sleeping, naming when Sentry allows a retry
    assert sleeps == []
    assert len(server.requests) == 1
    assert caught.value.reset == NOW + 100
    assert "asks to wait 100s, longer than the 8s this run waits" in str(caught.value)


def test_429_waits_reset_minus_now_when_short(make: Any, sleeps: list[float]) -> None:
    # Given a 429 whose reset is 3 s away, then a 200
    reset = {"X-Sentry-Rate-Limit-Reset": str(int(NOW + 3))}
    client, _ = make(sequence(httpx.Response(429, headers=reset), httpx.Response(200, json=[])))

    # When the endpoint is read
    client.get(ISSUES)

    # Then it waited exactly until the reset
    assert sleeps == [3.0]


def test_429_honours_retry_after(make: Any, sleeps: list[float]) -> None:
    # Given a 429 with Retry-After only
    client, _ = make(
        sequence(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=[]))
    )

    # When the endpoint is read
    client.get(ISSUES)

    # Then it waited the Retry-After seconds
    assert sleeps == [2.0]


def test_429_forever_is_rate_limited_with_reset(make: Any, sleeps: list[float]) -> None:
    # Given a server that always rate-limits, each time for a wait this run accepts
    reset = {"X-Sentry-Rate-Limit-Reset": str(int(NOW + 3))}
    detail = {"detail": "You are attempting to use this endpoint too frequently."}
    client, server = make(lambda r: httpx.Response(429, json=detail, headers=reset), max_retries=2)

    # When / Then it gives up with RateLimited naming the reset
    with pytest.raises(RateLimited) as caught:
        client.get(ISSUES)
    assert caught.value.reset == NOW + 3
    assert len(server.requests) == 3
    assert "too frequently" in str(caught.value)


def test_503_twice_then_200_backs_off_exponentially(make: Any, sleeps: list[float]) -> None:
    # Given two 503s then a 200
    client, server = make(
        sequence(httpx.Response(503), httpx.Response(503), httpx.Response(200, json={"a": 1})),
        backoff_base=0.5,
    )

    # When the endpoint is read
    data = client.get_json("/api/0/")

    # Then it retried with doubling waits and succeeded
    assert data == {"a": 1}
    assert sleeps == [0.5, 1.0]
    assert len(server.requests) == 3


def test_backoff_is_capped(make: Any, sleeps: list[float]) -> None:
    # Given a server that always answers 502
    client, _ = make(lambda r: httpx.Response(502), max_retries=5, backoff_cap=3.0)

    # When / Then the waits double up to the cap
    with pytest.raises(ServerError):
        client.get("/api/0/")
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_500_forever_is_server_error_after_bounded_attempts(make: Any) -> None:
    # Given a server that always fails
    client, server = make(lambda r: httpx.Response(500), max_retries=3)

    # When / Then the client gives up after max_retries + 1 attempts, naming the endpoint
    with pytest.raises(ServerError) as caught:
        client.get(ISSUES, {"query": "is:unresolved"})
    assert len(server.requests) == 4
    assert caught.value.status == 500
    assert caught.value.endpoint == f"{ISSUES}?query=is%3Aunresolved"
    assert f"{ISSUES}?query=is%3Aunresolved" in str(caught.value)
    assert "4 attempts" in str(caught.value)


def test_read_timeouts_become_server_error(make: Any, sleeps: list[float]) -> None:
    # Given a server that never answers in time
    def too_slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, server = make(too_slow, max_retries=2)

    # When / Then the client retries, then says it timed out and after how long
    with pytest.raises(ServerError, match=r"timed out after 10s \(3 attempts\)"):
        client.get("/api/0/")
    assert len(server.requests) == 3
    assert len(sleeps) == 2


def test_a_timeout_then_success_recovers(make: Any) -> None:
    # Given one read timeout then a 200
    calls = iter([False, True])

    def flaky(request: httpx.Request) -> httpx.Response:
        if not next(calls):
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json=[])

    client, _ = make(flaky)

    # When / Then the read succeeds
    assert client.get_json(ISSUES) == []


def test_connection_reset_is_retried_then_server_error(make: Any) -> None:
    # Given a server that drops the connection
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    client, server = make(reset, max_retries=1)

    # When / Then it retried once and failed as a server problem
    with pytest.raises(ServerError, match="ReadError"):
        client.get("/api/0/")
    assert len(server.requests) == 2


# -- error mapping -----------------------------------------------------------------------------


def test_non_json_body_is_malformed(make: Any) -> None:
    # Given an HTML page where JSON was expected
    client, _ = make(lambda r: httpx.Response(200, text="<html>login</html>"))

    # When / Then it is a malformed response
    with pytest.raises(MalformedResponse, match="not JSON") as caught:
        client.get(ISSUES)
    assert caught.value.endpoint == ISSUES


def test_401_is_auth_error(make: Any) -> None:
    # Given a server that rejects the token
    detail = {"detail": "Invalid token"}
    client, _ = make(lambda r: httpx.Response(401, json=detail))

    # When / Then
    with pytest.raises(AuthError, match="Invalid token") as caught:
        client.get("/api/0/organizations/acme/")
    assert caught.value.endpoint == "/api/0/organizations/acme/"


#: Sentry's 403 body: it never names a scope (``shared/reference/sentry-api.md`` §12).
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
CHALLENGE = 'Bearer realm="api", error="insufficient_scope", scope="event:admin event:read"'


def test_403_names_the_scope_from_www_authenticate(make: Any) -> None:
    # Given a SaaS 403: generic body, the scopes in WWW-Authenticate
    client, _ = make(
        lambda r: httpx.Response(403, json=FORBIDDEN, headers={"WWW-Authenticate": CHALLENGE})
    )

    # When / Then the scopes come from the header
    with pytest.raises(ScopeError) as caught:
        client.get(ISSUES)
    assert caught.value.missing_scope == "event:admin, event:read"


def test_403_without_challenge_names_the_scope_from_the_endpoint_table(make: Any) -> None:
    # Given an older or self-hosted server: the generic body only
    client, _ = make(lambda r: httpx.Response(403, json=FORBIDDEN))

    # When / Then the scope is the endpoint table's, said to be inferred
    with pytest.raises(ScopeError) as caught:
        client.get("/api/0/projects/acme/codictate/")
    assert caught.value.missing_scope is not None
    assert caught.value.missing_scope.startswith("project:read or project:admin or project:write")
    assert "from the endpoint table" in caught.value.missing_scope


def test_302_of_a_renamed_project_names_the_new_slug(make: Any) -> None:
    # Given Sentry's ProjectMoved answer for a renamed project
    body = {"detail": {"code": "resource-moved", "message": "Resource has been moved"}}
    location = "/api/0/projects/acme/dictate/"
    client, _ = make(lambda r: httpx.Response(302, json=body, headers={"Location": location}))

    # When / Then the error says renamed, with the new slug
    with pytest.raises(ProjectMoved) as caught:
        client.get("/api/0/projects/acme/codictate/")
    assert caught.value.slug == "dictate"
    assert "renamed to 'dictate'" in str(caught.value)


def test_404_is_not_found(make: Any) -> None:
    # Given a missing project
    client, _ = make(
        lambda r: httpx.Response(404, json={"detail": "The requested resource does not exist"})
    )

    # When / Then
    with pytest.raises(NotFound, match="does not exist") as caught:
        client.get("/api/0/projects/acme/nope/")
    assert caught.value.endpoint == "/api/0/projects/acme/nope/"


def test_other_4xx_is_api_error_with_status(make: Any) -> None:
    # Given a 400 for a bad per_page
    detail = {"detail": "Invalid per_page value. Must be between 1 and 100."}
    client, _ = make(lambda r: httpx.Response(400, json=detail))

    # When / Then
    with pytest.raises(ApiError, match="Invalid per_page") as caught:
        client.get(ISSUES, {"per_page": 500})
    assert caught.value.status == 400
    assert type(caught.value) is ApiError


def test_long_detail_is_truncated(make: Any) -> None:
    # Given a server detail of 5,000 characters
    client, _ = make(lambda r: httpx.Response(404, json={"detail": "x" * 5000}))

    # When / Then the error carries at most 200 characters of it
    with pytest.raises(NotFound) as caught:
        client.get(ISSUES)
    assert caught.value.message == "x" * 200


def test_redirect_is_not_followed(make: Any) -> None:
    # Given a server that redirects elsewhere
    client, server = make(
        lambda r: httpx.Response(302, headers={"Location": "https://elsewhere.test/"})
    )

    # When / Then the redirect is reported, not followed
    with pytest.raises(MalformedResponse, match="redirect"):
        client.get("/api/0/")
    assert len(server.requests) == 1


def test_connect_error_is_network_unavailable(make: Any) -> None:
    # Given a host that refuses connections
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client, server = make(refuse)

    # When / Then it is a network problem at the connect stage, not retried
    with pytest.raises(NetworkUnavailable) as caught:
        client.get("/api/0/")
    assert (caught.value.host, caught.value.stage) == ("sentry.test", "connect")
    assert len(server.requests) == 1


def test_name_resolution_failure_is_dns_stage(make: Any) -> None:
    # Given a connect error caused by a resolver failure (worded in no particular language)
    def unresolvable(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Nom inconnu")
        except socket.gaierror as exc:
            raise httpx.ConnectError("échec", request=request) from exc

    client, _ = make(unresolvable)

    # When / Then the stage is dns
    with pytest.raises(NetworkUnavailable) as caught:
        client.get("/api/0/")
    assert caught.value.stage == "dns"


def test_connect_timeout_is_network_unavailable(make: Any) -> None:
    # Given a host that never accepts the connection
    def black_hole(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    client, _ = make(black_hole)

    # When / Then
    with pytest.raises(NetworkUnavailable) as caught:
        client.get("/api/0/")
    assert caught.value.stage == "connect"


# -- read-only guard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", "/api/0/organizations/x/issues/?status=resolved"),
        ("PUT", "/api/0/organizations/x/issues/123/"),
        ("DELETE", "/api/0/organizations/x/issues/"),
        ("DELETE", "/api/0/projects/x/app/issues/"),
        ("POST", "/api/0/organizations/x/releases/"),
        ("POST", "/api/42/envelope/"),
        ("PATCH", "/api/0/projects/x/app/"),
        ("GET", "/admin/"),
        ("GET", "/api/1/projects/"),
        ("GET", "/api/0/%2e%2e/admin/"),
    ],
)
def test_guard_refuses_before_sending(make: Any, method: str, url: str) -> None:
    # Given a client whose transport records everything it receives
    client, server = make(json_ok())

    # When a write (or a path outside /api/0/) is sent, even through the raw httpx client
    with pytest.raises(ReadOnlyViolation) as caught:
        client._http.request(method, url)

    # Then nothing reached the transport
    assert server.requests == []
    assert client.request_count == 0
    assert caught.value.method == method


def test_guard_reports_the_bulk_resolve_query(make: Any) -> None:
    # Given the bulk resolve the runbook must never send
    client, server = make(json_ok())

    # When / Then the refusal names method, path and query
    with pytest.raises(
        ReadOnlyViolation, match=r"PUT /api/0/organizations/x/issues/\?status=resolved"
    ):
        client._http.put("/api/0/organizations/x/issues/", params={"status": "resolved"}, json={})
    assert server.requests == []


def test_guard_respects_a_self_hosted_prefix(make: Any) -> None:
    # Given a self-hosted base URL with a prefix
    client, server = make(json_ok(), base_url="http://sentry.test/sentry/")

    # When a GET is sent under the prefix and one outside it
    client.get("/api/0/")
    with pytest.raises(ReadOnlyViolation):
        client._http.get("http://sentry.test/api/0/")

    # Then only the prefixed request was sent
    assert [r.url.path for r in server.requests] == ["/sentry/api/0/"]


def test_head_is_allowed(make: Any) -> None:
    # Given a client
    client, server = make(json_ok())

    # When a HEAD is sent
    client._http.head("/api/0/")

    # Then it reached the server
    assert [r.method for r in server.requests] == ["HEAD"]


# -- concurrency -------------------------------------------------------------------------------


def test_envelope_is_refused_unless_allowed(make: Any) -> None:
    # Given a client without allow_envelope
    client, server = make(json_ok())

    # When / Then posting an envelope is refused before sending
    with pytest.raises(ReadOnlyViolation, match="/api/4242/envelope/"):
        client.post_envelope(dsn=DSN, envelope=b"{}\n")
    assert server.requests == []


def test_envelope_goes_to_the_dsn_host_with_sentry_auth(make: Any) -> None:
    # Given a client allowed to send the smoke envelope
    client, server = make(json_ok({"id": "9ec79c33ec9942ab8353589fcb2e04dc"}), allow_envelope=True)
    envelope = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{}\n'

    # When it posts
    response = client.post_envelope(dsn=DSN, envelope=envelope)

    # Then it went to the ingest endpoint with X-Sentry-Auth and no bearer token
    sent = server.requests[0]
    assert (sent.method, str(sent.url)) == (
        "POST",
        "https://o1.ingest.example.test/api/4242/envelope/",
    )
    assert sent.headers["X-Sentry-Auth"] == (
        f"Sentry sentry_version=7, sentry_client={USER_AGENT}, sentry_key={PUBLIC_KEY}"
    )
    assert sent.headers["Content-Type"] == "application/x-sentry-envelope"
    assert "Authorization" not in sent.headers
    assert sent.content == envelope
    assert response.data == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    assert response.endpoint == "/api/4242/envelope/"


def test_envelope_keeps_a_dsn_path_prefix(make: Any) -> None:
    # Given a self-hosted DSN with a path prefix
    client, server = make(json_ok(), allow_envelope=True)

    # When it posts
    client.post_envelope(dsn=f"http://{PUBLIC_KEY}@127.0.0.1:9000/sentry/7", envelope=b"{}\n")

    # Then the prefix is kept
    assert str(server.requests[0].url) == "http://127.0.0.1:9000/sentry/api/7/envelope/"


def test_envelope_is_not_cached_and_not_retried_on_4xx(make: Any) -> None:
    # Given an ingest that rate-limits
    client, server = make(
        lambda r: httpx.Response(429, headers={"Retry-After": "60"}), allow_envelope=True
    )

    # When / Then a 429 is reported at once, with the reset it implies
    with pytest.raises(RateLimited) as caught:
        client.post_envelope(dsn=DSN, envelope=b"{}\n")
    assert caught.value.reset == NOW + 60
    with pytest.raises(RateLimited):
        client.post_envelope(dsn=DSN, envelope=b"{}\n")
    assert len(server.requests) == 2


def test_envelope_with_a_bad_dsn_is_refused(make: Any) -> None:
    # Given a DSN without a public key
    client, server = make(json_ok(), allow_envelope=True)

    # When / Then
    with pytest.raises(ValueError, match="DSN"):
        client.post_envelope(dsn="https://o1.ingest.example.test/4242", envelope=b"")
    assert server.requests == []


# -- secrets -----------------------------------------------------------------------------------


def test_canary_token_never_appears_in_responses_or_errors(make: Any) -> None:
    # Given a server that echoes the token back in every way it can
    def echo(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "") + request.headers.get("X-Sentry-Auth", "")
        segment = request.url.path.split("/")[-2]
        status = int(segment) if segment.isdigit() and segment != "0" else 200
        status = 403 if request.url.path.endswith("/envelope/") else status
        return httpx.Response(
            status,
            json={"detail": f"bad token {auth}", "echo": auth},
            headers={"X-Echo-Auth": "", "Authorization": auth, "WWW-Authenticate": "Bearer"},
        )

    client, _ = make(echo, max_retries=0, allow_envelope=True)
    seen: list[object] = [client, client._auth, BearerAuth(CANARY)]

    # When every outcome is produced
    ok = client.get("/api/0/")
    seen += [ok, ok.headers]
    for status in (400, 401, 403, 404, 429, 500, 503):
        with pytest.raises(ApiError) as caught:
            client.get(f"/api/0/status/{status}/")
        seen += [caught.value, caught.value.args, caught.value.message]
    with pytest.raises(ReadOnlyViolation) as refused:
        client._http.delete("/api/0/organizations/acme/issues/")
    seen.append(refused.value)
    with pytest.raises(ApiError) as ingest:
        client.post_envelope(dsn=DSN.replace("4242", "403"), envelope=b"{}\n")
    seen.append(ingest.value)

    # Then no string form of anything carries the token or the DSN key
    assert "authorization" not in {k.lower() for k in ok.headers}
    assert_no_canary(*seen)


def test_network_errors_do_not_carry_the_token(make: Any) -> None:
    # Given a transport error whose message contains the request headers
    def leaky(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"failed with {request.headers['Authorization']}", request=request)

    client, _ = make(leaky)

    # When / Then the mapped error has the token redacted
    with pytest.raises(NetworkUnavailable) as caught:
        client.get("/api/0/")
    assert_no_canary(caught.value, caught.value.detail)


def test_paginate_without_cache_keeps_no_page(make: Any) -> None:
    # Given three pages
    client, server = make(paged(3, 1))

    # When they are walked twice without caching
    list(client.paginate(ISSUES, cache=False))
    list(client.paginate(ISSUES, cache=False))

    # Then every page was fetched each time
    assert len(server.requests) == 6


def test_paginate_stops_on_a_repeated_cursor(make: Any) -> None:
    # Given a server whose next cursor never changes
    client, _ = make(json_ok([{"id": "1"}], Link=link("0:1:0", more=True)))

    # When / Then the loop is reported instead of followed forever
    with pytest.raises(MalformedResponse, match="came back twice"):
        list(client.paginate(ISSUES))


def test_boolean_params_are_lowercase(make: Any) -> None:
    # Given a boolean parameter
    client, server = make(json_ok([]))

    # When it is sent
    client.get("/api/0/organizations/acme/issues/1/events/", {"full": True, "sample": False})

    # Then it reads as Sentry expects
    assert server.requests[0].url.query == b"full=true&sample=false"


def test_structured_detail_uses_its_message(make: Any) -> None:
    # Given a detail object rather than a string
    detail = {"detail": {"code": "sso-required", "message": "SSO required"}}
    client, _ = make(lambda r: httpx.Response(401, json=detail))

    # When / Then its message is the error text
    with pytest.raises(AuthError) as caught:
        client.get("/api/0/")
    assert caught.value.message == "SSO required"


def test_ingest_429_without_headers_means_sixty_seconds(make: Any) -> None:
    # Given an ingest 429 with no Retry-After
    client, _ = make(lambda r: httpx.Response(429), allow_envelope=True)

    # When / Then the reset is sixty seconds from now
    with pytest.raises(RateLimited) as caught:
        client.post_envelope(dsn=DSN, envelope=b"{}\n")
    assert caught.value.reset == NOW + 60


def test_client_closes_as_a_context_manager(make: Any) -> None:
    # Given a client used as a context manager
    client, _ = make(json_ok())

    # When the block ends
    with client as entered:
        assert entered is client

    # Then its HTTP client is closed
    assert client._http.is_closed


def test_a_wrong_slug_lists_the_candidates_cut_to_a_readable_size() -> None:
    # Given an organization with 30 projects, and a project slug that is none of them
    from pytest_sentry_gate import errors
    from pytest_sentry_gate.sentry.discovery import resolve_project

    slugs = [f"app-{n:02d}" for n in range(30)]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/0/organizations/acme/projects/":
            return httpx.Response(200, json=[{"slug": s} for s in slugs])
        return httpx.Response(404, json={"detail": "The requested resource does not exist"})

    client = SentryClient(
        base_url="https://sentry.example/", token="t", transport=httpx.MockTransport(answer)
    )
    # When the slug is confirmed
    with pytest.raises(errors.SlugError) as raised:
        resolve_project(client, "acme", "app-99", source="--sentry-project", auto=True)
    # Then the message names 20 candidates and counts the rest, and keeps all 30 as data
    message = str(raised.value)
    assert "app-19, … and 10 more" in message
    assert "app-20" not in message
    assert raised.value.candidates == tuple(slugs)
