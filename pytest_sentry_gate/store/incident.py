"""The incident and local_smoke facts of one target: the project's client keys, the smoke event
read back, the incident's sampled events, and the impacted release's symbolication (judged as the
release gate judges it).

The smoke event is read back (``store.smoke.round_trip``, kept in the store's memo with the round
trip) through an ``ArrivalReader``: Sentry's event API by default (``event_reader``), or the reader
a ``conftest.py`` gives ``sentry_arrival_reader`` for a server that does not serve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.incident import IncidentFacts
    from pytest_sentry_gate.sentry.release_facts import SymbolicationFacts
    from pytest_sentry_gate.sentry.smoke import ArrivalReader, ClientKeyFacts
    from pytest_sentry_gate.store.target import FactsStore


@dataclass(frozen=True)
class IncidentSymbolication:
    """The impacted release and its symbolication facts (``None`` with a note when skipped)."""

    release: str | None
    facts: SymbolicationFacts | None
    note: str | None = None


def client_keys(store: FactsStore) -> tuple[ClientKeyFacts, ...]:
    """The project's client keys (id, active, rate limit, DSN host and project id), read beside
    the slugs' confirmation when both are configured (``FactsStore.with_slugs``)."""
    from pytest_sentry_gate.sentry.smoke import read_keys

    return store.with_slugs(lambda org, project: read_keys(store.client(), org, project))


def event_reader(store: FactsStore) -> ArrivalReader:
    """Sentry's event API, read uncached (it is polled), in the first configured project (where
    the smoke event has always been read back) or the discovered one. Configured slugs are
    taken as they are: a server that ingests but serves no project (Bugsink) confirms
    neither, and the reader then says the event cannot be verified there."""
    from pytest_sentry_gate.sentry.smoke import SentryEventReader

    conf = store.wiring.settings
    org, project = conf.org or store.org(), conf.project or store.project()
    return SentryEventReader(store.client(), org, project)


def incident(store: FactsStore) -> IncidentFacts:
    """The latest events of the top N high-severity unresolved issues (ini sentry_incident_top)."""
    from pytest_sentry_gate.sentry.incident import read_incident

    conf = store.wiring.settings
    return read_incident(
        store.client(),
        store.org(),
        store.project_id(),
        top=conf.incident_top,
        period=conf.stats_period,
    )


def incident_symbolication(store: FactsStore) -> IncidentSymbolication:
    """The impacted release's newest JavaScript event, judged as the release gate judges it."""
    from pytest_sentry_gate.sentry import endpoints
    from pytest_sentry_gate.sentry.release_facts import symbolication_facts

    release = store.incident().checklist()["affected_release"]
    if release is None:
        return IncidentSymbolication(None, None, "no affected event names a release")
    client, org, project = store.client(), store.org(), store.project()
    detail: Any = client.get_json(endpoints.PROJECT.path(org=org, project=project))
    platform = str((detail or {}).get("platform") or "")
    if not platform.startswith(("javascript", "node")):
        note = f"project platform is {platform or 'unset'}, not JavaScript: no source maps to check"
        return IncidentSymbolication(release, None, note)
    conf = store.wiring.settings
    facts = symbolication_facts(client, org, project, release, conf.stats_period, conf.url_prefix)
    return IncidentSymbolication(release, facts)
