"""The prod_health mode, declared once (its checks: ``checks/test_prod_health.py``).

How many unresolved and high-severity issues, how healthy the release, how fast the growth?
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pytest_sentry_gate.modes.mode import Mode
from pytest_sentry_gate.triage import safe

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.issue_facts import IssueSummary

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "high_severity": "high-severity unresolved issues above the threshold: escalate same day",
    "release_regressions": "regressed issues in the release under check",
    "no_session_data": "the release has no session data to judge its crash-free rate",
    "crash_free_below_threshold": "a crash-free rate below its minimum",
    "unexpected_growth": "unresolved issues grew beyond the ratio since the last checkpoint",
    "checkpoint_unwritable": "the checkpoint location cannot be written",
    "checkpoint_refused": "the checkpoint path is a symlink, FIFO or device: left untouched",
    "checkpoint_moved_aside": "the checkpoint did not validate: moved aside, a new baseline starts",
    "query_unsupported": "this Sentry does not support a query term or field: a fallback was used",
    "not_enough_sessions": "too few sessions for the crash-free rate to mean anything",
}

# -- the messages of its checks (``checks/test_prod_health.py``) and their words ---------------

COUNT: Final = "{count} unresolved issues in {project} (statsPeriod {period}, {source})"
#: A count that is Sentry's estimate.
ABOUT: Final = "about {count}"
AT_LEAST: Final = "; X-Hits said at least {at_least} (capped)"
HIGH_SEVERITY: Final = (
    "{count} high-severity unresolved issue(s) (tolerated: {max}): escalate same day. {issues}"
)
#: The words of a server change that drops a query term the server does not support: such
#: notes are the PARTIAL's message (``search_compat``, ``triage.NOT_SUPPORTED``).
UNSUPPORTED_NOTE: Final = "not support"
NO_HIGH_SEVERITY: Final = "no high-severity unresolved issue ({queries})"
TOLERATED: Final = "{count} high-severity unresolved issue(s), tolerated up to {max}: {issues}"
NOT_EXACT: Final = (
    "about {count} high-severity unresolved issue(s): beyond one page Sentry's count is an "
    "estimate ({queries})"
)
NO_RELEASE: Final = "no release under check (set --sentry-release or fix the version files)"
RELEASE_ISSUES: Final = "{count} unresolved issue(s) in {release}, {regressed} regressed"
REGRESSIONS: Final = "{regressed} regression(s) in {release}: {issues}. Triage them today."
NO_SESSIONS: Final = (
    "no session data for {release} in the last {period}: release health needs the SDK's "
    "session tracking (autoSessionTracking) and a release tag on sessions."
)
#: What to change by hand when the release has no sessions (the rerun alone changes nothing).
SESSIONS_FIX: Final = (
    "turn on the SDK's session tracking and set its release to {release}, ship that build, then "
    "rerun once sessions have arrived"
)
THIN: Final = (
    "not enough sessions: {count} session(s) of {release} in the last {period} (crash-free "
    "{sessions}%); a rate over fewer than {minimum} sessions is not judged"
)
CRASH_FREE: Final = "crash-free sessions {sessions}%, users {users}% for {release}"
CRASH_FREE_LOW: Final = (
    "crash-free {what} {value}% for {release} is under the threshold {minimum}% "
    "(sentry_min_crash_free_{what})"
)
MOVED_ASIDE: Final = (
    "the checkpoint {path} did not validate ({problem}): moved aside to {aside}; growth is "
    "measured from the baseline this run writes"
)
UNSUPPORTED_FIELDS: Final = "this Sentry does not support {fields}: judged without it; "
NO_BASELINE: Final = (
    "no previous checkpoint: growth is measured once a live verify_loop run (not a replay) has "
    "written one"
)
GROWTH: Final = (
    "unresolved issues grew from {before} to {after} (x{ratio:.2f}, more than "
    "x{limit:g}) since {since}: run `{triage}`"
)
RISING: Final = (
    "unresolved issues rose in each of the last {runs} verify_loop runs ({counts}; "
    "sentry_growth_runs = {runs}): run `{triage}`"
)
STEADY: Final = "unresolved {before} -> {after} since {since} (x{ratio:.2f}, limit x{limit:g})"
UNWRITABLE: Final = (
    "the checkpoint location {path} is not writable ({detail}); set --sentry-state-file"
)
#: The mode whose command follows a finding that needs triage.
TRIAGE: Final = "issue_triage"


def listing(issues: Sequence[IssueSummary], limit: int = 5) -> str:
    """Issues as one line each; titles are untrusted text, escaped and quoted."""
    rows = [
        f"{safe(i.short_id)} {safe(i.title, 80)!r} ({i.events} events, {i.users} users, "
        f"last seen {i.last_seen}) {i.permalink}"
        for i in issues[:limit]
    ]
    more = len(issues) - limit
    return "; ".join(rows) + (f"; and {more} more" if more > 0 else "")


def high_severity(count: int, tolerated: int, issues: Sequence[IssueSummary]) -> str:
    """More high-severity issues than tolerated (FAIL), or as many as tolerated (PASS)."""
    template = HIGH_SEVERITY if count > tolerated else TOLERATED
    return template.format(count=count, max=tolerated, issues=listing(issues))


def thin(health: CrashFree) -> str:
    return THIN.format(count=health.sessions, release=health.release, period=health.period,
                       minimum=health.min_sessions, sessions=health.sessions_rate)  # fmt: skip


def crash_free(health: CrashFree, unknown: str | None = None) -> str:
    """The crash-free rates of the release (``unknown`` shown for a rate the server gave none)."""
    sessions, users = health.sessions_rate, health.users_rate
    return CRASH_FREE.format(
        sessions=unknown if sessions is None else sessions,
        users=unknown if users is None else users,
        release=health.release,
    )


def unsupported_fields(health: CrashFree) -> str:
    """The fields this server does not support, then the rates judged without them."""
    fields = UNSUPPORTED_FIELDS.format(fields=", ".join(health.unsupported))
    return fields + crash_free(health, unknown="?")


def rising(runs: int, series: Sequence[int], triage: str) -> str:
    return RISING.format(runs=runs, counts=" -> ".join(map(str, series)), triage=triage)


MODE: Final = Mode(
    name="prod_health",
    order=40,
    help="unresolved and high-severity counts, release health, growth",
    in_loop=True,
    summary=(
        'the unresolved count (`X-Hits`, exact on one page, "about N" beyond it, the id '
        'listing when capped); high-severity unresolved error issues (FAIL "escalate same '
        'day"); unresolved issues and regressions of the release; crash-free session/user '
        "rates (from 100 sessions on); growth against the checkpoint"
    ),
    reasons=REASONS,
    settings=(
        "stats_period",
        "max_high_severity",
        "min_crash_free_sessions",
        "min_crash_free_users",
        "high_severity_queries",
        "growth_ratio",
        "min_sessions",
        "state_file",
    ),
    endpoints=(
        "issue list",
        "sessions",
    ),
    # (no valid release name: the release's issues and health read nothing)
    prefetch=("high_severity", "unresolved_count", "release_issues", "crash_free"),
    reads_checkpoint=True,  # growth is judged against it
)
