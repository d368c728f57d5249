"""Before an issue is called resolved: re-check what the unresolved walk did not list.

An issue of the previous checkpoint that the walk did not list is not necessarily resolved: it may
have left the window (no event in ``statsPeriod``) or been lost by paging. ``recheck`` asks Sentry
for exactly those ids with ``?group=<id>`` (which ignores the query and the window,
``reference/sentry-api.md`` §13 "Paging and counts") and keeps the ones still unresolved.
``disagreement`` compares the walk's size with the first page's ``X-Hits``: past one page that
header is Sentry's sample estimate (937 for 1,003), so only a difference beyond ``TOLERANCE`` is
a walk that lost issues, and no checkpoint is written from it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Final

from pytest_sentry_gate.sentry import endpoints

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient
    from pytest_sentry_gate.sentry.issues import UnresolvedListing

#: Ids per ``?group=`` request, and at most this many re-checked (ten requests).
BATCH: Final = 100
MAX_RECHECK: Final = 1000
#: How far a walked listing may differ from ``X-Hits`` past one page (Sentry's estimate).
TOLERANCE: Final = 0.10
TOO_MANY: Final = (
    "{count} issues of the previous checkpoint are not in the walk: more than {cap} to re-check "
    "with ?group=, so none is called resolved"
)
DISAGREES: Final = (
    "the unresolved walk listed {walked} issue(s) in {requests} page(s) but Sentry counts {hits} "
    "(X-Hits){recovered}: issues may have been lost while paging"
)


def recheck(
    client: SentryClient, org: str, project_id: str, missing: Collection[str]
) -> tuple[frozenset[str], str | None]:
    """The ``missing`` ids Sentry still calls unresolved, and why none could be re-checked."""
    if len(missing) > MAX_RECHECK:
        return frozenset(), TOO_MANY.format(count=len(missing), cap=MAX_RECHECK)
    ordered = sorted(missing, key=lambda x: (len(x), x))
    path = endpoints.ISSUES.path(org=org)
    still: set[str] = set()
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        params: dict[str, str | int | list[str]] = {
            "project": project_id, "group": batch, "limit": BATCH,
        }  # fmt: skip
        data = client.get(path, params).data
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and item.get("status") == "unresolved":
                still.add(str(item.get("id")))
    return frozenset(still & set(missing)), None


def disagreement(listing: UnresolvedListing, recovered: int = 0) -> str | None:
    """Why the walk's size cannot be trusted against ``X-Hits``, or ``None`` when it agrees
    (no header, a capped header, within Sentry's estimate, or with the ``recovered`` ids that
    ``recheck`` found still unresolved)."""
    hits = listing.hits
    if hits is None or (listing.max_hits is not None and hits >= listing.max_hits):
        return None
    walked = listing.count + listing.left_out
    tolerance = 0 if listing.requests == 1 else math.ceil(hits * TOLERANCE)
    if min(abs(walked - hits), abs(walked + recovered - hits)) <= tolerance:
        return None  # the ids lost by paging were found again by ``recheck``
    extra = f"; {recovered} more still unresolved per ?group=" if recovered else ""
    return DISAGREES.format(walked=walked, requests=listing.requests, hits=hits, recovered=extra)
