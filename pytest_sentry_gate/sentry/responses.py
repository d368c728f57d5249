"""Sentry's answers as data: successful responses, counts, and the error each status stands for.

``Reader`` turns an ``httpx.Response`` into an ``ApiResponse`` or the ``errors.py`` error it
means (401 auth, 403 scope with the scope when Sentry names it, 404, 429 with its reset, 5xx,
a body that is not JSON, an unexpected redirect). Server text is redacted before it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import httpx

from pytest_sentry_gate.errors import (
    ApiError,
    AuthError,
    MalformedResponse,
    NotFound,
    RateLimited,
    ScopeError,
    ServerError,
)

DETAIL_LIMIT: Final = 200
SCOPE_PATTERN: Final = re.compile(r"\b[a-z-]+:(?:read|write|admin|releases|ci)\b")
HIDDEN_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "x-sentry-auth", "cookie", "set-cookie"}
)
GAVE_UP: Final = "{detail} (after {attempts} attempts)"
NOT_JSON: Final = "body is not JSON (content-type {content_type!r}, {size} bytes)"
NOT_A_LIST: Final = "expected a JSON list of items, got {kind}"
UNEXPECTED_REDIRECT: Final = "unexpected redirect (HTTP {status}); check --sentry-url"
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


@dataclass(frozen=True)
class Count:
    """A count, where it came from, and whether it is exact (``False`` when capped)."""

    value: int
    exact: bool
    query: dict[str, Any]
    endpoint: str
    source: Literal["x-hits", "paged"]
    requests: int


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
        except (ValueError, AttributeError):
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
            try:
                data = response.json()
            except ValueError:
                message = NOT_JSON.format(
                    content_type=response.headers.get("content-type", ""),
                    size=len(response.content),
                )
                raise MalformedResponse(endpoint, message, status=status) from None
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
            match = SCOPE_PATTERN.search(detail)
            return ScopeError(endpoint, detail, missing_scope=match.group(0) if match else None)
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
                endpoint, GAVE_UP.format(detail=detail, attempts=attempts), reset=reset
            )
        if status >= 500:
            message = GAVE_UP.format(detail=detail, attempts=attempts)
            return ServerError(endpoint, message, status=status)
        if response.is_redirect:
            return MalformedResponse(
                endpoint, UNEXPECTED_REDIRECT.format(status=status), status=status
            )
        return ApiError(endpoint, detail, status=status)
