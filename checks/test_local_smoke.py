"""local_smoke: does this project take events, and does one sent now arrive with its tags?"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate.modes import local_smoke as messages
from pytest_sentry_gate.ratelimits import dropping_message, other_message
from pytest_sentry_gate.redact import without_userinfo
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.smoke_rules import (
    arrival_evidence,
    dsn_mismatch,
    sent_evidence,
    tag_problems,
)

if TYPE_CHECKING:
    from pytest_sentry_gate.fixtures.smoke import DsnFacts, SmokeOutcome
    from pytest_sentry_gate.repo.dsn import KillSwitch
    from pytest_sentry_gate.sentry.auth import AuthFacts
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.smoke import ClientKeyFacts
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.local_smoke


def _lookup(conf: Settings, event_id: str) -> str:
    """The command that reads the smoke event back, or where to look when a slug is unknown."""
    if not (conf.org and conf.project):
        return messages.IN_STREAM.format(event_id=event_id)
    path = endpoints.PROJECT_EVENT.path(org=conf.org, project=conf.project, event_id=event_id)
    return messages.LOOKUP.format(url=shlex.quote(without_userinfo(conf.url).rstrip("/") + path))


def test_api_answers(sentry_check: Check, sentry_auth: AuthFacts) -> None:
    """The Sentry API answers for this token (the preflight's GET /api/0/, not a second probe)."""
    sentry_check.record(endpoint="/api/0/", scopes=sorted(sentry_auth.scopes))
    if not sentry_auth.authenticated:
        sentry_check.fail(messages.TOKEN_NOT_ACCEPTED, reason="token_rejected")
    sentry_check.passed(messages.API_ANSWERS)


def test_client_key_active(
    sentry_check: Check, sentry_project: str, sentry_client_keys: tuple[ClientKeyFacts, ...]
) -> None:
    """The project has at least one active client key (values never shown)."""
    keys = sentry_client_keys
    sentry_check.record(keys=[k.evidence() for k in keys])
    active = [k for k in keys if k.active]
    if not active:
        sentry_check.fail(
            messages.NO_KEY.format(project=sentry_project, count=len(keys)), reason="no_active_key"
        )
    sentry_check.passed(messages.KEYS_ACTIVE.format(active=len(active), count=len(keys)))


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
        sentry_check.partial(messages.DSN_ABSENT, reason="dsn_absent", fixes=(messages.DSN_FIX,))
    if dsn.parsed is None:
        sentry_check.fail(
            messages.DSN_MALFORMED.format(source=dsn.source, problem=dsn.problem),
            reason="dsn_malformed",
        )
    sentry_check.record(**dsn.parsed.safe())
    problem = dsn_mismatch(dsn.parsed, sentry_client_keys)
    if problem is not None:
        message = messages.DSN_MISMATCH.format(
            source=dsn.source, project=sentry_project, problem=problem
        )
        sentry_check.fail(message, reason="dsn_mismatch")
    sentry_check.passed(
        messages.DSN_MATCHES.format(
            source=dsn.source, host=dsn.parsed.host, project_id=dsn.parsed.project_id
        )
    )


def test_kill_switch_off(
    sentry_check: Check, sentry_settings: Settings, sentry_kill_switch: KillSwitch
) -> None:
    """No kill-switch variable disables the app's Sentry (and blocks the smoke event)."""
    switch = sentry_kill_switch
    if switch.name is None:
        sentry_check.not_applicable(messages.NO_KILL_SWITCH)
    sentry_check.record(variable=switch.name, engaged=switch.engaged, source=switch.source)
    if switch.engaged and sentry_settings.send_test_event:
        sentry_check.fail(
            messages.KILL_SWITCH_BLOCKS.format(name=switch.name, source=switch.source),
            reason="kill_switch_on",
        )
    if switch.engaged:
        sentry_check.partial(
            messages.KILL_SWITCH_SET.format(name=switch.name, source=switch.source),
            reason="kill_switch_on",
        )
    sentry_check.passed(messages.KILL_SWITCH_OFF.format(name=switch.name))


def _require_smoke(
    sentry_check: Check,
    conf: Settings,
    dsn: DsnFacts,
    switch: KillSwitch,
    smoke: SmokeOutcome | None,
) -> SmokeOutcome:
    """The smoke event sent, or the verdict saying why none was (not asked, the kill switch,
    no DSN, a DSN of another host, a malformed DSN)."""
    if not conf.send_test_event:
        sentry_check.not_applicable(messages.NOT_ASKED)
    if switch.engaged:
        sentry_check.not_applicable(messages.KILL_SWITCH_ON)
    if dsn.source is None:
        sentry_check.partial(
            messages.NO_DSN_TO_SEND, reason="dsn_absent", fixes=(messages.DSN_FIX,)
        )
    if smoke is None and dsn.parsed is not None:
        sentry_check.fail(messages.WITHHELD.format(host=dsn.parsed.host), reason="dsn_mismatch")
    if smoke is None:
        sentry_check.not_applicable(messages.DSN_MALFORMED_SEE)
    return smoke


def test_smoke_event_arrives(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_dsn: DsnFacts,
    sentry_kill_switch: KillSwitch,
    sentry_smoke: SmokeOutcome | None,
    sentry_smoke_outcomes: Outcomes | None,
) -> None:
    """With --send-test-event, one synthetic event is sent and read back, with its tags."""
    smoke = _require_smoke(
        sentry_check, sentry_settings, sentry_dsn, sentry_kill_switch, sentry_smoke
    )
    sent, arrival = smoke.sent, smoke.arrival
    sentry_check.record(**sent_evidence(smoke))
    if (others := other_message(sent.rate_limits)) is not None:
        sentry_check.risk(others)
    if (quota := messages.quota(sent, dropping_message(sent.rate_limits))) is not None:
        sentry_check.fail(quota, reason="smoke_rate_limited")
    if arrival is None:
        sentry_check.fail(messages.rejected(sent), reason="smoke_rejected")
    sentry_check.record(**arrival_evidence(smoke, arrival))
    if arrival.not_verifiable is not None:
        message = messages.not_verifiable(sent, arrival)
        sentry_check.partial(message, reason="arrival_not_verifiable")
    if arrival.event is None:
        if (lookup := _lookup(sentry_settings, sent.event_id)).startswith("curl "):
            sentry_check.next(lookup)
        drop = sentry_smoke_outcomes.smoke_reason() if sentry_smoke_outcomes else None
        if drop is not None:
            sentry_check.record(dropped=drop.as_dict())
        message = messages.not_arrived(sent, arrival, lookup, drop)
        sentry_check.partial(message, reason="smoke_not_arrived")
    tags = arrival.tags()
    sentry_check.record(tags={k: tags[k] for k in sorted(tags)})
    if problems := tag_problems(tags, release=sent.release, environment=sent.environment):
        sentry_check.fail(messages.tags_missing(sent, problems), reason="smoke_tags_missing")
    if sent.release is None:
        sentry_check.risk(messages.NO_RELEASE)
    sentry_check.passed(messages.arrived(sent, arrival))
