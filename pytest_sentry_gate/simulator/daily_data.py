"""Daily-loop situations of real Sentry that the demo does not show (``shared/reference/
sentry-api.md`` §13), one builder per situation, for tests and ``--scenario`` alike.

- ``add_monitor_failure``: a cron monitor's issue (``issueCategory: cron``, ``issueType:
  monitor_check_in_failure``, title "Monitor failure: …"), created HIGH priority, whose event
  carries no release (§13 "Priority").
"""

from __future__ import annotations

from typing import Final

from .data import SimulatorData
from .model import Issue

MONITOR_SLUG: Final = "nightly-model-sync"


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
