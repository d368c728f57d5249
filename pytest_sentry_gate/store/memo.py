"""Read once: a value or the failure that reading it met, kept per key, safe across threads.

A second caller asking while the first reads waits for it; a failure is kept too, so every
check that needs a fact meets the same verdict and nothing is read twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pytest_sentry_gate import waits

_T = TypeVar("_T")


class Memo:
    """``get(key, read)``: ``read()`` once per key; later calls return it (or raise its error)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._kept: dict[Hashable, tuple[bool, Any]] = {}
        self._closed: Callable[[], Exception] | None = None

    def close(self, error: Callable[[], Exception]) -> None:
        """The session is over: a key another thread is still reading is no longer waited for,
        ``error()`` is raised instead (that read is left behind, as an interrupted run leaves
        it: a host that never answers must not hold the report for its whole deadline)."""
        self._closed = error

    def get(self, key: Hashable, read: Callable[[], _T]) -> _T:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        closed = self._closed
        if closed is None:
            waits.acquire(lock)  # (a read under way elsewhere: Ctrl-C still comes through)
        elif not lock.acquire(blocking=False):
            raise closed()
        try:
            if key not in self._kept:
                try:
                    self._kept[key] = (True, read())
                except Exception as exc:
                    self._kept[key] = (False, exc)
            ok, value = self._kept[key]
        finally:
            lock.release()
        if not ok:
            raise value.with_traceback(None)
        found: _T = value
        return found

    def peek(self, key: Hashable) -> Any:
        """What was read under ``key`` (``None``: not read, or its read failed)."""
        with self._lock:
            ok, value = self._kept.get(key, (False, None))
        return value if ok else None
