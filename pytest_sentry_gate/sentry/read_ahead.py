"""A complete list walk whose next page is asked for before the current one is parsed.

The next page of a Sentry list needs only its cursor, which the ``Link`` header carries: nothing
in the body. So one thread receives the pages one after another, asking for each next page as
soon as the previous page's body is in, and the walk parses each page (JSON and its checks, for a
100-issue page several milliseconds of this process's CPU) while the next one travels. The
requests stay one after another on the wire, so the walk sends the requests it sent before; only
a page that turns out malformed may have had its successor asked for already (at most that one:
the next request waits until the page before it parsed well).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Generic, TypeVar

import httpx

from pytest_sentry_gate import waits
from pytest_sentry_gate.sentry.responses import ApiResponse, next_cursor

_Raw = TypeVar("_Raw")


class ReadAhead(Generic[_Raw]):
    """``receive(cursor)`` gives a page as received (``None``: the first page), ``answer(raw)``
    parses it; ``response(raw)`` is its ``httpx.Response`` (for the status and the cursor)."""

    def __init__(
        self,
        receive: Callable[[str | None], _Raw],
        answer: Callable[[_Raw], ApiResponse],
        response: Callable[[_Raw], httpx.Response],
        max_pages: int | None,
    ) -> None:
        self._receive, self._answer, self._response = receive, answer, response
        self._max_pages = max_pages
        self._received: queue.SimpleQueue[tuple[_Raw | None, BaseException | None]]
        self._received = queue.SimpleQueue()
        self._state = threading.Condition()
        self._parsed = 0  # pages the walk parsed well
        self._stopped = False

    def pages(self) -> Generator[ApiResponse, None, None]:
        """Each page, parsed, in order (a page that failed: raised); the walk stops asking for
        more when the list ends (its cursor, as this thread saw it, is then ``None``)."""
        threading.Thread(target=self._receive_all, daemon=True).start()
        try:
            while True:
                raw, error = self._next()
                if error is not None:
                    raise error
                assert raw is not None
                page = self._answer(raw)
                with self._state:
                    self._parsed += 1
                    self._state.notify_all()
                yield page  # the walk asks for the next one while there is one
        finally:
            self.stop()

    def _next(self) -> tuple[_Raw | None, BaseException | None]:
        """The next page the thread received, waited for in slices (``waits``)."""
        while True:
            try:
                return self._received.get(timeout=waits.SLICE_S)
            except queue.Empty:
                continue

    def stop(self) -> None:
        """Ask for nothing more (the walk ended, stopped early, or a page failed)."""
        with self._state:
            self._stopped = True
            self._state.notify_all()

    def _receive_all(self) -> None:
        cursor: str | None = None
        asked: set[str] = set()
        received = 0
        try:
            while True:
                raw = self._receive(cursor)
                received += 1
                self._received.put((raw, None))
                response = self._response(raw)
                cursor = next_cursor(response) if response.is_success else None
                full = self._max_pages is not None and received >= self._max_pages
                if cursor is None or cursor in asked or full or not self._may_ask(received - 1):
                    return  # the walk meets the end, the loop, the cap or the failure itself
                asked.add(cursor)
        except BaseException as exc:  # the walk meets it at this page
            self._received.put((None, exc))

    def _may_ask(self, parsed: int) -> bool:
        """Wait until the walk parsed ``parsed`` pages well (False: it stopped first)."""
        with self._state:
            self._state.wait_for(lambda: self._stopped or self._parsed >= parsed)
            return not self._stopped
