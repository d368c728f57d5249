"""Waits that Ctrl-C and SIGTERM end at once, in the main thread too.

CPython runs a Python signal handler (``KeyboardInterrupt``, ``interrupts.Terminated``) in the
main thread, between two bytecodes. A signal that lands after the main thread's last bytecode and
before the blocking call it then makes (a socket read, a lock, a join: the window is widest when
releasing the GIL hands the CPU to another thread) is noted, and its handler runs only when that
call returns: a read of a host that never answers returned 30 s after Ctrl-C in CI.

So the main thread never blocks for long: it waits in slices of ``SLICE_S``, each ending in
Python code, where a pending handler runs; a blocking call of its own (a Sentry read) runs in a
daemon thread that it waits for the same way. Other threads wait as they would (no handler runs
there) and are daemons: an interrupted run leaves them behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar

_T = TypeVar("_T")

#: The longest a pending Ctrl-C or SIGTERM waits in the main thread.
SLICE_S: Final = 0.05


def _main() -> bool:
    return threading.current_thread() is threading.main_thread()


def join(thread: threading.Thread, timeout: float | None = None) -> None:
    """``thread.join(timeout)``, in slices in the main thread."""
    if not _main():
        thread.join(timeout)
        return
    ends = None if timeout is None else time.monotonic() + timeout
    while thread.is_alive():
        left = SLICE_S if ends is None else min(SLICE_S, ends - time.monotonic())
        if left <= 0:
            return
        thread.join(left)


def acquire(lock: threading.Lock) -> None:
    """``lock.acquire()``, in slices in the main thread."""
    if not _main():
        lock.acquire()
        return
    while not lock.acquire(timeout=SLICE_S):
        pass


def call(work: Callable[[], _T]) -> _T:
    """``work()``; called from the main thread, it runs in a daemon thread the main thread waits
    for in slices (its exception is raised here; interrupted, the thread is left to end alone)."""
    if not _main():
        return work()
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # raised in the caller's thread, below
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name="sentry-gate-read", daemon=True)
    worker.start()
    join(worker)
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]
