"""Incident facts: the latest events of the top high-severity unresolved issues, and a checklist.

One issue-list request (``issues.query``) for the top N issues matching ``HIGH_SEVERITY_QUERY``
in the window, as this server can answer it, then each issue's latest event, concurrently.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.sentry import endpoints, issues
from pytest_sentry_gate.sentry.client import SentryClient, gather

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
    last_seen: str | None = None
    substatus: str | None = None

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
    #: What was changed for this server (no issue priority, an unsupported term): say so.
    notes: tuple[str, ...] = ()

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


def read_incident(
    client: SentryClient, org: str, project_id: str, *, top: int, period: str
) -> IncidentFacts:
    """The top ``top`` high-severity unresolved issues and their latest events, the query as
    this server can answer it (``issues.query_for_server``: no issue priority → levels)."""
    found = issues.query_for_server(
        client, org, project_id, HIGH_SEVERITY_QUERY, period, sort=SORT, limit=top
    )
    chosen = found.issues[:top]
    paths = [endpoints.LATEST_EVENT.path(org=org, issue_id=i.id) for i in chosen]
    events = gather([functools.partial(client.get_json, p) for p in paths])
    affected = tuple(
        AffectedEvent(
            issue=i.short_id,
            issue_id=i.id,
            title=i.title,
            first_seen=i.first_seen or None,
            count=i.events,
            users=i.users,
            event=event if isinstance(event, errors.ApiError | dict) else {},
            last_seen=i.last_seen or None,
            substatus=i.substatus,
        )
        for i, event in zip(chosen, events, strict=True)
    )
    return IncidentFacts(found.query, period, found.endpoint, affected, found.notes)
