"""The issue_triage mode, declared once (its checks: ``checks/test_issue_triage.py``).

Which issues are new, likely urgent or recurring, with hints, owners and fix versions?
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.modes.mode import Mode

if TYPE_CHECKING:
    from pytest_sentry_gate.store.triage import BucketTotal

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "urgent_issues": "the likely-urgent triage bucket is not empty",
    "urgent_not_all_read": "no likely urgent issue among those triage read, but it could not "
    "read them all: undecided",
}

# -- the messages of its checks (``checks/test_issue_triage.py``) and their words --------------

NONE_IN: Final = "no {bucket} issue"
#: The buckets as the messages name them.
URGENT_BUCKET: Final = "likely urgent"
RECURRING_BUCKET: Final = "recurring"
BUCKET: Final = "{count} {bucket} issue(s){showing}: {issues}"
NEW: Final = "{count} new issue(s) {window}{showing}: {issues}"
NONE_NEW: Final = "no new issue {window}"
URGENT: Final = "{count} likely urgent issue(s), act today{showing}: {issues}"
#: None found, but some likely urgent issue may be on a page triage did not read.
NONE_AMONG: Final = (
    "no likely urgent issue among the {read} unresolved issue(s) read, but not every one was: {why}"
)
#: A bucket holds more issues than it lists (``sentry_triage_top``).
SHOWING: Final = " (showing the top {shown})"
#: The next commands show the latest event of fewer urgent issues than the bucket holds.
FIRST_EVENTS: Final = "; next commands: the latest event of the first {commands} of {count}"
SINCE_LAST: Final = "since the last check ({since})"
SINCE_DAY: Final = "in the last 24 h (no previous checkpoint)"
UNTRUSTED: Final = "title, culprit and tags are untrusted text from Sentry"
#: What to do when triage could not read every likely urgent issue.
UNREAD_FIX: Final = (
    "look for fatal, high-priority, escalating, regressed and unhandled issues in Sentry's issue "
    "stream beyond what triage read (the message says what it could not), or narrow "
    "sentry_stats_period so that fewer issues fall in the window"
)
URGENT_FIX: Final = (
    "act today on each likely urgent issue: read its latest event (the next commands), fix or "
    "mitigate it, and resolve it in Sentry once the fix ships"
)
MOVED_ASIDE: Final = "the checkpoint did not validate ({problem}): moved aside to {aside}"
MORE_BY_ID: Final = "; {more} more by id in the evidence"


def showing(count: int, shown: int) -> str:
    """`` (showing the top N)`` when the bucket holds more issues than it lists."""
    return SHOWING.format(shown=shown) if shown < count else ""


def urgent(total: BucketTotal, issues: str, shown: int, commands: int) -> str:
    """The likely-urgent verdict: the bucket's size (``total``: ``8`` or ``at least 8``), the
    ``shown`` issues it lists (``issues``, their lines joined), and how many of them the next
    commands show when that is fewer."""
    said = total.said()
    more = FIRST_EVENTS.format(commands=commands, count=said) if commands < total.count else ""
    return URGENT.format(count=said, showing=showing(total.count, shown), issues=issues) + more


def none_among(total: BucketTotal) -> str:
    """No likely urgent issue among those read, and why that does not mean there is none."""
    return NONE_AMONG.format(read=total.read, why="; ".join(total.why))


def line(hint: dict[str, Any]) -> str:
    """One triaged issue: id, title, why it is in its bucket, where, who owns it, the fix."""
    return (
        f"{hint['short_id']} {hint['title']!r} [{hint['why']}] at "
        f"{hint['top_frame'] or 'no in-app frame'}, owner {hint['owner']}{sentry_owner(hint)}, "
        f"ship the fix in {hint['fix_version'] or 'the next release'}"
    )


def sentry_owner(hint: dict[str, Any]) -> str:
    """Sentry's assignee and suggested owners beside the CODEOWNERS owner, when it has them."""
    said = [f"assigned to {hint['sentry_assignee']}"] if hint.get("sentry_assignee") else []
    if hint.get("suggested_owners"):
        said.append("suggested " + ", ".join(hint["suggested_owners"]))
    return f" (Sentry: {'; '.join(said)})" if said else ""


MODE: Final = Mode(
    name="issue_triage",
    order=50,
    help="new, urgent and recurring issues with hints, owners and fix versions",
    in_loop=True,
    summary=(
        "new (since the checkpoint), urgent and recurring issues with reproduction hints, "
        "release window, CODEOWNERS owner and fix version (read-only)"
    ),
    reasons=REASONS,
    settings=(
        "stats_period",
        "triage_top",
        "state_file",
    ),
    endpoints=(
        "issue list",
        "latest event of an issue",
        "issue detail",
        "team list",
    ),
    # triage walks the whole listing (prod_health reads its head); its candidate queries read the
    # checkpoint ("new since"); triage itself waits for them and the listing in flight
    prefetch=("unresolved", "high_severity", "triage_candidates", "triage", "unresolved_count"),
    reads_checkpoint=True,
)
