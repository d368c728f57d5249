"""A complete list walk whose next page is asked for before the current one is parsed.

The next page of a Sentry list needs only its cursor, which the ``Link`` header carries: nothing
in the body. So as soon as a page's body is in (before its JSON is parsed and checked, which for
a 100-issue page costs several milliseconds of this process's CPU), the next page's request goes
out from a new thread, and the page is parsed while the next one travels. The requests stay one
after another on the wire (the next one starts once the previous body is read), so the walk
sends exactly the requests it sent before; only a page that turns out malformed may have had its
successor asked for already (at most one: the walk stops there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from pytest_sentry_gate.sentry.responses import ApiResponse

#: ``fetch(cursor, then)``: one page (``None``: the first), calling ``then(next_cursor)`` once
#: its body is in.
Fetch = Callable[[str | None, Callable[[str | None], None]], ApiResponse]


class ReadAhead:
    """The pages of one walk, each read in its own thread and asked for by the page before it as
    soon as that page's body is in, once the page before that one parsed well (so a malformed
    page ends the walk with at most its successor asked for)."""

    def __init__(self, fetch: Fetch, max_pages: int | None) -> None:
        self._fetch = fetch
        self._max_pages = max_pages
        self._lock = threading.Lock()
        self._pages: dict[str | None, Future[ApiResponse]] = {}
        self._stopped = False

    def start(self, cursor: str | None, before: Future[ApiResponse] | None = None) -> None:
        """Read the page at ``cursor`` in the background (once; not past ``max_pages``, and not
        once the walk stopped); ``before`` is the page whose body named it."""
        with self._lock:
            full = self._max_pages is not None and len(self._pages) >= self._max_pages
            if full or self._stopped or cursor in self._pages:
                return
            page: Future[ApiResponse] = Future()
            self._pages[cursor] = page
        threading.Thread(target=self._read, args=(cursor, page, before), daemon=True).start()

    def take(self, cursor: str | None) -> ApiResponse:
        """The page at ``cursor`` (asked for ahead by the page before it; else read now)."""
        with self._lock:
            page = self._pages.get(cursor)
        if page is None:
            return self._fetch(cursor, lambda _: None)
        return page.result()

    def stop(self) -> None:
        """Ask for nothing more (the walk ended, or a page failed)."""
        with self._lock:
            self._stopped = True

    def _read(
        self, cursor: str | None, page: Future[ApiResponse], before: Future[ApiResponse] | None
    ) -> None:
        def then(following: str | None) -> None:
            if following is None or (before is not None and before.exception() is not None):
                return  # the end, or the page before this one failed: the walk stops there
            self.start(following, page)

        try:
            page.set_result(self._fetch(cursor, then))
        except BaseException as exc:  # the walk meets it when it takes this page
            self.stop()
            page.set_exception(exc)
