"""The incident mode, declared once (its checks: ``checks/test_incident.py``).

Is ingestion healthy, and are the affected events tagged, symbolicated and scrubbed?
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.modes import release_gate
from pytest_sentry_gate.modes.mode import Mode

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.deploys import Mitigation
    from pytest_sentry_gate.sentry.symbolication import Symbolication

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "ingestion_unhealthy": "the incident's ingestion check failed",
    "tags_missing": "affected events lack their release or environment tag",
    "event_unreadable": "an affected event could not be read",
    "personal_data": "sampled events hold unscrubbed personal data",
    "events_dropped": "Sentry dropped more events than allowed after ingestion (outcomes)",
    "outcomes_unreadable": "the organization's outcomes could not be read (scope or server)",
}

# -- the messages of its checks (``checks/test_incident.py``) and their words ------------------

INGESTION_BROKEN: Final = "Ingestion is not healthy: {problems}."
NO_ACTIVE_KEY: Final = "the project has no active client key"
DSN_MALFORMED: Final = "the DSN from {source} is malformed: {problem}"
DSN_MISMATCH: Final = "the DSN from {source}: {problem}"
DSN_ALIAS: Final = "{alias}: ingestion accepts both for the same key"
SMOKE_DROPPED: Final = "{quota} (HTTP {status} to the smoke event)"
SMOKE_REJECTED: Final = "the smoke event was rejected (HTTP {status})"
NO_DSN: Final = "no DSN in SENTRY_DSN or .env: only the project's keys were checked"
TAGGED: Final = "{count} affected event(s) carry release and environment"
UNTAGGED: Final = "Affected events lack tags: {items}. Set release and environment in Sentry.init."
UNTAGGED_EVENT: Final = "{issue} ({title}): no {missing}"
UNREADABLE: Final = "The latest events of {items} could not be read."
NOT_SYMBOLICATED: Final = "{issue} (event {event_id}) of {release} does not symbolicate: {problems}"
NOTHING_TO_JUDGE: Final = "nothing to judge"
FRAME_PROBLEM: Final = "{kind} at {frame}: {detail}"
OFF_PREFIX: Final = "frame URLs {urls} are off the prefix"
SYMBOLICATES: Final = "event {event_id} of {release} symbolicates"
NO_JS_EVENT: Final = "No JavaScript event of the impacted release {release} to judge yet."
PERSONAL_DATA: Final = (
    "Unscrubbed personal data in {count} place(s): {items}. Turn on server-side scrubbing "
    "(Data Scrubber, Advanced Data Scrubbing) and sendDefaultPii: false in the SDK."
)
FINDING: Final = "{issue} event {event} {path}: {kind} {masked}"
SCRUBBED_UNREAD: Final = (
    "{sampled} sampled event(s) hold no unscrubbed personal data, but {unread} could not be "
    "read: {items}"
)
SCRUBBED: Final = "{sampled} sampled event(s) hold no unscrubbed personal data{by_sentry}"
SCRUBBED_BY_SENTRY: Final = " (Sentry scrubbed with {rules})"
NOT_READ_BACK: Final = (
    "the smoke event was accepted but not read back (see local_smoke); a 200 is not arrival: if "
    'someone chose "Delete & Discard" on the "sentry-gate smoke test" issue, Sentry drops '
    "every later smoke event after answering 200"
)
NO_AFFECTED: Final = "no high-severity unresolved issue in the window ({query})"
DROPPED: Final = (
    "Sentry dropped {count} event(s) in the last {period} after ingestion accepted them "
    "(more than sentry_max_dropped_events={limit}): {items}."
)
DROPS: Final = "dropped: {items}"
ACCEPTED: Final = "{accepted} event(s) accepted and {dropped} dropped in the last {period}"
INFERRED: Final = "checklist.mitigation and checklist.rollback are inferred: confirm them"
FILL_IN: Final = "fill in checklist.mitigation and checklist.rollback{why}"
FILL_IN_WHY: Final = " ({note})"
CHECKLIST: Final = (
    "{issues} issue(s), {events} event(s), {users} user(s); release {release}, first seen "
    "{first_seen}"
)


def ingestion_healthy(dsn_checked: bool) -> str:
    return "an active client key" + (", the DSN belongs to it" if dsn_checked else "")


def symbolication_problems(result: Symbolication) -> list[str]:
    """What keeps the event's frames from resolving: frame URLs off the prefix, then each
    frame's problem."""
    problems = [
        FRAME_PROBLEM.format(kind=p.kind, frame=p.frame, detail=p.detail) for p in result.problems
    ]
    if result.wrong_prefix:
        problems.insert(0, OFF_PREFIX.format(urls=", ".join(result.wrong_prefix[:3])))
    return problems


def mitigation_risk(mitigation: Mitigation) -> str:
    """The checklist's mitigation and rollback: inferred (to confirm) or to fill in."""
    if mitigation.inferred:
        return INFERRED
    return FILL_IN.format(why=FILL_IN_WHY.format(note=mitigation.note) if mitigation.note else "")


def checklist(record: dict[str, Any]) -> str:
    """The checklist record in one line."""
    return CHECKLIST.format(
        issues=len(record["issues"]),
        events=record["events"],
        users=record["users"],
        release=record["affected_release"],
        first_seen=record["first_seen"],
    )


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
    # the client keys (with the slugs), what needs only the project id, then what waits for the
    # incident's events (its deploys, the impacted release's symbolication)
    prefetch=(
        "client_keys",
        *("incident", "releases", "outcomes", "mitigation", "incident_symbolication"),
    ),
)
