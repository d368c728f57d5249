"""Older Sentry servers (self-hosted) as the daily loop meets them (``shared/reference/
sentry-api.md`` §13 "Priority"): set ``SimulatorData.server`` to a ``ServerProfile``.

- ``priority=False``: a server from before issue priority (early 2024): issues have no
  ``priority`` field, and ``issue.priority:`` is an unknown tag that matches nothing (no error);
- ``unsupported_is``: ``is:`` values the server does not know, answered 400 "Error parsing search
  query";
- ``unsupported_session_fields``: sessions fields answered 400 "Invalid field";
- ``hit_ratio``: ``X-Hits`` past one page is Sentry's sample estimate, ``total * hit_ratio``
  (``ESTIMATING``: 937 for 1,003, §13 "Paging and counts"). Off by default, so counts in the
  other tests stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ServerProfile:
    """What the served Sentry supports (``CURRENT``: everything the simulator serves)."""

    priority: bool = True
    unsupported_is: frozenset[str] = frozenset()
    unsupported_session_fields: frozenset[str] = frozenset()
    hit_ratio: float | None = None


CURRENT: Final = ServerProfile()
#: Self-hosted 23.x: substatus and GroupHistory, but no issue priority.
BEFORE_PRIORITY: Final = ServerProfile(priority=False)
#: Self-hosted from before substatus (2023) and before crash-free user rates in the sessions API.
BEFORE_SUBSTATUS: Final = ServerProfile(
    priority=False,
    unsupported_is=frozenset({"escalating", "regressed", "ongoing", "new", "for_review"}),
    unsupported_session_fields=frozenset({"crash_free_rate(user)"}),
)
#: Current Sentry counting a large listing by sample (937 for 1,003).
ESTIMATING: Final = ServerProfile(hit_ratio=0.935)
#: Sentry's 400 detail for an ``is:`` value it does not know.
PARSE_ERROR: Final = (
    'Error parsing search query: Invalid value for "is" search, valid values are {valid}'
)
