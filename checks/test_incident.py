"""incident: is ingestion healthy, and are the affected events tagged, symbolicated and scrubbed?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.incident_rules import (
    ingestion,
    personal_data,
    scrub_sample,
    scrubbed,
    untagged_events,
)
from pytest_sentry_gate.modes import incident as messages

if TYPE_CHECKING:
    from pytest_sentry_gate.fixtures.smoke import DsnFacts, IncidentSymbolication, SmokeOutcome
    from pytest_sentry_gate.sentry.deploys import Mitigation
    from pytest_sentry_gate.sentry.incident import IncidentFacts
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.smoke import ClientKeyFacts
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.incident


def test_ingestion_healthy(
    sentry_check: Check,
    sentry_client_keys: tuple[ClientKeyFacts, ...],
    sentry_dsn: DsnFacts,
    sentry_smoke: SmokeOutcome | None,
    sentry_smoke_outcomes: Outcomes | None,
) -> None:
    """Ingestion healthy: an active client key, the DSN belongs to it, the smoke event (if sent)."""
    dsn = sentry_dsn
    sentry_check.record(keys=[k.evidence() for k in sentry_client_keys], dsn_source=dsn.source)
    if sentry_smoke is not None:
        sentry_check.record(smoke_event=sentry_smoke.sent.event_id)
    found = ingestion(sentry_client_keys, dsn, sentry_smoke, sentry_smoke_outcomes)
    for risk in found.risks:
        sentry_check.risk(risk)
    if found.problems:
        sentry_check.fail(
            messages.INGESTION_BROKEN.format(problems="; ".join(found.problems)),
            reason="ingestion_unhealthy",
        )
    if dsn.parsed is None:
        sentry_check.risk(messages.NO_DSN)
    sentry_check.passed(messages.ingestion_healthy(dsn.parsed is not None))


def test_affected_events_tagged(sentry_check: Check, sentry_incident: IncidentFacts) -> None:
    """The latest event of each high-severity unresolved issue carries release and environment."""
    facts = sentry_incident
    sentry_check.record(
        query=facts.query, window=facts.period, issues=[a.issue for a in facts.affected]
    )
    for note in facts.notes:  # what was changed for this server (no issue priority, …)
        sentry_check.risk(note)
    if not facts.affected:
        sentry_check.passed(messages.NO_AFFECTED.format(query=facts.query))
        return
    unreadable = [a.issue for a in facts.affected if isinstance(a.event, errors.ApiError)]
    if untagged := untagged_events(facts.affected):
        sentry_check.fail(
            messages.UNTAGGED.format(items="; ".join(untagged)), reason="tags_missing"
        )
    if unreadable:
        sentry_check.partial(
            messages.UNREADABLE.format(items=", ".join(unreadable)), reason="event_unreadable"
        )
    sentry_check.passed(messages.TAGGED.format(count=len(facts.affected)))


def test_impacted_release_symbolicates(
    sentry_check: Check, sentry_incident_symbolication: IncidentSymbolication
) -> None:
    """The impacted release symbolicates (the release gate's check, on that release)."""
    found = sentry_incident_symbolication
    sentry_check.record(release=found.release)
    if found.facts is None:
        sentry_check.not_applicable(found.note or messages.NOTHING_TO_JUDGE)
    result = found.facts.analysis
    if result is None:
        sentry_check.partial(messages.NO_JS_EVENT.format(release=found.release), reason="no_event")
    sentry_check.record(**result.evidence())
    failures = messages.symbolication_problems(result)
    if failures:
        sentry_check.fail(
            messages.NOT_SYMBOLICATED.format(
                issue=result.issue, event_id=result.event_id, release=found.release,
                problems="; ".join(failures),
            ),
            reason="not_symbolicated",
        )  # fmt: skip
    sentry_check.passed(
        messages.SYMBOLICATES.format(event_id=result.event_id, release=found.release)
    )


def test_events_scrubbed(sentry_check: Check, sentry_incident: IncidentFacts) -> None:
    """Sampled event payloads hold no unscrubbed emails, IPs, home paths or secrets."""
    sample = scrub_sample(sentry_incident.affected)
    sentry_check.record(
        sampled=sample.sampled, findings=sample.findings, scrubbed_by_sentry=sorted(sample.rules)
    )
    if not sample.sampled:
        sentry_check.not_applicable(messages.NO_AFFECTED.format(query=sentry_incident.query))
    if sample.findings:
        sentry_check.fail(personal_data(sample), reason="personal_data")
    if sample.unread:
        sentry_check.record(unread=sample.unread)
        sentry_check.partial(scrubbed(sample), reason="event_unreadable")
    sentry_check.passed(scrubbed(sample))


def test_incident_checklist(
    sentry_check: Check, sentry_incident: IncidentFacts, sentry_mitigation: Mitigation
) -> None:
    """A checklist record: first seen, affected release, environments, events, users, and the
    mitigation and rollback Sentry's deploys suggest (inferred, for the person on call to
    confirm), or empty fields for them to fill."""
    checklist = {**sentry_incident.checklist(), "mitigation": sentry_mitigation.mitigation,
                 "rollback": sentry_mitigation.rollback}  # fmt: skip
    sentry_check.record(checklist=checklist, deploys=sentry_mitigation.evidence())
    sentry_check.risk(messages.mitigation_risk(sentry_mitigation))
    sentry_check.passed(messages.checklist(checklist))


def test_events_not_dropped(
    sentry_check: Check, sentry_settings: Settings, sentry_outcomes: Outcomes
) -> None:
    """Sentry's outcomes of the last 24 hours: no more events dropped (rate limited, filtered,
    invalid, abuse) than sentry_max_dropped_events."""
    found, limit = sentry_outcomes, sentry_settings.max_dropped_events
    sentry_check.record(outcomes=found.evidence(), max_dropped_events=limit)
    if found.unreadable is not None:
        sentry_check.partial(found.unreadable, reason="outcomes_unreadable")
    if found.dropped > limit:
        items = "; ".join(d.describe() for d in found.drops[:10])
        sentry_check.fail(
            messages.DROPPED.format(
                count=found.dropped, period=found.period, limit=limit, items=items
            ),
            reason="events_dropped",
        )
    if found.drops:
        drops = "; ".join(d.describe() for d in found.drops[:10])
        sentry_check.risk(messages.DROPS.format(items=drops))
    sentry_check.passed(
        messages.ACCEPTED.format(
            accepted=found.accepted, dropped=found.dropped, period=found.period
        )
    )
