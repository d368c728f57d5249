"""prod_health: exact numbers for the morning check, and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate import trend
from pytest_sentry_gate.health_rules import (
    Growth,
    crash_free_breach,
    crash_free_evidence,
    release_in,
    severity_tally,
)
from pytest_sentry_gate.modes import prod_health as messages
from pytest_sentry_gate.modes.prod_health import TRIAGE

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_sentry_gate.checkpoint import Loaded
    from pytest_sentry_gate.checkpoint.model import Checkpoint
    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.issues import QueryResult, UnresolvedCount
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.prod_health


def say_server_changes(sentry_check: Check, results: tuple[QueryResult, ...]) -> str:
    """Each change made for this server (no issue priority, a fallback) as a risk; the sentences
    of unsupported terms, for a PARTIAL ("" when every term was supported)."""
    for result in results:
        for note in result.notes:
            sentry_check.risk(note)
    unsupported = (n for r in results if r.unsupported for n in r.notes)
    return "; ".join(n for n in unsupported if messages.UNSUPPORTED_NOTE in n)


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
    message = messages.COUNT.format(
        count=count.value if count.exact else messages.ABOUT.format(count=count.value),
        project=sentry_project,
        period=count.period,
        source=count.source,
    )
    if count.at_least is not None:
        message += messages.AT_LEAST.format(at_least=count.at_least)
    sentry_check.passed(message)


def test_high_severity(
    sentry_check: Check, sentry_settings: Settings, sentry_high_severity: tuple[QueryResult, ...]
) -> None:
    """High-severity unresolved issues (fatal; error with high priority): any present, escalate."""
    results, tolerated = sentry_high_severity, sentry_settings.max_high_severity
    issues, total = severity_tally(results)
    sentry_check.record(
        queries=[r.evidence() for r in results],
        count=total,
        issues=[i.snapshot() for i in issues],
        untrusted_text="title",
    )
    queries = "; ".join(r.query for r in results)
    unsupported = say_server_changes(sentry_check, results)
    if total > tolerated:
        sentry_check.fail(
            messages.high_severity(total, tolerated, issues),
            reason="high_severity",
            next_commands=(sentry_check.rerun_for(TRIAGE),),
        )
    if unsupported:
        sentry_check.partial(unsupported, reason="query_unsupported")
    if not all(r.exact for r in results):
        not_exact = messages.NOT_EXACT.format(count=total, queries=queries)
        sentry_check.partial(not_exact, reason="listing_capped")
    if total:
        sentry_check.passed(messages.high_severity(total, tolerated, issues))
        return
    sentry_check.passed(messages.NO_HIGH_SEVERITY.format(queries=queries))


def test_release_issues(
    sentry_check: Check,
    sentry_release_issues: tuple[QueryResult, QueryResult] | None,
) -> None:
    """Unresolved issues scoped to the release under check, and its regressions."""
    if sentry_release_issues is None:
        sentry_check.not_applicable(messages.NO_RELEASE)
    unresolved, regressed = sentry_release_issues
    release = release_in(unresolved.query)
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
            messages.REGRESSIONS.format(
                regressed=regressed.total,
                release=release,
                issues=messages.listing(regressed.issues),
            ),
            reason="release_regressions",
            rerun=sentry_check.rerun_for(TRIAGE),
        )
    if unsupported:
        sentry_check.partial(unsupported, reason="query_unsupported")
    sentry_check.passed(
        messages.RELEASE_ISSUES.format(
            count=unresolved.total, release=release, regressed=regressed.total
        )
    )


def test_crash_free_rate(
    sentry_check: Check, sentry_settings: Settings, sentry_crash_free: CrashFree | None
) -> None:
    """Crash-free session and user rates of the release against their thresholds."""
    conf, health = sentry_settings, sentry_crash_free
    if health is None:
        sentry_check.not_applicable(messages.NO_RELEASE)
    sentry_check.record(**crash_free_evidence(health, conf))
    if not health.has_data:
        sentry_check.partial(
            messages.NO_SESSIONS.format(release=health.release, period=health.period),
            reason="no_session_data",
            fixes=(messages.SESSIONS_FIX.format(release=health.release),),
        )
    if not health.enough:
        sentry_check.partial(messages.thin(health), reason="not_enough_sessions")
    low = crash_free_breach(health, conf.min_crash_free_sessions, conf.min_crash_free_users)
    if low is not None:
        what, value, minimum = low
        sentry_check.fail(
            messages.CRASH_FREE_LOW.format(
                what=what, value=value, release=health.release, minimum=minimum
            ),
            reason="crash_free_below_threshold",
            next_commands=(sentry_check.rerun_for(TRIAGE),),
        )
    if health.unsupported:
        sentry_check.record(unsupported=list(health.unsupported))
        sentry_check.partial(messages.unsupported_fields(health), reason="query_unsupported")
    sentry_check.passed(messages.crash_free(health))


def _require_baseline(
    sentry_check: Check, loaded: Loaded, state_file: Path, unwritable: str | None
) -> Checkpoint:
    """The previous checkpoint to measure growth from, or the verdict saying why there is none
    (its location is not writable, it did not validate, it is the first run)."""
    if unwritable is not None:
        sentry_check.partial(
            messages.UNWRITABLE.format(path=state_file.parent, detail=unwritable),
            reason="checkpoint_unwritable",
        )
    if loaded.moved_aside is not None:
        sentry_check.partial(
            messages.MOVED_ASIDE.format(
                path=state_file, problem=loaded.problem, aside=loaded.moved_aside
            ),
            reason="checkpoint_moved_aside",
        )
    if loaded.previous is None:
        sentry_check.not_applicable(messages.NO_BASELINE)
    return loaded.previous


def test_volume_growth(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_unresolved_count: UnresolvedCount,
    sentry_previous_check: Loaded,
    sentry_state_file: Path,
    sentry_checkpoint_writable: str | None,
) -> None:
    """Unresolved volume against the previous checkpoint: unexpected growth needs triage."""
    count = sentry_unresolved_count.value
    sentry_check.record(state_file=str(sentry_state_file), count=count)
    previous = _require_baseline(
        sentry_check, sentry_previous_check, sentry_state_file, sentry_checkpoint_writable
    )
    growth = Growth(
        previous.unresolved_count, count, sentry_settings.growth_ratio, previous.checked_at
    )
    sentry_check.record(
        previous=growth.before, previous_check=growth.since, ratio=round(growth.ratio, 3)
    )
    triage = sentry_check.rerun_for(TRIAGE)
    if growth.unexpected:
        sentry_check.partial(
            messages.GROWTH.format(**growth.fields(), triage=triage),
            reason="unexpected_growth",
            rerun=triage,
        )
    runs = sentry_settings.growth_runs
    if (series := trend.rising(previous.history, count, runs)) is not None:
        sentry_check.record(unresolved_series=series, growth_runs=runs)
        message = messages.rising(runs, series, triage)
        sentry_check.partial(message, reason="unexpected_growth", rerun=triage)
    sentry_check.passed(messages.STEADY.format(**growth.fields()))
