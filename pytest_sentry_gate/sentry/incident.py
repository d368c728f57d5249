"""Incident facts: the latest events of the top high-severity unresolved issues, and a checklist.

A small reader of its own (the issue-list readers of ``prod_health`` are being written beside it;
the two are to be folded together): one issue-list request for the top N issues matching
``HIGH_SEVERITY_QUERY`` in the window, then each issue's latest event, fetched concurrently.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.client import SentryClient, gather
from pytest_sentry_gate.sentry.issues import lifetime_first_seen

#: Unresolved, high priority, fatal or error, error issues only (a cron or uptime issue is HIGH
#: priority and has no release: ``reference/sentry-api.md`` §13 "Priority").
HIGH_SEVERITY_QUERY: Final = (
    "is:unresolved issue.priority:high level:[fatal,error] issue.category:error"
)
SORT: Final = "freq"


@dataclass(frozen=True)
class AffectedEvent:
    """One high-severity issue and its latest event (or the error that stopped reading it)."""

    issue: str
    issue_id: str
    title: str
    first_seen: str | None
    count: int
    users: int
    event: dict[str, Any] | errors.ApiError

    def tag(self, key: str) -> str | None:
        """The event's tag ``key`` (``release``/``environment``), or ``None``."""
        if not isinstance(self.event, dict):
            return None
        for item in self.event.get("tags") or ():
            if isinstance(item, dict) and item.get("key") == key and item.get("value"):
                return str(item["value"])
        return None


@dataclass(frozen=True)
class IncidentFacts:
    """The sampled events, the query that chose them, and the checklist they add up to."""

    query: str
    period: str
    endpoint: str
    affected: tuple[AffectedEvent, ...]

    def checklist(self) -> dict[str, Any]:
        """First seen, affected release, environments, events and users; empty mitigation and
        rollback for the person on call to fill."""
        releases = Counter(r for r in (a.tag("release") for a in self.affected) if r)
        first_seen = sorted(a.first_seen for a in self.affected if a.first_seen)
        return {
            "first_seen": first_seen[0] if first_seen else None,
            "affected_release": releases.most_common(1)[0][0] if releases else None,
            "releases": sorted(releases),
            "environments": sorted({e for a in self.affected if (e := a.tag("environment"))}),
            "issues": [a.issue for a in self.affected],
            "events": sum(a.count for a in self.affected),
            "users": sum(a.users for a in self.affected),
            "mitigation": "",
            "rollback": "",
        }


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def read_incident(
    client: SentryClient, org: str, project_id: str, *, top: int, period: str
) -> IncidentFacts:
    """The top ``top`` high-severity unresolved issues and their latest events."""
    path = endpoints.ISSUES.path(org=org)
    params: dict[str, str | int] = {
        "project": project_id,
        "query": HIGH_SEVERITY_QUERY,
        "sort": SORT,
        "limit": top,
        "statsPeriod": period,
    }
    response = client.get(path, params)
    issues = [i for i in (response.data or []) if isinstance(i, dict) and i.get("id")][:top]
    paths = [endpoints.LATEST_EVENT.path(org=org, issue_id=str(i["id"])) for i in issues]
    events = gather([functools.partial(client.get_json, p) for p in paths])
    affected = tuple(
        AffectedEvent(
            issue=str(i.get("shortId") or i["id"]),
            issue_id=str(i["id"]),
            title=str(i.get("title") or ""),
            first_seen=lifetime_first_seen(i) or None,
            count=_int(i.get("count")),
            users=_int(i.get("userCount")),
            event=event if isinstance(event, errors.ApiError | dict) else {},
        )
        for i, event in zip(issues, events, strict=True)
    )
    return IncidentFacts(HIGH_SEVERITY_QUERY, period, response.endpoint, affected)
