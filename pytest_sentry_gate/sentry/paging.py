"""Paging through Sentry's lists: ``rel="next"`` cursors, a page cap, a cursor-loop guard.

``Paging`` is the part of ``SentryClient`` that walks a list: ``paginate`` yields each page,
``collect`` gathers the items up to a page cap and says whether that was all (``Listing``). It
reads through the client's ``get`` (cached) or ``_fetch`` (uncached) and tells ``_report`` how
far a long walk got. ``pairs`` and ``endpoint_of`` spell a request's query as the cache keys it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from pytest_sentry_gate.errors import MalformedResponse
from pytest_sentry_gate.sentry.responses import ApiResponse, Listing, items

PAGING: Final = "paging {path}: page {page}"
CURSOR_LOOP: Final = "pagination cursor {cursor!r} came back twice"

Params = Mapping[str, str | int | Sequence[str]]
Pairs = tuple[tuple[str, str], ...]


def pairs(params: Params | None) -> Pairs:
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


def endpoint_of(path: str, pairs: Pairs) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


class Paging:
    """The list walks of ``SentryClient`` (which provides ``get``, ``_fetch`` and ``_report``)."""

    def get(self, path: str, params: Params | None = None) -> ApiResponse:
        raise NotImplementedError  # pragma: no cover - SentryClient's

    def _fetch(self, path: str, pairs: Pairs) -> ApiResponse:
        raise NotImplementedError  # pragma: no cover - SentryClient's

    def _report(self, text: str) -> None:
        raise NotImplementedError  # pragma: no cover - SentryClient's

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
            endpoint=endpoint_of(path, pairs(params)),
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
        fetch = self.get if cache else (lambda p, q: self._fetch(p, pairs(q)))
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
