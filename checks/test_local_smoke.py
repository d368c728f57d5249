"""local_smoke: does this project take events, and does one sent now arrive with its tags?"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Final

import pytest

from pytest_sentry_gate.ratelimits import dropping_message, other_message
from pytest_sentry_gate.redact import without_userinfo
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.smoke_rules import dsn_mismatch, tag_problems

if TYPE_CHECKING:
    from pytest_sentry_gate.fixtures.smoke import DsnFacts, SmokeOutcome
    from pytest_sentry_gate.repo.dsn import KillSwitch
    from pytest_sentry_gate.sentry.auth import AuthFacts
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.smoke import ClientKeyFacts
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.local_smoke

NO_KEY: Final = "Project {project} has no active client key (DSN): {count} key(s), none active."
DSN_ABSENT: Final = (
    "No DSN in SENTRY_DSN or the repository's .env: the build may embed it, so nothing was "
    "compared. Set SENTRY_DSN to check it."
)
DSN_MALFORMED: Final = "The DSN from {source} is malformed: {problem}."
DSN_MISMATCH: Final = "The DSN from {source} does not belong to {project}: {problem}."
KILL_SWITCH_BLOCKS: Final = (
    "{name} is set (in the {source}) while --send-test-event is asked: the app's Sentry is "
    "disabled, so delivery is blocked. Unset {name} and rerun."
)
KILL_SWITCH_SET: Final = "{name} is set (in the {source}): the app sends nothing to Sentry."
WITHHELD: Final = (
    "No smoke event sent: the DSN's host {host} is not the host of any of the project's client "
    "keys, so the event would go to another server (see test_dsn_matches_project)."
)
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
LOOKUP: Final = 'curl -sf -H "Authorization: Bearer $SENTRY_AUTH_TOKEN" {url}'


def _lookup(conf: Settings, event_id: str) -> str:
    """The command that reads the smoke event back, or where to look when a slug is unknown."""
    if not (conf.org and conf.project):
        return f"the event {event_id} in the project's issue stream"
    path = endpoints.PROJECT_EVENT.path(org=conf.org, project=conf.project, event_id=event_id)
    return LOOKUP.format(url=shlex.quote(without_userinfo(conf.url).rstrip("/") + path))


def test_api_answers(sentry_check: Check, sentry_auth: AuthFacts) -> None:
    """The Sentry API answers for this token (the preflight's GET /api/0/, not a second probe)."""
    sentry_check.record(endpoint="/api/0/", scopes=sorted(sentry_auth.scopes))
    if not sentry_auth.authenticated:
        sentry_check.fail(
            "GET /api/0/ answered without an authenticated token: the server did not accept it.",
            reason="token_rejected",
        )
    sentry_check.passed("the Sentry API answers and accepts the token")


def test_client_key_active(
    sentry_check: Check, sentry_project: str, sentry_client_keys: tuple[ClientKeyFacts, ...]
) -> None:
    """The project has at least one active client key (values never shown)."""
    keys = sentry_client_keys
    sentry_check.record(keys=[k.evidence() for k in keys])
    active = [k for k in keys if k.active]
    if not active:
        sentry_check.fail(
            NO_KEY.format(project=sentry_project, count=len(keys)), reason="no_active_key"
        )
    sentry_check.passed(f"{len(active)} active client key(s) of {len(keys)}")


def test_dsn_matches_project(
    sentry_check: Check,
    sentry_project: str,
    sentry_dsn: DsnFacts,
    sentry_client_keys: tuple[ClientKeyFacts, ...],
) -> None:
    """The DSN in SENTRY_DSN or .env is well formed and belongs to this project's keys."""
    dsn = sentry_dsn
    sentry_check.record(source=dsn.source)
    if dsn.source is None:
        sentry_check.partial(DSN_ABSENT, reason="dsn_absent")
    if dsn.parsed is None:
        sentry_check.fail(
            DSN_MALFORMED.format(source=dsn.source, problem=dsn.problem), reason="dsn_malformed"
        )
    sentry_check.record(**dsn.parsed.safe())
    problem = dsn_mismatch(dsn.parsed, sentry_client_keys)
    if problem is not None:
        message = DSN_MISMATCH.format(source=dsn.source, project=sentry_project, problem=problem)
        sentry_check.fail(message, reason="dsn_mismatch")
    sentry_check.passed(
        f"DSN from {dsn.source}: host {dsn.parsed.host}, project {dsn.parsed.project_id}, "
        "an active key of the project"
    )


def test_kill_switch_off(
    sentry_check: Check, sentry_settings: Settings, sentry_kill_switch: KillSwitch
) -> None:
    """No kill-switch variable disables the app's Sentry (and blocks the smoke event)."""
    switch = sentry_kill_switch
    if switch.name is None:
        sentry_check.not_applicable("no kill-switch variable configured (ini sentry_kill_switch)")
    sentry_check.record(variable=switch.name, engaged=switch.engaged, source=switch.source)
    if switch.engaged and sentry_settings.send_test_event:
        sentry_check.fail(
            KILL_SWITCH_BLOCKS.format(name=switch.name, source=switch.source),
            reason="kill_switch_on",
        )
    if switch.engaged:
        sentry_check.partial(
            KILL_SWITCH_SET.format(name=switch.name, source=switch.source),
            reason="kill_switch_on",
        )
    sentry_check.passed(f"{switch.name} is not set to a truthy value")


def test_smoke_event_arrives(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_dsn: DsnFacts,
    sentry_kill_switch: KillSwitch,
    sentry_smoke: SmokeOutcome | None,
    sentry_smoke_outcomes: Outcomes | None,
) -> None:
    """With --send-test-event, one synthetic event is sent and read back, with its tags."""
    if not sentry_settings.send_test_event:
        sentry_check.not_applicable(NOT_ASKED)
    if sentry_kill_switch.engaged:
        sentry_check.not_applicable("the kill switch is on (see test_kill_switch_off)")
    if sentry_dsn.source is None:
        sentry_check.partial(
            "no DSN to send the smoke event to: " + DSN_ABSENT, reason="dsn_absent"
        )
    if sentry_smoke is None and sentry_dsn.parsed is not None:
        sentry_check.fail(WITHHELD.format(host=sentry_dsn.parsed.host), reason="dsn_mismatch")
    if sentry_smoke is None:
        sentry_check.not_applicable("the DSN is malformed (see test_dsn_matches_project)")
    sent, arrival = sentry_smoke.sent, sentry_smoke.arrival
    sentry_check.record(
        event_id=sent.event_id, release=sent.release, environment=sent.environment,
        status=sent.status, accepted=sent.accepted, wait_s=sentry_smoke.wait,
    )  # fmt: skip
    if (others := other_message(sent.rate_limits)) is not None:
        sentry_check.risk(others)
    if (quota := dropping_message(sent.rate_limits)) is not None or sent.status == 429:
        sentry_check.fail(
            QUOTA.format(status=sent.status, quota=quota or f"rate limited: {sent.detail}"),
            reason="smoke_rate_limited",
        )
    if arrival is None:
        sentry_check.fail(
            SMOKE_REJECTED.format(status=sent.status, detail=sent.detail), reason="smoke_rejected"
        )
    sentry_check.record(
        attempts=arrival.attempts,
        waited_s=round(arrival.waited, 3),
        round_trip_s=round(sentry_smoke.round_trip, 3),
        reader=arrival.reader,
    )
    fields = {"event_id": sent.event_id, "status": sent.status, "reader": arrival.reader}
    if arrival.not_verifiable is not None:
        sentry_check.partial(
            NOT_VERIFIABLE.format(**fields, detail=arrival.not_verifiable),
            reason="arrival_not_verifiable",
        )
    if arrival.event is None:
        lookup = _lookup(sentry_settings, sent.event_id)
        if lookup.startswith("curl "):
            sentry_check.next(lookup)
        message = NOT_ARRIVED.format(
            **fields, waited=arrival.waited, attempts=arrival.attempts, lookup=lookup
        )
        drop = sentry_smoke_outcomes.smoke_reason() if sentry_smoke_outcomes else None
        if drop is not None:
            sentry_check.record(dropped=drop.as_dict())
            message = f"{message}. {drop.explain()}"
        sentry_check.partial(message, reason="smoke_not_arrived")
    tags = arrival.tags()
    sentry_check.record(tags={k: tags[k] for k in sorted(tags)})
    problems = tag_problems(tags, release=sent.release, environment=sent.environment)
    if problems:
        sentry_check.fail(
            TAGS_MISSING.format(event_id=sent.event_id, problems="; ".join(problems)),
            reason="smoke_tags_missing",
        )
    if sent.release is None:
        sentry_check.risk("no release under check: the event was sent without a release")
    sentry_check.passed(
        f"smoke event {sent.event_id} arrived in {arrival.waited:.1f}s with release "
        f"{sent.release} and environment {sent.environment}"
    )
