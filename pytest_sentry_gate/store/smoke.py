"""The local_smoke facts of one target: the app's DSN, the smoke round trip, and the outcomes that
may say why an accepted smoke event never arrived.

``dsn_facts`` parses the DSN setting (``Stores.dsn`` keeps it, once per run). ``round_trip``
decides whether the smoke event may go out (asked for, the kill switch off, a valid DSN on a host
of the project's client keys: the DSN, kill switch and keys it is given, the fixtures' values, so
a ``conftest.py`` override of one is what the send obeys), hands the one write of a run to
``send`` (``sentry.smoke.send`` unless a test gives another), then polls the event back
(``sentry.smoke.confirm_arrival``) with the reader it is given (``sentry_arrival_reader``, asked
only once the event was accepted).
``unexplained`` is the rule that asks for the outcomes: the event accepted, verifiable, and never
read back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pytest_sentry_gate.repo.dsn import Dsn, KillSwitch
    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.sentry.client import ClientConfig, SentryClient
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.smoke import Arrival, ArrivalReader, ClientKeyFacts, Sent
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.store.target import FactsStore


@dataclass(frozen=True)
class DsnFacts:
    """The DSN under check: where it came from, parsed, or what is wrong with it."""

    source: str | None
    parsed: Dsn | None = None
    problem: str | None = None
    value: str | None = None

    def __repr__(self) -> str:
        return f"DsnFacts(source={self.source!r}, problem={self.problem!r})"


@dataclass(frozen=True)
class SmokeOutcome:
    """The smoke event as sent, and its arrival (``None`` when ingestion rejected it)."""

    sent: Sent
    arrival: Arrival | None
    wait: float
    round_trip: float = 0.0


class Send(Protocol):
    """The smoke event's one write (``sentry.smoke.send``): the event posted to the DSN."""

    def __call__(
        self,
        client: SentryClient,
        *,
        dsn_value: str,
        release: str | None,
        environment: str,
        clock: Callable[[], float],
    ) -> Sent: ...


def dsn_facts(conf: Settings) -> DsnFacts:
    """The app's DSN (SENTRY_DSN, else the repository's .env), parsed; never shown."""
    from pytest_sentry_gate.repo.dsn import DsnError, parse_dsn

    value = conf.dsn
    if value is None:
        return DsnFacts(None)
    source = conf.sources.get("dsn")
    try:
        return DsnFacts(source, parsed=parse_dsn(value), value=str(value))
    except DsnError as exc:
        return DsnFacts(source, problem=str(exc))


def _client_keys(
    keys: Callable[[], tuple[ClientKeyFacts, ...]],
) -> tuple[ClientKeyFacts, ...] | None:
    """The project's client keys; ``None`` on a server without Sentry's key API (Bugsink)."""
    from pytest_sentry_gate.errors import ApiError

    try:
        return keys()
    except ApiError:  # nothing is judged foreign there
        return None


def round_trip(
    store: FactsStore,
    seam: ClientConfig,
    release: ReleaseTarget,
    read_back: Callable[[], ArrivalReader],
    send: Send,
    *,
    dsn: DsnFacts,
    kill_switch: KillSwitch,
    keys: Callable[[], tuple[ClientKeyFacts, ...]],
) -> SmokeOutcome | None:
    """The smoke event sent to ``dsn``, then polled until readable or the wait ends.

    ``None`` when not asked (``--send-test-event``) or when it cannot be sent (no valid DSN, the
    ``kill_switch`` on) or must not be (the DSN's host is none of the hosts of ``keys()``, asked
    only then: the event would go to a server this run judged foreign): the checks say why.
    """
    from pytest_sentry_gate.sentry.smoke import confirm_arrival
    from pytest_sentry_gate.smoke_rules import foreign_host

    conf = store.wiring.settings
    if not conf.send_test_event or kill_switch.engaged or dsn.parsed is None:
        return None
    known = _client_keys(keys)
    if (known is not None and foreign_host(dsn.parsed, known)) or dsn.value is None:
        return None
    client = store.client()
    started = seam.clock()
    sent = send(
        client,
        dsn_value=dsn.value,
        release=release.name,
        environment=conf.smoke_environment,
        clock=seam.clock,
    )
    if not sent.accepted:
        return SmokeOutcome(sent, None, conf.smoke_wait)
    arrival = confirm_arrival(
        read_back(),
        sent.event_id,
        wait=conf.smoke_wait,
        sleep=seam.sleep,
        clock=seam.clock,
        progress=seam.progress,
    )
    return SmokeOutcome(sent, arrival, conf.smoke_wait, seam.clock() - started)


def unexplained(smoke: SmokeOutcome | None) -> bool:
    """Whether the smoke event was accepted, could be looked for, and was never read back: only
    then may the outcomes say why (a discarded hash, an inbound filter)."""
    arrival = smoke.arrival if smoke is not None else None
    return arrival is not None and arrival.event is None and arrival.not_verifiable is None


def smoke_outcomes(store: FactsStore, smoke: SmokeOutcome | None) -> Outcomes | None:
    """The outcomes when ``smoke`` is ``unexplained``; ``None`` otherwise or when unreadable (a
    hint, never a verdict of its own)."""
    from pytest_sentry_gate.errors import SentryGateError

    if not unexplained(smoke):
        return None
    try:
        found = store.outcomes()
    except SentryGateError:
        return None
    return found if found.unreadable is None else None
