"""prod_health: exact numbers for the morning check, and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate import trend
from pytest_sentry_gate.triage import safe

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_sentry_gate.checkpoint import Loaded
    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.issues import IssueSummary, QueryResult, UnresolvedCount
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.prod_health

COUNT: Final = "{count} unresolved issues in {project} (statsPeriod {period}, {source})"
AT_LEAST: Final = "; X-Hits said at least {at_least} (capped)"
HIGH_SEVERITY: Final = (
    "{count} high-severity unresolved issue(s) (tolerated: {max}): escalate same day. {issues}"
)
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
NO_BASELINE: Final = "no previous checkpoint: growth is measured from the next verify_loop run"
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


def _listing(issues: tuple[IssueSummary, ...], limit: int = 5) -> str:
    """Issues as one line each; titles are untrusted text, escaped and quoted."""
    rows = [
        f"{safe(i.short_id)} {safe(i.title, 80)!r} ({i.events} events, {i.users} users, "
        f"last seen {i.last_seen}) {i.permalink}"
        for i in issues[:limit]
    ]
    more = len(issues) - limit
    return "; ".join(rows) + (f"; and {more} more" if more > 0 else "")


def say_server_changes(sentry_check: Check, results: tuple[QueryResult, ...]) -> str:
    """Each change made for this server (no issue priority, a fallback) as a risk; the sentences
    of unsupported terms, for a PARTIAL ("" when every term was supported)."""
    for result in results:
        for note in result.notes:
            sentry_check.risk(note)
    return "; ".join(n for r in results if r.unsupported for n in r.notes if "not support" in n)


def test_unresolved_count(
    sentry_check: Check, sentry_project: str, sentry_unresolved_count: UnresolvedCount
) -> None:
    """The project's exact unresolved count, naming its query and time window."""
    count = sentry_unresolved_count
    sentry_check.record(
        count=count.value,
        exact=count.exact,
        source=count.source,
        at_least=count.at_least,
        query=count.query,
        statsPeriod=count.period,
        requests=count.requests,
        endpoint=count.endpoint,
    )
    message = COUNT.format(
        count=count.value if count.exact else f"about {count.value}",
        project=sentry_project,
        period=count.period,
        source=count.source,
    )
    if count.at_least is not None:
        message += AT_LEAST.format(at_least=count.at_least)
    sentry_check.passed(message)


def test_high_severity(
    sentry_check: Check, sentry_settings: Settings, sentry_high_severity: tuple[QueryResult, ...]
) -> None:
    """High-severity unresolved issues (fatal; error with high priority): any present, escalate."""
    unique = {i.id: i for result in sentry_high_severity for i in result.issues}
    issues = tuple(unique.values())
    complete = all(r.exact and r.total <= len(r.issues) for r in sentry_high_severity)
    # Beyond one page, the queries' totals are added (an issue matching two counts twice).
    total = len(issues) if complete else sum(r.total for r in sentry_high_severity)
    sentry_check.record(
        queries=[r.evidence() for r in sentry_high_severity],
        count=total,
        issues=[i.snapshot() for i in issues],
        untrusted_text="title",
    )
    queries = "; ".join(r.query for r in sentry_high_severity)
    unsupported = say_server_changes(sentry_check, sentry_high_severity)
    if total > sentry_settings.max_high_severity:
        sentry_check.fail(
            HIGH_SEVERITY.format(
                count=total, max=sentry_settings.max_high_severity, issues=_listing(issues)
            ),
            reason="high_severity",
            next_commands=(sentry_check.rerun_for(TRIAGE),),
        )
    if unsupported:
        sentry_check.partial(unsupported, reason="query_unsupported")
    if not all(r.exact for r in sentry_high_severity):
        sentry_check.partial(
            NOT_EXACT.format(count=total, queries=queries), reason="listing_capped"
        )
    if total:
        sentry_check.passed(
            TOLERATED.format(
                count=total, max=sentry_settings.max_high_severity, issues=_listing(issues)
            )
        )
        return
    sentry_check.passed(NO_HIGH_SEVERITY.format(queries=queries))


def test_release_issues(
    sentry_check: Check,
    sentry_release_issues: tuple[QueryResult, QueryResult] | None,
) -> None:
    """Unresolved issues scoped to the release under check, and its regressions."""
    if sentry_release_issues is None:
        sentry_check.not_applicable(NO_RELEASE)
    unresolved, regressed = sentry_release_issues
    release = unresolved.query.split('release:"', 1)[-1].split('"', 1)[0]
    sentry_check.record(
        release=release,
        unresolved=unresolved.evidence(),
        regressed=regressed.evidence(),
        regressions=[i.snapshot() for i in regressed.issues],
        untrusted_text="title",
    )
    unsupported = say_server_changes(sentry_check, (unresolved, regressed))
    if regressed.total:
        sentry_check.partial(
            REGRESSIONS.format(
                regressed=regressed.total, release=release, issues=_listing(regressed.issues)
            ),
            reason="release_regressions",
            rerun=sentry_check.rerun_for(TRIAGE),
        )
    if unsupported:
        sentry_check.partial(unsupported, reason="query_unsupported")
    sentry_check.passed(
        RELEASE_ISSUES.format(count=unresolved.total, release=release, regressed=regressed.total)
    )


