"""A progress line for anything that waits: one line on a terminal, rewritten in place.

Readers call it through the client configuration seam (``ClientConfig.progress``), so they need
no pytest and no terminal: long paging reports each page. Quiet when the stream is not a
terminal (CI logs, pipes) or with ``-q -q``: nothing is written at all. The line is drawn by
``rewrite`` (the ``sentry_progress`` fixture passes pytest's terminal reporter's, which rewinds
and erases as pytest's own collection line does): no escape code of ours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

#: Updates closer together than this are skipped (a fast loopback walk would flood a terminal).
MIN_INTERVAL: Final = 0.1
PREFIX: Final = "sentry-gate: "


class Progress:
    """``update(text)`` rewrites the line; ``done()`` clears it. Thread-safe, no-op when off.

    ``rewrite(line)`` replaces the terminal's current line with ``line`` ("" clears it).
    """

    def __init__(
        self, *, rewrite: Callable[[str], None], enabled: bool, interval: float = MIN_INTERVAL
    ) -> None:
        self.rewrite = rewrite
        self.enabled = enabled
        self.interval = interval
        self._last = 0.0
        self._shown = False
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        self.update(text)

    def update(self, text: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            now = time.monotonic()
            if self._shown and now - self._last < self.interval:
                return
            self._last = now
            self._shown = True
            self.rewrite(PREFIX + text)

    def done(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._shown:
                self.rewrite("")
                self._shown = False
