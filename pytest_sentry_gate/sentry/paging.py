"""Paging through Sentry's lists: ``rel="next"`` cursors, a page cap, a cursor-loop guard.

``Paging`` is the part of ``SentryClient`` that walks a list: ``paginate`` yields each page,
``collect`` gathers the items up to a page cap and says whether that was all (``Listing``). It
reads through the client's ``get`` (cached) or ``_fetch`` (uncached) and tells ``_report`` how
far a long walk got. ``pairs`` and ``endpoint_of`` spell a request's query as the cache keys it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, NamedTuple
from urllib.parse import urlencode

import httpx

from pytest_sentry_gate.errors import MalformedResponse
from pytest_sentry_gate.sentry.read_ahead import ReadAhead
from pytest_sentry_gate.sentry.responses import ApiResponse, Listing, items

PAGING: Final = "paging {path}: page {page}"
CURSOR_LOOP: Final = "pagination cursor {cursor!r} came back twice"

Params = Mapping[str, str | int | Sequence[str]]
Pairs = tuple[tuple[str, str], ...]


class Received(NamedTuple):
    """A GET's answer as received: its body read, not yet parsed."""

    response: httpx.Response
    endpoint: str
    attempts: int


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

    def _receive(self, path: str, pairs: Pairs) -> Received:
        raise NotImplementedError  # pragma: no cover - SentryClient's

    def _answer(self, received: Received) -> ApiResponse:
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
        ahead: bool = False,
    ) -> Iterator[list[Any]]:
        """Yield each page's items, following ``rel="next"`` while ``results="true"``.

        ``cache=False`` keeps no page (for a complete walk whose caller keeps only ids);
        ``extract`` reads the items of an answer that is not a plain list; ``ahead`` (for a walk
        read to its end; it keeps no page either) asks for each next page as soon as the previous
        page's body is in, before parsing it (``read_ahead``).
        """
        if ahead:
            for page, _ in self._pages_ahead(path, params, max_pages, extract):
                yield page
            return
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
        yield from self._walk(
            path, response, max_pages, extract, lambda c: fetch(path, {**query, "cursor": c})
        )

    def _pages_ahead(
        self,
        path: str,
        params: Params | None,
        max_pages: int | None,
        extract: Callable[[ApiResponse], list[Any]],
    ) -> Iterator[tuple[list[Any], ApiResponse]]:
        query = dict(params or {})

        def receive(cursor: str | None) -> Received:
            return self._receive(
                path, pairs(query if cursor is None else {**query, "cursor": cursor})
            )

        pages = ReadAhead(receive, self._answer, lambda got: got.response, max_pages).pages()
        try:
            yield from self._walk(path, next(pages), max_pages, extract, lambda _: next(pages))
        finally:
            pages.close()

    def _walk(
        self,
        path: str,
        response: ApiResponse,
        max_pages: int | None,
        extract: Callable[[ApiResponse], list[Any]],
        following: Callable[[str], ApiResponse],
    ) -> Iterator[tuple[list[Any], ApiResponse]]:
        """From the first page on: each page, then the page at its next cursor."""
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
            response = following(cursor)