def test_crash_free_rate(
    sentry_check: Check, sentry_settings: Settings, sentry_crash_free: CrashFree | None
) -> None:
    """Crash-free session and user rates of the release against their thresholds."""
    health = sentry_crash_free
    if health is None:
        sentry_check.not_applicable(NO_RELEASE)
    sentry_check.record(
        release=health.release,
        statsPeriod=health.period,
        sessions=health.sessions,
        crash_free_sessions=health.sessions_rate,
        crash_free_users=health.users_rate,
        min_crash_free_sessions=sentry_settings.min_crash_free_sessions,
        min_crash_free_users=sentry_settings.min_crash_free_users,
        min_sessions=health.min_sessions,
        endpoint=health.endpoint,
    )
    if not health.has_data:
        sentry_check.partial(
            NO_SESSIONS.format(release=health.release, period=health.period),
            reason="no_session_data",
        )
    if not health.enough:
        sentry_check.partial(
            THIN.format(count=health.sessions, release=health.release, period=health.period,
                        minimum=health.min_sessions, sessions=health.sessions_rate),
            reason="not_enough_sessions",
        )  # fmt: skip
    for what, value, minimum in (
        ("sessions", health.sessions_rate, sentry_settings.min_crash_free_sessions),
        ("users", health.users_rate, sentry_settings.min_crash_free_users),
    ):
        if value is not None and value < minimum:
            sentry_check.fail(
                CRASH_FREE_LOW.format(
                    what=what, value=value, release=health.release, minimum=minimum
                ),
                reason="crash_free_below_threshold",
                next_commands=(sentry_check.rerun_for(TRIAGE),),
            )
    if health.unsupported:
        sentry_check.record(unsupported=list(health.unsupported))
        sentry_check.partial(
            UNSUPPORTED_FIELDS.format(fields=", ".join(health.unsupported))
            + CRASH_FREE.format(
                sessions=health.sessions_rate if health.sessions_rate is not None else "?",
                users=health.users_rate if health.users_rate is not None else "?",
                release=health.release,
            ),
            reason="query_unsupported",
        )
    sentry_check.passed(
        CRASH_FREE.format(
            sessions=health.sessions_rate, users=health.users_rate, release=health.release
        )
    )


def test_volume_growth(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_unresolved_count: UnresolvedCount,
    sentry_previous_check: Loaded,
    sentry_state_file: Path,
    sentry_checkpoint_writable: str | None,
) -> None:
    """Unresolved volume against the previous checkpoint: unexpected growth needs triage."""
    previous = sentry_previous_check.previous
    sentry_check.record(state_file=str(sentry_state_file), count=sentry_unresolved_count.value)
    problem = sentry_checkpoint_writable
    if problem is not None:
        sentry_check.partial(
            UNWRITABLE.format(path=sentry_state_file.parent, detail=problem),
            reason="checkpoint_unwritable",
        )
    if sentry_previous_check.moved_aside is not None:
        sentry_check.partial(
            MOVED_ASIDE.format(
                path=sentry_state_file,
                problem=sentry_previous_check.problem,
                aside=sentry_previous_check.moved_aside,
            ),
            reason="checkpoint_moved_aside",
        )
    if previous is None:
        sentry_check.not_applicable(NO_BASELINE)
    before, after = previous.unresolved_count, sentry_unresolved_count.value
    ratio = after / max(before, 1)
    limit = sentry_settings.growth_ratio
    sentry_check.record(previous=before, previous_check=previous.checked_at, ratio=round(ratio, 3))
    fields: dict[str, Any] = {
        "before": before,
        "after": after,
        "ratio": ratio,
        "limit": limit,
        "since": previous.checked_at,
    }
    if ratio > limit:
        triage = sentry_check.rerun_for(TRIAGE)
        sentry_check.partial(
            GROWTH.format(**fields, triage=triage), reason="unexpected_growth", rerun=triage
        )
    runs = sentry_settings.growth_runs
    series = trend.rising(previous.history, after, runs)
    if series is not None:
        triage = sentry_check.rerun_for(TRIAGE)
        sentry_check.record(unresolved_series=series, growth_runs=runs)
        counts = " -> ".join(map(str, series))
        sentry_check.partial(
            RISING.format(runs=runs, counts=counts, triage=triage),
            reason="unexpected_growth",
            rerun=triage,
        )
    sentry_check.passed(STEADY.format(**fields))
