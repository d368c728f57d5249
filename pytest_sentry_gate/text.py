"""Text helpers every layer may use (no pytest, no httpx): long lists cut to a readable size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

MORE: Final = "… and {count} more"


def first_of(items: Sequence[str], *, limit: int = 10, sep: str = "; ") -> str:
    """``items`` joined, cut after ``limit`` with "… and N more"."""
    shown = sep.join(items[:limit])
    if len(items) > limit:
        shown += sep + MORE.format(count=len(items) - limit)
    return shown
