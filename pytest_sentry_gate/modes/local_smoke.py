"""The local_smoke mode, declared once (its checks: ``checks/test_local_smoke.py``).

Does the API answer, does the DSN belong to the project, does a smoke event arrive?
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pytest_sentry_gate.modes import setup_preflight
from pytest_sentry_gate.modes.mode import Mode

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_sentry_gate.sentry.outcomes import Drop
    from pytest_sentry_gate.sentry.smoke import Arrival, Sent

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "no_active_key": "the project has no active client key (DSN)",
    "dsn_absent": "no DSN in SENTRY_DSN or the repository's .env",
    "dsn_malformed": "the DSN does not parse",
    "dsn_mismatch": "the DSN has another host, project id or key, or its key is inactive",
    "kill_switch_on": "the app's kill-switch variable is set",
    "smoke_rejected": "ingestion answered 401/403 to the smoke event",
    "smoke_rate_limited": "ingestion answered 429: a quota or rate limit drops the events",
    "arrival_not_verifiable": "the server has no Sentry event API to read the smoke event back",
    "smoke_not_arrived": "the smoke event was not readable within the wait",
    "smoke_tags_missing": "the smoke event arrived without its release or environment tag",
}

# -- the messages of its checks (``checks/test_local_smoke.py``) and their words ---------------

#: The preflight's words: the same GET /api/0/ judged the same way.
TOKEN_NOT_ACCEPTED: Final = setup_preflight.TOKEN_NOT_ACCEPTED
API_ANSWERS: Final = "the Sentry API answers and accepts the token"
NO_KEY: Final = "Project {project} has no active client key (DSN): {count} key(s), none active."
KEYS_ACTIVE: Final = "{active} active client key(s) of {count}"
DSN_ABSENT: Final = (
    "No DSN in SENTRY_DSN or the repository's .env: the build may embed it, so nothing was "
    "compared. Set SENTRY_DSN to check it."
)
#: What to change by hand when no DSN was found (the rerun alone changes nothing).
DSN_FIX: Final = (
    "set SENTRY_DSN (in the environment or the app repository's .env) to the DSN the app's build "
    "uses, then rerun"
)
DSN_MALFORMED: Final = "The DSN from {source} is malformed: {problem}."
DSN_MISMATCH: Final = "The DSN from {source} does not belong to {project}: {problem}."
DSN_MATCHES: Final = (
    "DSN from {source}: host {host}, project {project_id}, an active key of the project"
)
NO_KILL_SWITCH: Final = "no kill-switch variable configured (ini sentry_kill_switch)"
KILL_SWITCH_OFF: Final = "{name} is not set to a truthy value"
KILL_SWITCH_BLOCKS: Final = (
    "{name} is set (in the {source}) while --send-test-event is asked: the app's Sentry is "
    "disabled, so delivery is blocked. Unset {name} and rerun."
)
KILL_SWITCH_SET: Final = "{name} is set (in the {source}): the app sends nothing to Sentry."
WITHHELD: Final = (
    "No smoke event sent: the DSN's host {host} is not the host of any of the project's client "
    "keys, so the event would go to another server (see test_dsn_matches_project)."
)
KILL_SWITCH_ON: Final = "the kill switch is on (see test_kill_switch_off)"
NO_DSN_TO_SEND: Final = "no DSN to send the smoke event to: " + DSN_ABSENT
DSN_MALFORMED_SEE: Final = "the DSN is malformed (see test_dsn_matches_project)"
NOT_ASKED: Final = "no smoke event asked (pass --send-test-event to send one and read it back)"
SMOKE_REJECTED: Final = (
    "The ingest endpoint rejected the DSN's key (HTTP {status}): {detail}. Copy the DSN again "
    "from the project's Client Keys."
)
QUOTA: Final = (
    "Ingestion answered HTTP {status} to the smoke event: {quota}. The app's events are lost "
    "until then: raise the quota or rate limit (Settings > Subscription, or the client key's rate "
    "limit) or wait."
)
NOT_VERIFIABLE: Final = (
    "Smoke event sent, accepted (HTTP {status}, id {event_id}), arrival not verifiable on this "
    "server ({detail}). Look it up in the server's own UI or API."
)
NOT_ARRIVED: Final = (
    "Smoke event {event_id} was accepted (HTTP {status}) but is not readable after {waited:.1f}s "
    "({attempts} polls of {reader}); look it up later: {lookup}. A 200 is not arrival: if "
    'someone chose "Delete & Discard" on the "sentry-gate smoke test" issue, Sentry answers 200 '
    "and drops every later smoke event (Project Settings > Inbound Filters > Discarded Issues)"
)
TAGS_MISSING: Final = "Smoke event {event_id} arrived without its tags: {problems}."
ARRIVED: Final = (
    "smoke event {event_id} arrived in {waited:.1f}s with release {release} and environment "
    "{environment}"
)
#: Where to look for the smoke event when the org or project slug is not known.
IN_STREAM: Final = "the event {event_id} in the project's issue stream"
LOOKUP: Final = 'curl -sf -H "Authorization: Bearer $SENTRY_AUTH_TOKEN" {url}'
NO_RELEASE: Final = "no release under check: the event was sent without a release"


def quota(sent: Sent, dropping: str | None) -> str | None:
    """Why ingestion drops the smoke event for a quota or rate limit (``dropping``: what its
    rate-limit headers say), or ``None`` when it does not (no such header, no 429)."""
    if dropping is None and sent.status != 429:
        return None
    return QUOTA.format(status=sent.status, quota=dropping or f"rate limited: {sent.detail}")


def rejected(sent: Sent) -> str:
    return SMOKE_REJECTED.format(status=sent.status, detail=sent.detail)


def not_verifiable(sent: Sent, arrival: Arrival) -> str:
    detail = arrival.not_verifiable
    return NOT_VERIFIABLE.format(status=sent.status, event_id=sent.event_id, detail=detail)


def not_arrived(sent: Sent, arrival: Arrival, lookup: str, drop: Drop | None) -> str:
    """The accepted smoke event never became readable: where to look, and the drop that
    explains it when Sentry's outcomes show one."""
    message = NOT_ARRIVED.format(
        event_id=sent.event_id,
        status=sent.status,
        reader=arrival.reader,
        waited=arrival.waited,
        attempts=arrival.attempts,
        lookup=lookup,
    )
    return f"{message}. {drop.explain()}" if drop is not None else message


def tags_missing(sent: Sent, problems: Sequence[str]) -> str:
    return TAGS_MISSING.format(event_id=sent.event_id, problems="; ".join(problems))


def arrived(sent: Sent, arrival: Arrival) -> str:
    return ARRIVED.format(
        event_id=sent.event_id,
        waited=arrival.waited,
        release=sent.release,
        environment=sent.environment,
    )


MODE: Final = Mode(
    name="local_smoke",
    order=20,
    help="the API answers, the DSN belongs to the project, optional smoke event",
    in_loop=True,
    summary=(
        "the API answers; an active client key; the DSN parses and belongs to the project; no"
        " kill switch; with `--send-test-event` a smoke event sent and read back with its "
        "tags"
    ),
    reasons=REASONS,
    settings=(
        "dsn",
        "send_test_event",
        "kill_switch",
        "smoke_wait",
        "smoke_environment",
    ),
    endpoints=(
        "client keys",
        "event by id",
        "organization outcomes (stats_v2)",
    ),
    prefetch=("client_keys",),
)
