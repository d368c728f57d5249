"""issue_triage: what is new, urgent and recurring; where to look; who owns it; what to ship.

Read-only: triage never resolves, assigns or mutes anything in Sentry. Titles, culprits and tags
are untrusted text from Sentry: escaped, quoted, and marked as such in the evidence.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate.modes import issue_triage as messages
from pytest_sentry_gate.redact import without_userinfo
from pytest_sentry_gate.sentry.endpoints import LATEST_EVENT
from pytest_sentry_gate.verdict import SHOW_ENDPOINT

if TYPE_CHECKING:
    from pytest_sentry_gate.checkpoint import Loaded
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.store.triage import BucketTotal
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.issue_triage

#: The urgent issues whose latest event the next commands show (the rest are in the evidence).
SHOWN: Final = 3


def _report(sentry_check: Check, name: str, hints: list[dict[str, Any]], total: BucketTotal) -> str:
    """Record the bucket: its size (``count``, a minimum when ``at_least``, and why), how many it
    lists (``shown``, the top ``sentry_triage_top``), the issues it was counted among (``read``)
    and those it lists; the listing as text."""
    sentry_check.record(
        bucket=name,
        count=total.count,
        at_least=total.at_least,
        shown=len(hints),
        read=total.read,
        issues=hints,
        untrusted_text=messages.UNTRUSTED,
    )
    if total.at_least:
        sentry_check.record(at_least_because=list(total.why))
    return "; ".join(messages.line(h) for h in hints)


def test_new_since_last_check(
    sentry_check: Check,
    sentry_triage: dict[str, list[dict[str, Any]]],
    sentry_previous_check: Loaded,
    sentry_new_since_last: tuple[str, ...] | None,
    sentry_triage_totals: dict[str, BucketTotal],
) -> None:
    """New issues: unresolved now but not at the previous check, the ids verify_loop counts as
    new (without a checkpoint, first seen in the last 24 hours)."""
    previous = sentry_previous_check.previous
    if sentry_previous_check.moved_aside is not None:
        sentry_check.risk(
            messages.MOVED_ASIDE.format(
                problem=sentry_previous_check.problem, aside=sentry_previous_check.moved_aside
            )
        )
    since_last = previous is not None and sentry_new_since_last is not None  # ids to compare
    window = (
        messages.SINCE_LAST.format(since=previous.checked_at)
        if since_last and previous
        else messages.SINCE_DAY
    )
    hints, total = sentry_triage["new"], sentry_triage_totals["new"]
    listing = _report(sentry_check, "new", hints, total)
    sentry_check.record(window=window)
    if sentry_new_since_last is not None:  # the delta: every id in the evidence
        sentry_check.record(new_ids=list(sentry_new_since_last))
        if total.count > len(hints):
            listing += messages.MORE_BY_ID.format(more=total.count - len(hints))
    if not total.count:
        sentry_check.passed(messages.NONE_NEW.format(window=window))
        return
    showing = messages.showing(total.count, len(hints))
    sentry_check.passed(
        messages.NEW.format(count=total.said(), window=window, showing=showing, issues=listing)
    )


def _latest_events(server: str, org: str, hints: list[dict[str, Any]]) -> tuple[str, ...]:
    """The commands that show the latest event of the first urgent issues (a rerun of triage
    would only list them again)."""
    base = without_userinfo(server).rstrip("/")
    ids = [str(h["id"]) for h in hints if str(h.get("id", "")).isdigit()][:SHOWN]
    paths = (LATEST_EVENT.path(org=org, issue_id=issue_id) for issue_id in ids)
    return tuple(SHOW_ENDPOINT.format(url=shlex.quote(base + path)) for path in paths)


def test_likely_urgent(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_org: str,
    sentry_triage: dict[str, list[dict[str, Any]]],
    sentry_triage_totals: dict[str, BucketTotal],
) -> None:
    """Likely urgent: fatal, high priority, escalating, regressed, unhandled with many users."""
    hints, total = sentry_triage["urgent"], sentry_triage_totals["urgent"]
    listing = _report(sentry_check, "urgent", hints, total)
    if hints:
        commands = _latest_events(sentry_settings.url, sentry_org, hints)
        sentry_check.partial(
            messages.urgent(total, listing, len(hints), len(commands)),
            reason="urgent_issues",
            next_commands=commands,
            fixes=(messages.URGENT_FIX,),
        )
    if total.at_least:  # none among the issues read, but some were not read: undecided
        sentry_check.partial(
            messages.none_among(total), reason="urgent_not_all_read", fixes=(messages.UNREAD_FIX,)
        )
    sentry_check.passed(messages.NONE_IN.format(bucket=messages.URGENT_BUCKET))


def test_recurring_noisy(
    sentry_check: Check,
    sentry_triage: dict[str, list[dict[str, Any]]],
    sentry_triage_totals: dict[str, BucketTotal],
) -> None:
    """Recurring or noisy: many events per user, or open for a long time."""
    hints, total = sentry_triage["recurring"], sentry_triage_totals["recurring"]
    listing = _report(sentry_check, "recurring", hints, total)
    if not hints:
        sentry_check.passed(messages.NONE_IN.format(bucket=messages.RECURRING_BUCKET))
        return
    showing = messages.showing(total.count, len(hints))
    sentry_check.passed(
        messages.BUCKET.format(
            count=total.said(),
            bucket=messages.RECURRING_BUCKET,
            showing=showing,
            issues=listing,
        )
    )
