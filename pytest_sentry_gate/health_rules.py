"""prod_health's rules as pure functions over its facts, tested alone (no Sentry, no pytest).

``severity_tally`` counts the high-severity issues of several queries (an issue two queries match
counts once while every page was read); ``release_in`` names the release a query is scoped to;
``crash_free_breach`` finds the first crash-free rate under its minimum; ``growth`` compares the
unresolved count with the previous checkpoint's. The checks of ``checks/test_prod_health.py``
turn their answers into verdicts; their words are in ``modes/prod_health.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.issue_facts import IssueSummary, QueryResult
    from pytest_sentry_gate.settings import Settings


def severity_tally(
    results: Sequence[QueryResult],
) -> tuple[tuple[IssueSummary, ...], int]:
    """The high-severity issues the queries listed (each once, in the order found) and their
    count: exact when every query was read in full, else the queries' totals added (beyond one
    page an issue that matches two queries counts twice)."""
    issues = tuple({i.id: i for result in results for i in result.issues}.values())
    complete = all(r.exact and r.total <= len(r.issues) for r in results)
    return issues, len(issues) if complete else sum(r.total for r in results)


def release_in(query: str) -> str:
    """The release a query is scoped to: ``is:unresolved release:"1.2.0"`` -> ``1.2.0``."""
    return query.split('release:"', 1)[-1].split('"', 1)[0]


def crash_free_breach(
    health: CrashFree, min_sessions: float, min_users: float
) -> tuple[str, float, float] | None:
    """The first crash-free rate (sessions, then users) under its minimum, as (what, rate,
    minimum); ``None`` when each is at least its minimum or unknown."""
    for what, value, minimum in (
        ("sessions", health.sessions_rate, min_sessions),
        ("users", health.users_rate, min_users),
    ):
        if value is not None and value < minimum:
            return what, value, minimum
    return None


def crash_free_evidence(health: CrashFree, conf: Settings) -> dict[str, Any]:
    """What the crash-free check records: the rates, their minimums and the request."""
    return {
        "release": health.release,
        "statsPeriod": health.period,
        "sessions": health.sessions,
        "crash_free_sessions": health.sessions_rate,
        "crash_free_users": health.users_rate,
        "min_crash_free_sessions": conf.min_crash_free_sessions,
        "min_crash_free_users": conf.min_crash_free_users,
        "min_sessions": health.min_sessions,
        "endpoint": health.endpoint,
    }


@dataclass(frozen=True)
class Growth:
    """The unresolved count now (``after``) against the previous checkpoint's (``before``)."""

    before: int
    after: int
    limit: float
    since: str

    @property
    def ratio(self) -> float:
        """``after / before`` (a baseline of 0 counts as 1: growth from nothing is finite)."""
        return self.after / max(self.before, 1)

    @property
    def unexpected(self) -> bool:
        return self.ratio > self.limit

    def fields(self) -> dict[str, Any]:
        """The fields the growth messages name."""
        return {"before": self.before, "after": self.after, "ratio": self.ratio,
                "limit": self.limit, "since": self.since}  # fmt: skip
