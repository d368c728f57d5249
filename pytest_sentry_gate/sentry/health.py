"""Release health from the sessions API: crash-free session and user rates of one release.

``GET /api/0/organizations/{org}/sessions/`` with ``field=crash_free_rate(session)``,
``field=crash_free_rate(user)``, ``field=sum(session)`` and ``query=release:"<version>"`` answers
``{"groups": [{"by": {}, "totals": {...}, "series": {...}}], ...}`` with rates as fractions
(``0.9976``). A project that sends no sessions answers no group, or totals of ``null`` and a
session sum of 0: "no session data", which the check reports as PARTIAL, never as a rate of 0.
An older server answers 400 ``Invalid field: "crash_free_rate(user)"`` for a field it does not
know (``reference/sentry-api.md`` §13): the field is dropped, the others are asked again, and
``unsupported`` names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from pytest_sentry_gate.errors import ApiError
from pytest_sentry_gate.sentry import endpoints, scope
from pytest_sentry_gate.sentry.client import SentryClient

SESSION_RATE: Final = "crash_free_rate(session)"
USER_RATE: Final = "crash_free_rate(user)"
SESSIONS: Final = "sum(session)"
#: Fewer sessions than this and a crash-free rate says nothing (``reference/sentry-api.md`` §13
#: "Sessions"): one crash in 20 sessions is 95%, none is 100%.
MIN_SESSIONS: Final = 100
_INVALID_FIELD: Final = re.compile(r'Invalid field: "([^"]+)"')


@dataclass(frozen=True)
class CrashFree:
    """Crash-free rates in percent (``None``: no data), the session total, and the request."""

    release: str
    period: str
    sessions_rate: float | None
    users_rate: float | None
    sessions: int
    endpoint: str
    #: Fields this server does not support (answered 400 "Invalid field"), dropped.
    unsupported: tuple[str, ...] = ()
    min_sessions: int = MIN_SESSIONS

    @property
    def has_data(self) -> bool:
        return self.sessions > 0 and self.sessions_rate is not None

    @property
    def enough(self) -> bool:
        """Enough sessions (``MIN_SESSIONS``) for the rates to be judged."""
        return self.sessions >= self.min_sessions


def _percent(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value) * 100.0, 4)
    return None


def crash_free(
    client: SentryClient, org: str, project_id: str, release: str, period: str
) -> CrashFree:
    """The release's crash-free rates over ``period`` (one request; one more per field the
    server does not support)."""
    fields, unsupported = [SESSION_RATE, USER_RATE, SESSIONS], []
    while True:
        try:
            response = client.get(
                endpoints.SESSIONS.path(org=org),
                scope.filtered(
                    client,
                    {
                        "project": project_id,
                        "field": fields,
                        "query": f'release:"{release}"',
                        "statsPeriod": period,
                        "interval": "1d",
                    },
                ),
            )
            break
        except ApiError as error:
            found = _INVALID_FIELD.search(error.message) if error.status == 400 else None
            if found is None or found.group(1) not in fields or len(fields) == 1:
                raise
            fields.remove(found.group(1))
            unsupported.append(found.group(1))
    groups = response.data.get("groups") if isinstance(response.data, dict) else None
    totals: dict[str, Any] = {}
    if isinstance(groups, list) and groups and isinstance(groups[0], dict):
        totals = groups[0].get("totals") or {}
    sessions = totals.get(SESSIONS)
    return CrashFree(
        release=release,
        period=period,
        sessions_rate=_percent(totals.get(SESSION_RATE)),
        users_rate=_percent(totals.get(USER_RATE)),
        sessions=int(sessions) if isinstance(sessions, int | float) else 0,
        endpoint=response.endpoint,
        unsupported=tuple(unsupported),
    )
