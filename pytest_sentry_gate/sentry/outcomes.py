"""What Sentry did with the project's events after ingestion answered: the organization's outcomes.

``GET /api/0/organizations/{org}/stats_v2/?field=sum(quantity)&groupBy=outcome&groupBy=reason
&groupBy=category&project=<id>&statsPeriod=24h&interval=1h`` (scope ``org:read``) answers
``{"start", "end", "intervals", "groups": [{"by": {"outcome", "reason", "category"},
"totals": {"sum(quantity)": n}, "series": {...}}]}`` (Sentry's ``src/sentry/snuba/outcomes.py``;
``shared/reference/sentry-api.md`` §13 "Outcomes"). An accepted row has no reason. A 200 from
ingestion is not arrival: an event may still be ``filtered`` (inbound filters such as
``browser-extensions``, ``release-version``, a discarded hash ``discarded-hash``),
``rate_limited`` (``usage_exceeded``), ``invalid``, ``abuse`` or ``cardinality_limited``;
``client_discard`` is what the SDK itself dropped and is shown, never judged.

A 403 (the token lacks ``org:read``), a 404 or a 400 (a server without this endpoint or its
grouping) is not a verdict about ingestion: ``unreadable`` says why, and the check is PARTIAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from pytest_sentry_gate.errors import ApiError, NotFound, ScopeError
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.client import SentryClient

FIELD: Final = "sum(quantity)"
PERIOD: Final = "24h"
#: The outcomes that mean Sentry dropped events it had been sent.
DROPPED: Final = ("rate_limited", "filtered", "invalid", "abuse", "cardinality_limited")
#: Reasons of a dropped smoke event that explain why it was never readable, in the order tried.
SMOKE_REASONS: Final = ("discarded-hash", "release-version", "browser-extensions")
#: Why events are dropped for a reason, in words a person on call can act on.
WHY: Final = {
    "discarded-hash": 'someone chose "Delete & Discard" on the issue (Project Settings > '
    "Inbound Filters > Discarded Issues)",
    "release-version": "an inbound filter drops this release (Project Settings > Inbound "
    "Filters > Releases)",
    "browser-extensions": "the inbound filter for browser extensions drops them",
    "error-message": "an inbound filter on the error message drops them",
    "usage_exceeded": "the organization's quota is used up",
}
NO_SCOPE: Final = (
    "the token cannot read the organization's outcomes (HTTP 403 from {endpoint}{scope})"
)
NOT_SERVED: Final = (
    "this Sentry does not serve the organization's outcomes (HTTP {status} from {endpoint}: "
    "{detail})"
)


@dataclass(frozen=True)
class Drop:
    """Events of one category dropped with one outcome for one reason."""

    outcome: str
    reason: str
    category: str
    count: int

    def describe(self) -> str:
        """``120 error event(s) rate_limited (usage_exceeded)``."""
        return f"{self.count} {self.category} event(s) {self.outcome} ({self.reason})"

    def explain(self) -> str:
        """What the drop means for a smoke event that was accepted and never readable."""
        why = WHY.get(self.reason, "an inbound filter or processing rule drops such events")
        return f"Sentry's outcomes of the last 24h show {self.describe()}: {why}"

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reason": self.reason, "category": self.category,
                "count": self.count}  # fmt: skip


@dataclass(frozen=True)
class Outcomes:
    """The project's outcomes over ``period``: accepted, dropped (largest first), client-side
    discards; or why they could not be read (``unreadable``)."""

    period: str
    endpoint: str
    accepted: int = 0
    drops: tuple[Drop, ...] = ()
    client_discards: tuple[Drop, ...] = ()
    unreadable: str | None = None

    @property
    def dropped(self) -> int:
        return sum(d.count for d in self.drops)

    def smoke_reason(self) -> Drop | None:
        """The drop that explains an accepted smoke event never being readable, if any: a
        discarded hash, a release filter, another inbound filter (``filtered`` first)."""
        filtered = [d for d in self.drops if d.outcome == "filtered" and d.category == "error"]
        for wanted in SMOKE_REASONS:
            found = next((d for d in filtered if d.reason == wanted), None)
            if found is not None:
                return found
        return filtered[0] if filtered else None

    def evidence(self) -> dict[str, Any]:
        found: dict[str, Any] = {"period": self.period, "endpoint": self.endpoint}
        if self.unreadable is not None:
            return {**found, "unreadable": self.unreadable}
        return {
            **found,
            "accepted": self.accepted,
            "dropped": [d.as_dict() for d in self.drops],
            "client_discards": [d.as_dict() for d in self.client_discards],
        }


def _count(group: dict[str, Any]) -> int:
    value = (group.get("totals") or {}).get(FIELD)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def parse(data: Any, period: str, endpoint: str) -> Outcomes:
    """``Outcomes`` from a ``stats_v2`` answer grouped by outcome, reason and category."""
    groups = data.get("groups") if isinstance(data, dict) else None
    accepted, drops, discards = 0, list[Drop](), list[Drop]()
    for group in groups if isinstance(groups, list) else ():
        if not isinstance(group, dict) or not isinstance(group.get("by"), dict):
            continue
        by, count = group["by"], _count(group)
        outcome = str(by.get("outcome") or "")
        if outcome == "accepted":
            accepted += count
        elif count > 0 and outcome in (*DROPPED, "client_discard"):
            row = Drop(
                outcome, str(by.get("reason") or "none"), str(by.get("category") or "?"), count
            )
            (discards if outcome == "client_discard" else drops).append(row)
    order = lambda d: (-d.count, d.outcome, d.reason, d.category)  # noqa: E731
    return Outcomes(period, endpoint, accepted, tuple(sorted(drops, key=order)),
                    tuple(sorted(discards, key=order)))  # fmt: skip


def read_outcomes(client: SentryClient, org: str, project_id: str) -> Outcomes:
    """The project's outcomes of the last 24 hours, hour by hour, grouped by outcome, reason
    and category (one request)."""
    path = endpoints.ORG_STATS.path(org=org)
    params = {
        "field": FIELD,
        "groupBy": ["outcome", "reason", "category"],
        "project": project_id,
        "statsPeriod": PERIOD,
        "interval": "1h",
    }
    try:
        response = client.get(path, params)
    except ScopeError as error:
        scope = (
            f"; it needs {error.missing_scope}" if error.missing_scope else "; it needs org:read"
        )
        return Outcomes(PERIOD, path, unreadable=NO_SCOPE.format(endpoint=path, scope=scope))
    except ApiError as error:
        if not isinstance(error, NotFound) and error.status != 400:
            raise
        detail = NOT_SERVED.format(status=error.status, endpoint=path, detail=error.message)
        return Outcomes(PERIOD, path, unreadable=detail)
    return parse(response.data, PERIOD, response.endpoint)
