"""Ctrl-C comes through while the main thread waits, even when its signal landed just before the
wait began (``waits``).

``_thread.interrupt_main`` makes the race reproducible: like a signal handled at the C level
before a blocking call starts, it marks Python's handler as pending without interrupting any
system call, so a plain ``join``, ``acquire`` or socket read waits until it ends by itself.
"""

from __future__ import annotations

import _thread
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from pytest_sentry_gate import waits
from pytest_sentry_gate.sentry.client import SentryClient
from pytest_sentry_gate.sentry.read_ahead import ReadAhead
from pytest_sentry_gate.store.memo import Memo
from tests.conftest import CANARY_TOKEN


@pytest.fixture(autouse=True)
def python_sigint() -> Iterator[None]:
    """Python's own Ctrl-C handler, whatever the shell that started the suite set."""
    assert threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupted_while(wait: Callable[[], object], started: threading.Event) -> None:
    """Run ``wait`` in the main thread; once ``started`` is set and the main thread is inside
    ``wait``, mark Ctrl-C's handler pending without a signal (the race). Returns when ``wait``
    raised KeyboardInterrupt."""

    def waiting() -> object:
        return wait()

    def inside() -> bool:
        frame = sys._current_frames().get(threading.main_thread().ident or 0)
        while frame is not None and frame.f_code is not waiting.__code__:
            frame = frame.f_back
        return frame is not None

    def ctrl_c() -> None:
        assert started.wait(10)
        while not inside():
            time.sleep(0.01)
        time.sleep(0.2)  # (into the blocking call itself)
        if inside():  # (a wait that already returned fails its test: no stray Ctrl-C later)
            _thread.interrupt_main()

    sender = threading.Thread(target=ctrl_c, daemon=True)
    sender.start()
    with pytest.raises(KeyboardInterrupt):
        waiting()
    sender.join(10)


def test_joining_a_thread_ends_on_a_pending_ctrl_c() -> None:
    # Given a thread that runs until it is released
    started, release, ended = threading.Event(), threading.Event(), threading.Event()

    def busy() -> None:
        started.set()
        release.wait(10)
        ended.set()

    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    try:
        # When the main thread joins it and Ctrl-C's handler becomes pending meanwhile
        interrupted_while(lambda: waits.join(thread), started)
        # Then the join ended while the thread still runs (a plain join would wait for it;
        # ``is_alive`` says no more after an interrupted join, CPython's bpo-45274 handling)
        assert not ended.is_set()
    finally:
        release.set()


def test_a_join_with_a_timeout_still_ends_at_the_timeout() -> None:
    # Given a thread that runs until it is released
    release = threading.Event()
    thread = threading.Thread(target=lambda: release.wait(10), daemon=True)
    thread.start()
    try:
        # When the main thread joins it for 0.2 s
        waits.join(thread, 0.2)
        # Then the join returned with the thread still running
        assert thread.is_alive()
    finally:
        release.set()
    # And a join without a timeout returns once the thread ended
    waits.join(thread)
    assert not thread.is_alive()


def test_waiting_for_a_lock_ends_on_a_pending_ctrl_c() -> None:
    # Given a lock another thread holds
    lock, started, release, ended = threading.Lock(), *(threading.Event() for _ in range(3))

    def holder() -> None:
        with lock:
            started.set()
            release.wait(10)
            ended.set()

    threading.Thread(target=holder, daemon=True).start()
    try:
        # When the main thread waits for it and Ctrl-C's handler becomes pending meanwhile
        interrupted_while(lambda: waits.acquire(lock), started)
        # Then the wait ended while the other thread still held it
        assert not ended.is_set()
    finally:
        release.set()


def test_a_fact_being_read_elsewhere_does_not_hold_ctrl_c() -> None:
    # Given a fact another thread is reading
    memo, started, release, ended = Memo(), *(threading.Event() for _ in range(3))

    def slow() -> str:
        started.set()
        release.wait(10)
        ended.set()
        return "read"

    reader = threading.Thread(target=lambda: memo.get("fact", slow), daemon=True)
    reader.start()
    try:
        # When the main thread asks for it too and Ctrl-C's handler becomes pending meanwhile
        interrupted_while(lambda: memo.get("fact", lambda: "again"), started)
        # Then it stopped waiting while the other read was still under way
        assert not ended.is_set()
    finally:
        release.set()
    reader.join(10)
    # And the fact is the first reader's, read once
    assert memo.get("fact", lambda: "again") == "read"


