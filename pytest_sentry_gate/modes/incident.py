"""The incident mode, declared once (its checks: ``checks/test_incident.py``).

Is ingestion healthy, and are the affected events tagged, symbolicated and scrubbed?
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.modes import release_gate
from pytest_sentry_gate.modes.mode import Mode

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "ingestion_unhealthy": "the incident's ingestion check failed",
    "tags_missing": "affected events lack their release or environment tag",
    "event_unreadable": "an affected event could not be read",
    "personal_data": "sampled events hold unscrubbed personal data",
    "events_dropped": "Sentry dropped more events than allowed after ingestion (outcomes)",
    "outcomes_unreadable": "the organization's outcomes could not be read (scope or server)",
}

MODE: Final = Mode(
    name="incident",
    order=60,
    help="ingestion, tags, symbolication and privacy of the affected events",
    in_loop=False,
    summary=(
        "ingestion, tags, symbolication and privacy of the affected events; a checklist record"
    ),
    reasons=REASONS,
    settings=(
        "incident_top",
        "stats_period",
    ),
    endpoints=(
        *release_gate.MODE.endpoints,  # the affected release is judged as the gate judges it
        "client keys",
        "organization outcomes (stats_v2)",
        "release deploys",
    ),
)
