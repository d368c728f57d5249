"""incident: is ingestion healthy, and are the affected events tagged, symbolicated and scrubbed?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.privacy import scan, scrub_records
from pytest_sentry_gate.ratelimits import dropping_message, other_message
from pytest_sentry_gate.smoke_rules import dsn_alias, dsn_mismatch

if TYPE_CHECKING:
    from pytest_sentry_gate.fixtures.smoke import DsnFacts, IncidentSymbolication, SmokeOutcome
    from pytest_sentry_gate.sentry.deploys import Mitigation
    from pytest_sentry_gate.sentry.incident import IncidentFacts
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.smoke import ClientKeyFacts
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.incident

INGESTION_BROKEN: Final = "Ingestion is not healthy: {problems}."
UNTAGGED: Final = "Affected events lack tags: {items}. Set release and environment in Sentry.init."
UNREADABLE: Final = "The latest events of {items} could not be read."
NOT_SYMBOLICATED: Final = "{issue} (event {event_id}) of {release} does not symbolicate: {problems}"
NO_JS_EVENT: Final = "No JavaScript event of the impacted release {release} to judge yet."
PERSONAL_DATA: Final = (
    "Unscrubbed personal data in {count} place(s): {items}. Turn on server-side scrubbing "
    "(Data Scrubber, Advanced Data Scrubbing) and sendDefaultPii: false in the SDK."
)
NOT_READ_BACK: Final = (
    "the smoke event was accepted but not read back (see local_smoke); a 200 is not arrival: if "
    'someone chose "Delete & Discard" on the "sentry-gate smoke test" issue, Sentry drops '
    "every later smoke event after answering 200"
)
NO_AFFECTED: Final = "no high-severity unresolved issue in the window ({query})"


def test_ingestion_healthy(
    sentry_check: Check,
    sentry_client_keys: tuple[ClientKeyFacts, ...],
    sentry_dsn: DsnFacts,
    sentry_smoke: SmokeOutcome | None,
    sentry_smoke_outcomes: Outcomes | None,
) -> None:
    """Ingestion healthy: an active client key, the DSN belongs to it, the smoke event (if sent)."""
    problems = []
    sentry_check.record(
        keys=[k.evidence() for k in sentry_client_keys], dsn_source=sentry_dsn.source
    )
    if not any(k.active for k in sentry_client_keys):
        problems.append("the project has no active client key")
    if sentry_dsn.problem is not None:
        problems.append(f"the DSN from {sentry_dsn.source} is malformed: {sentry_dsn.problem}")
    elif sentry_dsn.parsed is not None:
        mismatch = dsn_mismatch(sentry_dsn.parsed, sentry_client_keys)
        if mismatch is not None:
            problems.append(f"the DSN from {sentry_dsn.source}: {mismatch}")
        elif (alias := dsn_alias(sentry_dsn.parsed, sentry_client_keys)) is not None:
            sentry_check.risk(f"{alias}: ingestion accepts both for the same key")
    if sentry_smoke is not None:
        sentry_check.record(smoke_event=sentry_smoke.sent.event_id)
        quota = dropping_message(sentry_smoke.sent.rate_limits)
        if quota is not None:
            problems.append(f"{quota} (HTTP {sentry_smoke.sent.status} to the smoke event)")
        elif not sentry_smoke.sent.accepted:
            problems.append(f"the smoke event was rejected (HTTP {sentry_smoke.sent.status})")
        if (others := other_message(sentry_smoke.sent.rate_limits)) is not None:
            sentry_check.risk(others)
        elif sentry_smoke.arrival is not None and sentry_smoke.arrival.event is None:
            drop = sentry_smoke_outcomes.smoke_reason() if sentry_smoke_outcomes else None
            sentry_check.risk(NOT_READ_BACK + (f"; {drop.explain()}" if drop else ""))
    if problems:
        sentry_check.fail(
            INGESTION_BROKEN.format(problems="; ".join(problems)), reason="ingestion_unhealthy"
        )
    if sentry_dsn.parsed is None:
        sentry_check.risk("no DSN in SENTRY_DSN or .env: only the project's keys were checked")
    sentry_check.passed(
        "an active client key" + (", the DSN belongs to it" if sentry_dsn.parsed else "")
    )


def test_affected_events_tagged(sentry_check: Check, sentry_incident: IncidentFacts) -> None:
    """The latest event of each high-severity unresolved issue carries release and environment."""
    facts = sentry_incident
    sentry_check.record(
        query=facts.query, window=facts.period, issues=[a.issue for a in facts.affected]
    )
    for note in facts.notes:  # what was changed for this server (no issue priority, …)
        sentry_check.risk(note)
    if not facts.affected:
        sentry_check.passed(NO_AFFECTED.format(query=facts.query))
        return
    unreadable = [a.issue for a in facts.affected if isinstance(a.event, errors.ApiError)]
    untagged = []
    for item in facts.affected:
        if isinstance(item.event, errors.ApiError):
            continue
        missing = [key for key in ("release", "environment") if item.tag(key) is None]
        if missing:
            untagged.append(f"{item.issue} ({item.title}): no {' or '.join(missing)}")
    if untagged:
        sentry_check.fail(UNTAGGED.format(items="; ".join(untagged)), reason="tags_missing")
    if unreadable:
        sentry_check.partial(
            UNREADABLE.format(items=", ".join(unreadable)), reason="event_unreadable"
        )
    sentry_check.passed(f"{len(facts.affected)} affected event(s) carry release and environment")


def test_impacted_release_symbolicates(
    sentry_check: Check, sentry_incident_symbolication: IncidentSymbolication
) -> None:
    """The impacted release symbolicates (the release gate's check, on that release)."""
    found = sentry_incident_symbolication
    sentry_check.record(release=found.release)
    if found.facts is None:
        sentry_check.not_applicable(found.note or "nothing to judge")
    result = found.facts.analysis
    if result is None:
        sentry_check.partial(NO_JS_EVENT.format(release=found.release), reason="no_event")
    sentry_check.record(**result.evidence())
    failures = [f"{p.kind} at {p.frame}: {p.detail}" for p in result.problems]
    if result.wrong_prefix:
        failures.insert(0, f"frame URLs {', '.join(result.wrong_prefix[:3])} are off the prefix")
    if failures:
        sentry_check.fail(
            NOT_SYMBOLICATED.format(
                issue=result.issue, event_id=result.event_id, release=found.release,
                problems="; ".join(failures),
            ),
            reason="not_symbolicated",
        )  # fmt: skip
    sentry_check.passed(f"event {result.event_id} of {found.release} symbolicates")


def test_events_scrubbed(sentry_check: Check, sentry_incident: IncidentFacts) -> None:
    """Sampled event payloads hold no unscrubbed emails, IPs, home paths or secrets."""
    sampled: list[dict[str, Any]] = []
    findings: list[dict[str, str]] = []
    unread: list[str] = []
    rules: set[str] = set()  # what Sentry's _meta says it scrubbed: evidence, not findings
    for item in sentry_incident.affected:
        if isinstance(item.event, errors.ApiError):
            unread.append(f"{item.issue} ({item.event})")
            continue
        event_id = str(item.event.get("eventID") or item.event.get("id") or "?")
        sampled.append({"issue": item.issue, "event": event_id})
        rules.update(scrub_records(item.event))
        findings.extend(
            {"issue": item.issue, "event": event_id, **f.as_dict()} for f in scan(item.event)
        )
    sentry_check.record(sampled=sampled, findings=findings, scrubbed_by_sentry=sorted(rules))
    if not sampled:
        sentry_check.not_applicable(NO_AFFECTED.format(query=sentry_incident.query))
    if findings:
        items = "; ".join(
            f"{f['issue']} event {f['event']} {f['path']}: {f['kind']} {f['masked']}"
            for f in findings[:10]
        )
        sentry_check.fail(
            PERSONAL_DATA.format(count=len(findings), items=items), reason="personal_data"
        )
    if unread:
        sentry_check.record(unread=unread)
        sentry_check.partial(
            f"{len(sampled)} sampled event(s) hold no unscrubbed personal data, but "
            f"{len(unread)} could not be read: {'; '.join(unread[:5])}",
            reason="event_unreadable",
        )
    scrubbed = f" (Sentry scrubbed with {', '.join(sorted(rules))})" if rules else ""
    sentry_check.passed(
        f"{len(sampled)} sampled event(s) hold no unscrubbed personal data{scrubbed}"
    )


def test_incident_checklist(
    sentry_check: Check, sentry_incident: IncidentFacts, sentry_mitigation: Mitigation
) -> None:
    """A checklist record: first seen, affected release, environments, events, users, and the
    mitigation and rollback Sentry's deploys suggest (inferred, for the person on call to
    confirm), or empty fields for them to fill."""
    checklist = {**sentry_incident.checklist(), "mitigation": sentry_mitigation.mitigation,
                 "rollback": sentry_mitigation.rollback}  # fmt: skip
    sentry_check.record(checklist=checklist, deploys=sentry_mitigation.evidence())
    if sentry_mitigation.inferred:
        sentry_check.risk("checklist.mitigation and checklist.rollback are inferred: confirm them")
    else:
        why = f" ({sentry_mitigation.note})" if sentry_mitigation.note else ""
        sentry_check.risk(f"fill in checklist.mitigation and checklist.rollback{why}")
    sentry_check.passed(
        f"{len(checklist['issues'])} issue(s), {checklist['events']} event(s), "
        f"{checklist['users']} user(s); release {checklist['affected_release']}, first seen "
        f"{checklist['first_seen']}"
    )


DROPPED: Final = (
    "Sentry dropped {count} event(s) in the last {period} after ingestion accepted them "
    "(more than sentry_max_dropped_events={limit}): {items}."
)


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
            DROPPED.format(count=found.dropped, period=found.period, limit=limit, items=items),
            reason="events_dropped",
        )
    if found.drops:
        sentry_check.risk("dropped: " + "; ".join(d.describe() for d in found.drops[:10]))
    sentry_check.passed(
        f"{found.accepted} event(s) accepted and {found.dropped} dropped in the last {found.period}"
    )
