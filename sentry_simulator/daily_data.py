"""Daily-loop situations of real Sentry that the demo does not show (``shared/reference/
sentry-api.md`` §13), one builder per situation, for tests and ``--scenario`` alike.

- ``add_monitor_failure``: a cron monitor's issue (``issueCategory: cron``, ``issueType:
  monitor_check_in_failure``, title "Monitor failure: …"), created HIGH priority, whose event
  carries no release (§13 "Priority").
- ``add_regression``: an issue first seen in an older release that regressed in ``release``
  ``days_ago`` days ago; after 7 days Sentry has moved it from ``regressed`` to ``ongoing``, and
  only ``regressed_in_release:`` still finds it (§13 "Substatus").
- ``add_reappeared``: a fatal issue first seen months ago, quiet since, back ``hours_ago`` hours
  ago: in a window its top-level ``firstSeen``/``count`` are the window's, ``lifetime{}`` holds
  the old ones (§13 "Window-scoped issue fields").
"""

from __future__ import annotations

from typing import Final

from .data import SimulatorData
from .model import Issue

MONITOR_SLUG: Final = "nightly-model-sync"
DAY: Final = 86400
#: Sentry's ``auto_ongoing_issues``: a regressed issue becomes ongoing after this many days.
REGRESSED_DAYS: Final = 7


def add_monitor_failure(
    data: SimulatorData, *, project: str, slug: str = MONITOR_SLUG, environment: str = "production"
) -> Issue:
    """A missed check-in of the monitor ``slug``: a HIGH priority ``cron`` issue, no release."""
    when = data.now_epoch - 1800
    issue = data.add_issue(
        project=project, title=f"Monitor failure: {slug} (missed_checkin)", culprit="",
        level="error", priority="high", substatus="new", category="cron",
        issue_type="monitor_check_in_failure", count=3, user_count=0, first_seen=when - 7200,
        last_seen=when, first_release=None, last_release=None, environment=environment,
        is_unhandled=False, exc_type="", exc_value="",
    )  # fmt: skip
    data.add_event(
        issue.id, date=when, release=None, environment=environment, platform="other",
        message=issue.title, exc_type="", exc_value="", level="error",
        tags=[("environment", environment), ("level", "error"), ("monitor.slug", slug)],
    )  # fmt: skip
    return issue


def add_regression(
    data: SimulatorData,
    *,
    project: str,
    release: str,
    first_release: str,
    days_ago: float,
    title: str = "TypeError: Cannot read properties of null (reading 'lang')",
) -> Issue:
    """An issue of ``first_release`` that regressed in ``release`` ``days_ago`` days ago and has
    had events since (``regressed`` for 7 days, then ``ongoing``)."""
    now = data.now_epoch
    regressed = now - int(days_ago * DAY)
    issue = data.add_issue(
        project=project, title=title, culprit="detectLanguage(./src/lang)", level="error",
        substatus="regressed" if days_ago < REGRESSED_DAYS else "ongoing",
        count=40, user_count=9, first_seen=now - 60 * DAY, last_seen=now - 3600,
        first_release=first_release, last_release=release, regressed_in=(release,),
    )  # fmt: skip
    data.add_event(issue.id, date=regressed, release=release,
                   tags=[("environment", "production"), ("release", release)])  # fmt: skip
    return issue


def add_reappeared(
    data: SimulatorData, *, project: str, release: str | None, hours_ago: float = 3,
    first_days_ago: int = 120, title: str = "Error: audio engine crashed on resume",
) -> Issue:  # fmt: skip
    """A fatal, regressed issue first seen ``first_days_ago`` days ago, back ``hours_ago`` ago."""
    now = data.now_epoch
    back = now - int(hours_ago * 3600)
    issue = data.add_issue(
        project=project, title=title, culprit="resumeEngine(./src/audio/engine)", level="fatal",
        priority="high", substatus="regressed", count=212, user_count=80,
        first_seen=now - first_days_ago * DAY, last_seen=now - 600, resumed_at=back,
        resumed_count=4, first_release=release, last_release=release,
        regressed_in=(release,) if release else (),
    )  # fmt: skip
    tags = [("environment", "production"), *([("release", release)] if release else [])]
    data.add_event(issue.id, date=now - 600, release=release, level="fatal", tags=tags)
    return issue
