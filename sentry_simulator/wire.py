"""The request/reply values endpoints work with, and Sentry-style cursor pagination.

``paginate`` reproduces Sentry's headers: ``Link`` always holds both ``rel="previous"`` and
``rel="next"`` with ``results="true"/"false"`` and a ``cursor="value:offset:is_prev"``, the URL
being the request URL without ``cursor`` plus ``&cursor=…``; ``X-Hits``/``X-Max-Hits`` carry the
total number of matches, only where Sentry counts hits (the org issue list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from .faults import TokenSpec

PER_PAGE_INVALID = "Invalid per_page value. Must be between 1 and 100."
CURSOR_INVALID = "Invalid cursor parameter."
MAX_PER_PAGE = 100
LINK = '<{url}>; rel="{rel}"; results="{results}"; cursor="{cursor}"'

T = TypeVar("T")


class HttpError(Exception):
    """An error answer: ``status`` with ``{"detail": detail}``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.body = body


@dataclass
class Request:
    """A parsed request, as the endpoints see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base: str
    token: TokenSpec | None = None
    max_hits: int | None = None
    legacy: frozenset[str] = frozenset()

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeatable query parameter."""
        return list(self.query.get(name, []))


@dataclass
class Reply:
    """An answer: a JSON-able body (or raw bytes) with headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def page_size(req: Request, param: str = "per_page", default: int = MAX_PER_PAGE) -> int:
    """The page size asked for; 400 outside 1..100, as Sentry answers."""
    raw = req.arg(param)
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        raise HttpError(400, PER_PAGE_INVALID) from None
    if not 1 <= size <= MAX_PER_PAGE:
        raise HttpError(400, PER_PAGE_INVALID)
    return size


def cursor_offset(req: Request) -> int:
    """The item offset in ``cursor=value:offset:is_prev`` (0 without a cursor)."""
    raw = req.arg("cursor")
    if not raw:
        return 0
    parts = raw.split(":")
    if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        raise HttpError(400, CURSOR_INVALID)
    return max(int(parts[1]), 0)


def _link(req: Request, rel: str, cursor: str, results: bool) -> str:
    pairs = [(k, v) for k, values in req.query.items() if k != "cursor" for v in values]
    query = urlencode(pairs)
    url = (
        f"{req.base}{req.path}?{query}&cursor={cursor}"
        if query
        else (f"{req.base}{req.path}?cursor={cursor}")
    )
    return LINK.format(url=url, rel=rel, results="true" if results else "false", cursor=cursor)


def paginate(
    req: Request,
    items: Sequence[T],
    *,
    param: str = "per_page",
    default: int = MAX_PER_PAGE,
    max_hits: int | None = None,
    count_hits: bool = False,
    hit_ratio: float | None = None,
) -> tuple[Sequence[T], dict[str, str]]:
    """One page of ``items`` and the ``Link`` header, plus ``X-Hits``/``X-Max-Hits`` where
    Sentry's paginator counts hits (``count_hits``: of the endpoints served, only the org issue
    list; ``reference/sentry-api.md`` §12); ``hit_ratio``: past one page ``X-Hits`` is an
    estimate, ``total * hit_ratio`` (§13)."""
    size = page_size(req, param, default)
    offset = cursor_offset(req)
    chunk = items[offset : offset + size]
    total = len(items)
    previous = _link(req, "previous", f"0:{max(offset - size, 0)}:1", offset > 0)
    following = _link(req, "next", f"0:{offset + size}:0", offset + size < total)
    headers = {"Link": f"{previous}, {following}"}
    if count_hits:
        hits = total
        if hit_ratio is not None and (offset or offset + size < total):
            # Sentry's calculate_hits past one page: a sample's hit ratio times the candidates
            # (sentry-api.md §13 "Paging and counts"), never exact
            hits = int(total * hit_ratio)
        hits = hits if max_hits is None else min(hits, max_hits)
        headers["X-Hits"] = str(hits)
        if max_hits is not None:  # Sentry sends X-Max-Hits only when its count has a cap
            headers["X-Max-Hits"] = str(max_hits)
    return chunk, headers
