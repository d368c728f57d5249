"""incident's rules as pure functions over its facts, tested alone (no Sentry, no pytest).

``ingestion`` says what keeps ingestion from being healthy (no active key, a DSN that is
malformed or not the project's, a smoke event dropped or rejected) and what is only a risk;
``untagged_events`` names the affected events without their release or environment tag;
``scrub_sample`` scans the affected events for unscrubbed personal data. The checks of
``checks/test_incident.py`` turn their answers into verdicts; their words are in
``modes/incident.py`` (``personal_data`` and ``scrubbed``, which word a ``ScrubSample``, are
here, with the templates from there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_sentry_gate import errors
from pytest_sentry_gate.modes import incident as words
from pytest_sentry_gate.privacy import scan, scrub_records
from pytest_sentry_gate.ratelimits import dropping_message, other_message
from pytest_sentry_gate.smoke_rules import dsn_alias, dsn_mismatch

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pytest_sentry_gate.sentry.incident import AffectedEvent
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.smoke import ClientKeyFacts
    from pytest_sentry_gate.store.smoke import DsnFacts, SmokeOutcome


@dataclass(frozen=True)
class Ingestion:
    """What breaks ingestion (``problems``: a FAIL) and what only may (``risks``), in order."""

    problems: tuple[str, ...]
    risks: tuple[str, ...]


def ingestion(
    keys: tuple[ClientKeyFacts, ...],
    dsn: DsnFacts,
    smoke: SmokeOutcome | None,
    outcomes: Outcomes | None,
) -> Ingestion:
    """Ingestion judged from the project's keys, the app's DSN and the smoke event if sent
    (``outcomes``: Sentry's, which may say why an accepted smoke event was never readable)."""
    problems, risks = _key_and_dsn(keys, dsn)
    if smoke is not None:
        sent, arrival = smoke.sent, smoke.arrival
        quota = dropping_message(sent.rate_limits)
        if quota is not None:
            problems.append(words.SMOKE_DROPPED.format(quota=quota, status=sent.status))
        elif not sent.accepted:
            problems.append(words.SMOKE_REJECTED.format(status=sent.status))
        if (others := other_message(sent.rate_limits)) is not None:
            risks.append(others)
        elif arrival is not None and arrival.event is None:
            drop = outcomes.smoke_reason() if outcomes else None
            risks.append(words.NOT_READ_BACK + (f"; {drop.explain()}" if drop else ""))
    return Ingestion(tuple(problems), tuple(risks))


def _key_and_dsn(keys: tuple[ClientKeyFacts, ...], dsn: DsnFacts) -> tuple[list[str], list[str]]:
    problems, risks = [], []
    if not any(k.active for k in keys):
        problems.append(words.NO_ACTIVE_KEY)
    if dsn.problem is not None:
        problems.append(words.DSN_MALFORMED.format(source=dsn.source, problem=dsn.problem))
    elif dsn.parsed is not None:
        mismatch = dsn_mismatch(dsn.parsed, keys)
        if mismatch is not None:
            problems.append(words.DSN_MISMATCH.format(source=dsn.source, problem=mismatch))
        elif (alias := dsn_alias(dsn.parsed, keys)) is not None:
            risks.append(words.DSN_ALIAS.format(alias=alias))
    return problems, risks


def untagged_events(affected: Iterable[AffectedEvent]) -> list[str]:
    """Each readable affected event that lacks its release or environment tag, and which."""
    untagged = []
    for item in affected:
        if isinstance(item.event, errors.ApiError):
            continue
        missing = [key for key in ("release", "environment") if item.tag(key) is None]
        if missing:
            untagged.append(
                words.UNTAGGED_EVENT.format(
                    issue=item.issue, title=item.title, missing=" or ".join(missing)
                )
            )
    return untagged


@dataclass(frozen=True)
class ScrubSample:
    """The affected events scanned for personal data: each sampled event (issue, event id),
    each unscrubbed finding, the events that could not be read, and the rules Sentry's
    ``_meta`` says it scrubbed with (evidence, not findings)."""

    sampled: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, str]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)


def scrub_sample(affected: Iterable[AffectedEvent]) -> ScrubSample:
    """Every readable affected event scanned (``privacy.scan``), in order."""
    sample = ScrubSample()
    for item in affected:
        if isinstance(item.event, errors.ApiError):
            sample.unread.append(f"{item.issue} ({item.event})")
            continue
        event_id = str(item.event.get("eventID") or item.event.get("id") or "?")
        sample.sampled.append({"issue": item.issue, "event": event_id})
        sample.rules.update(scrub_records(item.event))
        sample.findings.extend(
            {"issue": item.issue, "event": event_id, **f.as_dict()} for f in scan(item.event)
        )
    return sample


def personal_data(sample: ScrubSample, shown: int = 10) -> str:
    """The unscrubbed findings (the first ``shown``), each with its issue, event and path."""
    items = "; ".join(words.FINDING.format(**f) for f in sample.findings[:shown])
    return words.PERSONAL_DATA.format(count=len(sample.findings), items=items)


def scrubbed(sample: ScrubSample, shown: int = 5) -> str:
    """No unscrubbed personal data: with the events that could not be read (the first
    ``shown``), or with the rules Sentry says it scrubbed with."""
    if sample.unread:
        items = "; ".join(sample.unread[:shown])
        return words.SCRUBBED_UNREAD.format(
            sampled=len(sample.sampled), unread=len(sample.unread), items=items
        )
    rules = ", ".join(sorted(sample.rules))
    by_sentry = words.SCRUBBED_BY_SENTRY.format(rules=rules) if rules else ""
    return words.SCRUBBED.format(sampled=len(sample.sampled), by_sentry=by_sentry)
