"""Sentry's answers as data: successful responses, counts, and the error each status stands for.

``Reader`` turns an ``httpx.Response`` into an ``ApiResponse`` or the ``errors.py`` error it
means (401 auth, 403 scope with the scope when Sentry names it, 404, 429 with its reset, 5xx,
a body that is not JSON, an unexpected redirect). Server text is redacted before it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from pytest_sentry_gate.errors import (
    ApiError,
    AuthError,
    MalformedResponse,
    NotFound,
    ProjectMoved,
    RateLimited,
    ScopeError,
    ServerError,
)
from pytest_sentry_gate.sentry import endpoints

DETAIL_LIMIT: Final = 200
#: ``WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`` (SaaS since
#: getsentry/sentry#118612); the 403 body itself never names a scope.
SCOPE_CHALLENGE: Final = re.compile(r'error="insufficient_scope".*?scope="([^"]*)"', re.I)
MOVED_PATH: Final = re.compile(r"/api/0/projects/[^/]+/([^/?#]+)")
HIDDEN_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "x-sentry-auth", "cookie", "set-cookie"}
)
GAVE_UP: Final = "{detail} (after {attempts} attempts)"
NOT_JSON: Final = "body is not JSON (content-type {content_type!r}, {size} bytes)"
TOO_DEEP: Final = "JSON nested deeper than {depth} levels (no Sentry answer is)"
#: Sentry's deepest answers (events with frames and their variables) stay far below this.
MAX_DEPTH: Final = 100
#: What ``json`` builds that nests (exact types: a parsed body holds no subclasses).
_CONTAINERS: Final = (dict, list)
NOT_A_LIST: Final = "expected a JSON list of items, got {kind}"
UNEXPECTED_REDIRECT: Final = "unexpected redirect (HTTP {status}); check --sentry-url"
PROJECT_MOVED: Final = "the project was renamed to {slug!r} (Location: {location})"
NOT_DOCUMENTED: Final = "expected {expected}, got {kind}"
SCOPE_FROM_TABLE: Final = "{scopes} (from the endpoint table: this server does not name it)"
#: Ingest 429 without Retry-After: wait 60 s (Sentry's rate-limiting docs).
INGEST_DEFAULT_RETRY_AFTER: Final = 60.0
ENVELOPE_PATH: Final = re.compile(r"/api/\d+/envelope/")


@dataclass(frozen=True)
class ApiResponse:
    """One successful answer: endpoint (path and sorted query), status, JSON, paging facts."""

    endpoint: str
    status: int
    data: Any = field(repr=False)
    hits: int | None
    max_hits: int | None
    next_cursor: str | None
    headers: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class Listing:
    """The items of a paged list, and whether the walk reached its end (``False``: capped)."""

    items: tuple[Any, ...] = field(repr=False)
    pages: int
    complete: bool
    endpoint: str

    @property
    def cap_note(self) -> str | None:
        """What a capped walk looked at, for the evidence (``None`` when complete)."""
        if self.complete:
            return None
        return (
            f"looked at the first {self.pages} page(s) ({len(self.items)} items) of {self.endpoint}"
        )


def int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def float_header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def next_cursor(response: httpx.Response) -> str | None:
    link = response.links.get("next", {})
    return link.get("cursor") if link.get("results") == "true" else None


def expect(data: Any, kind: type, endpoint: str, what: str) -> Any:
    """``data`` when it is a ``kind`` (dict, list), else ``MalformedResponse`` naming both."""
    if not isinstance(data, kind):
        message = NOT_DOCUMENTED.format(expected=what, kind=type(data).__name__)
        raise MalformedResponse(endpoint, message)
    return data


def required_scopes(response: httpx.Response, endpoint: str) -> str | None:
    """The scopes a 403 asked for: from ``WWW-Authenticate``, else from the endpoint table."""
    found = SCOPE_CHALLENGE.search(response.headers.get("WWW-Authenticate", ""))
    if found and found.group(1).strip():
        return ", ".join(found.group(1).split())
    row = endpoints.find(endpoint)
    if row is None or not row.scopes:
        return None
    alternatives = " or ".join(sorted(row.scopes, key=lambda s: (s != row.needed, s)))
    return SCOPE_FROM_TABLE.format(scopes=alternatives)


def moved_slug(response: httpx.Response) -> str | None:
    """The new slug of a renamed project: from ``Location``, else from the body's ``extra``."""
    found = MOVED_PATH.search(response.headers.get("Location", ""))
    if found:
        return found.group(1)
    try:
        extra = response.json()["detail"]["extra"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return str(extra["slug"]) if isinstance(extra, dict) and extra.get("slug") else None


def too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` levels (walked level by level
    without recursion, so that a hostile answer cannot exhaust the stack here or later; the
    comprehension keeps it cheap on every page of a long listing)."""
    level = [data] if type(data) in _CONTAINERS else []
    depth = 1
    while level:
        level = [
            child
            for value in level
            for child in (value.values() if type(value) is dict else value)
            if type(child) in _CONTAINERS
        ]
        if level and depth >= limit:
            return True
        depth += 1
    return False


def parse_json(response: httpx.Response, endpoint: str) -> Any:
    """The body as JSON, or ``MalformedResponse`` naming the endpoint: not JSON, or nested
    deeper than any Sentry answer (``json`` raises ``RecursionError`` on very deep input)."""
    try:
        data = response.json()
    except ValueError:
        message = NOT_JSON.format(
            content_type=response.headers.get("content-type", ""), size=len(response.content)
        )
        raise MalformedResponse(endpoint, message, status=response.status_code) from None
    except RecursionError:
        data = None
        deep = True
    else:
        deep = too_deep(data)
    if deep:
        message = TOO_DEEP.format(depth=MAX_DEPTH)
        raise MalformedResponse(endpoint, message, status=response.status_code)
    return data


def items(response: ApiResponse) -> list[Any]:
    if not isinstance(response.data, list):
        kind = type(response.data).__name__
        raise MalformedResponse(response.endpoint, NOT_A_LIST.format(kind=kind))
    return response.data


class Reader:
    """Reads responses for one client: ``redact`` hides its secrets, ``clock`` dates resets."""

    def __init__(self, *, redact: Callable[[str], str], clock: Callable[[], float]) -> None:
        self.redact = redact
        self.clock = clock

    def detail(self, response: httpx.Response) -> str:
        try:
            detail: Any = response.json().get("detail")
        except (ValueError, AttributeError, RecursionError):
            detail = None
        if isinstance(detail, dict):
            detail = detail.get("message", detail)
        text = str(detail) if detail else (response.reason_phrase or f"HTTP {response.status_code}")
        return self.redact(text)[:DETAIL_LIMIT]

    def result(
        self, response: httpx.Response, endpoint: str, attempts: int, *, empty_ok: bool
    ) -> ApiResponse:
        status = response.status_code
        if not response.is_success:
            raise self.error(response, endpoint, attempts)
        data: Any = None
        if response.content or not empty_ok:
            data = parse_json(response, endpoint)
        headers = {k: v for k, v in response.headers.items() if k.lower() not in HIDDEN_HEADERS}
        return ApiResponse(
            endpoint=endpoint,
            status=status,
            data=data,
            hits=int_header(response, "X-Hits"),
            max_hits=int_header(response, "X-Max-Hits"),
            next_cursor=next_cursor(response),
            headers=headers,
        )

    def error(self, response: httpx.Response, endpoint: str, attempts: int) -> ApiError:
        status, detail = response.status_code, self.detail(response)
        if status == 401:
            return AuthError(endpoint, detail)
        if status == 403:
            return ScopeError(endpoint, detail, missing_scope=required_scopes(response, endpoint))
        if status == 404:
            return NotFound(endpoint, detail)
        if status == 429:
            reset = float_header(response, "X-Sentry-Rate-Limit-Reset")
            retry_after = float_header(response, "Retry-After")
            if reset is None and retry_after is not None:
                reset = self.clock() + retry_after
            elif reset is None and ENVELOPE_PATH.search(response.request.url.path):
                reset = self.clock() + INGEST_DEFAULT_RETRY_AFTER
            return RateLimited(
                endpoint,
                GAVE_UP.format(detail=detail, attempts=attempts),
                reset=reset,
                rate_limits=response.headers.get("X-Sentry-Rate-Limits"),
            )
        if status >= 500:
            message = GAVE_UP.format(detail=detail, attempts=attempts)
            return ServerError(endpoint, message, status=status)
        slug = moved_slug(response) if status == 302 else None
        if slug is not None:
            location = self.redact(response.headers.get("Location", ""))
            return ProjectMoved(
                endpoint, PROJECT_MOVED.format(slug=slug, location=location), slug=slug
            )
        if response.is_redirect:
            return MalformedResponse(
                endpoint, UNEXPECTED_REDIRECT.format(status=status), status=status
            )
        return ApiError(endpoint, detail, status=status)