def test_a_call_raises_its_exception_and_returns_its_value_in_the_main_thread() -> None:
    # Given work that returns and work that fails
    def fails() -> None:
        raise ValueError("no")

    # When each runs through waits.call, then the value and the error are the work's own
    assert waits.call(lambda: threading.current_thread().name) == "sentry-gate-read"
    with pytest.raises(ValueError, match="no"):
        waits.call(fails)
    # And outside the main thread the work runs in the caller's thread
    names: queue.SimpleQueue[str] = queue.SimpleQueue()
    thread = threading.Thread(
        target=lambda: names.put(waits.call(lambda: threading.current_thread().name)),
        name="caller",
    )
    thread.start()
    thread.join(10)
    assert names.get(timeout=1) == "caller"


def test_a_read_that_waits_for_its_answer_ends_on_a_pending_ctrl_c() -> None:
    # Given a server that answers only once it is released
    started, release, ended = (threading.Event() for _ in range(3))

    def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        try:
            release.wait(10)
        finally:  # (in the main thread, the interrupt would be raised in the wait's last lines)
            ended.set()
        return httpx.Response(200, json={})

    sentry = SentryClient(
        base_url="http://127.0.0.1:9/", token=CANARY_TOKEN, transport=httpx.MockTransport(slow)
    )
    try:
        # When the main thread reads from it and Ctrl-C's handler becomes pending meanwhile
        interrupted_while(lambda: sentry.get("/api/0/"), started)
        # Then the read was left behind, unanswered, and the client closes at once
        assert not ended.is_set()
        sentry.close(wait=False)
    finally:
        release.set()


def test_a_page_walk_waiting_for_its_next_page_ends_on_a_pending_ctrl_c() -> None:
    # Given a walk whose first page never arrives
    started, release, ended = (threading.Event() for _ in range(3))

    def receive(cursor: str | None) -> object:
        started.set()
        release.wait(10)
        ended.set()
        raise RuntimeError("released")

    walk = ReadAhead(receive, answer=lambda raw: raw, response=lambda raw: raw, max_pages=None)  # type: ignore[arg-type]
    try:
        # When the main thread waits for it and Ctrl-C's handler becomes pending meanwhile
        interrupted_while(lambda: next(walk.pages()), started)
        # Then it stopped waiting while the page was still on its way
        assert not ended.is_set()
    finally:
        release.set()


def test_a_closed_memo_does_not_wait_for_a_read_left_behind() -> None:
    # Given a fact another thread is still reading, and one read before
    memo, started, release = Memo(), threading.Event(), threading.Event()
    assert memo.get("done", lambda: "kept") == "kept"

    def slow() -> str:
        started.set()
        release.wait(10)
        return "late"

    reader = threading.Thread(target=lambda: memo.get("fact", slow), daemon=True)
    reader.start()
    assert started.wait(10)
    try:
        # When the session is over (the memo closed) and the report asks for both
        memo.close(lambda: LookupError("left behind"))
        # Then the fact still being read is not waited for, and the one read before is kept
        with pytest.raises(LookupError, match="left behind"):
            memo.get("fact", lambda: "again")
        assert reader.is_alive()
        assert memo.get("done", lambda: "again") == "kept"
    finally:
        release.set()
    # And once that read ends, what it read is kept and returned, closed or not
    reader.join(10)
    assert memo.get("fact", lambda: "again") == "late"


def test_a_read_interrupted_in_the_main_thread_is_read_again_by_the_next_caller() -> None:
    # Given a read that Ctrl-C interrupts
    memo = Memo()

    def interrupted() -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        memo.get("fact", interrupted)
    # When the fact is asked again, then it is read again (nothing was kept, nobody waits for it)
    waiter = threading.Thread(target=lambda: memo.get("fact", lambda: "from a thread"))
    waiter.start()
    waiter.join(10)
    assert not waiter.is_alive()
    assert memo.get("fact", lambda: "again") == "from a thread"
