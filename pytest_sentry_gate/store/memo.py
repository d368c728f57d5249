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
        #: Notified whenever a read ends (kept, or interrupted and left to the next caller).
        self._changed = threading.Condition(self._lock)
        self._reading: set[Hashable] = set()
        self._kept: dict[Hashable, tuple[bool, Any]] = {}
        self._closed: Callable[[], Exception] | None = None

    def close(self, error: Callable[[], Exception]) -> None:
        """The session is over: a key another thread is still reading is no longer waited for,
        ``error()`` is raised instead (that read is left behind, as an interrupted run leaves
        it: a host that never answers must not hold the report for its whole deadline). What
        was kept is still returned."""
        with self._lock:
            self._closed = error

    def get(self, key: Hashable, read: Callable[[], _T]) -> _T:
        kept: tuple[bool, Any] | None = None  # (ok, the value or the failure)
        mine = False
        try:
            with self._changed:  # (a wait in slices: Ctrl-C comes through, ``waits``)
                while key not in self._kept and key in self._reading:
                    if self._closed is not None:
                        raise self._closed()
                    self._changed.wait(waits.SLICE_S)
                kept = self._kept.get(key)
                if kept is None:
                    mine = True
                    self._reading.add(key)
            if mine:
                try:
                    value: Any = read()
                    kept = (True, value)
                except Exception as exc:
                    kept = (False, exc)
        finally:
            if mine:  # kept, or interrupted: either way the next caller stops waiting
                with self._changed:
                    if kept is not None:
                        self._kept[key] = kept
                    self._reading.discard(key)
                    self._changed.notify_all()
        assert kept is not None
        ok, value = kept
        if not ok:
            raise value.with_traceback(None)
        found: _T = value
        return found

    def peek(self, key: Hashable) -> Any:
        """What was read under ``key`` (``None``: not read, or its read failed)."""
        with self._lock:
            ok, value = self._kept.get(key, (False, None))
        return value if ok else None
