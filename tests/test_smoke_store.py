"""The smoke facts of the store (``store/smoke.py``), alone: the DSN parsed once per run, the
round trip sent once per target through the sender and reader it is given, and the rule that
asks the outcomes why an accepted event never arrived."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.repo.dsn import KillSwitch
from pytest_sentry_gate.repo.release_name import ReleaseTarget
from pytest_sentry_gate.sentry.client import ClientConfig
from pytest_sentry_gate.sentry.outcomes import Outcomes
from pytest_sentry_gate.sentry.smoke import Arrival, ClientKeyFacts, Sent
from pytest_sentry_gate.store import FactsStore, Stores, Wiring
from pytest_sentry_gate.store.smoke import DsnFacts, SmokeOutcome, dsn_facts, unexplained
from tests.test_smoke import KEY, FakeTime, Reader

DSN = f"https://{KEY}@o1.ingest.us.sentry.io/4500000001"
RELEASE = ReleaseTarget(name="codictate@1.4.2", source="template", version="1.4.2")
CLIENT = object()  # the run's client, as the sender receives it


def settings(**overrides: Any) -> Any:
    """What the smoke facts read of ``Settings`` (a ``Settings`` needs every row)."""
    values: dict[str, Any] = {
        "dsn": DSN,
        "sources": {"dsn": "SENTRY_DSN"},
        "send_test_event": True,
        "kill_switch": None,
        "repo_root": Path("."),
        "smoke_environment": "sentry-gate-smoke",
        "smoke_wait": 10.0,
        "projects": ("codictate",),
    }
    return SimpleNamespace(**{**values, **overrides})


def stores(**overrides: Any) -> Stores:
    wiring = Wiring(
        settings=settings(**overrides),
        now=0.0,
        replay=False,
        invocation_dir=Path("."),
        loop_selected=False,
        connect=lambda: CLIENT,  # type: ignore[arg-type,return-value]
    )
    return Stores(wiring)


def key(host: str = "o1.ingest.us.sentry.io") -> ClientKeyFacts:
    return ClientKeyFacts("1", "Default", True, None, host, "4500000001")


class Sender:
    """Records each send; ``accepted`` says what ingestion answers."""

    def __init__(self, accepted: bool = True) -> None:
        self.accepted = accepted
        self.calls: list[dict[str, Any]] = []

    def __call__(self, client: Any, **kwargs: Any) -> Sent:
        assert client is CLIENT
        self.calls.append(kwargs)
        kwargs["clock"]()  # the send takes the seam's clock
        status = 200 if self.accepted else 403
        return Sent("e" * 32, kwargs["release"], kwargs["environment"], self.accepted, status)


class Asked:
    """``read_back``: hands ``reader`` over and counts how often it was asked."""

    def __init__(self, reader: Reader) -> None:
        self.reader, self.times = reader, 0

    def __call__(self) -> Reader:
        self.times += 1
        return self.reader


def trip(
    store: FactsStore, sender: Sender, asked: Asked, fake: FakeTime, **guards: Any
) -> SmokeOutcome | None:
    """The round trip with the store's own DSN, kill switch and keys unless ``guards`` name
    others (as the ``sentry_dsn``, ``sentry_kill_switch`` and ``sentry_client_keys`` fixtures
    hand them over, overridden or not)."""
    seam = ClientConfig(sleep=fake.sleep, clock=fake.clock)
    given = {
        "dsn": store.stores.dsn(),
        "kill_switch": store.stores.kill_switch(),
        "keys": store.client_keys,
        **guards,
    }
    return store.smoke(seam, RELEASE, asked, send=sender, **given)


# -- the DSN -------------------------------------------------------------------------------------


def test_the_dsn_is_parsed_once_per_run_whoever_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_sentry_gate.repo import dsn

    # Given a run with two targets, and a count of the DSN's parses
    parses: list[str] = []

    def counted(value: str) -> Any:
        parses.append(value)
        return real(value)

    real = dsn.parse_dsn
    monkeypatch.setattr(dsn, "parse_dsn", counted)
    run = stores(projects=("alpha", "beta"))
    # When the run's stores are asked for the DSN, directly and through each target's store
    asked = [
        run.dsn(),
        run.target("alpha").stores.dsn(),
        run.target("beta").stores.dsn(),
        run.dsn(),
    ]
    # Then it was parsed once, and every asker holds the same facts
    assert len(parses) == 1
    assert all(found is asked[0] for found in asked)
    assert (asked[0].source, asked[0].parsed.project_id) == ("SENTRY_DSN", "4500000001")  # type: ignore[union-attr]


def test_a_dsn_is_absent_parsed_or_its_problem() -> None:
    # Given no DSN, then a DSN without a project id
    absent = dsn_facts(settings(dsn=None))
    malformed = dsn_facts(settings(dsn=f"https://{KEY}@sentry.example/", sources={"dsn": ".env"}))
    # Then the first says only that there is none; the second where it came from and what is
    # wrong, and its representation never holds the value (nor its key)
    assert (absent.source, absent.parsed, absent.problem) == (None, None, None)
    assert (malformed.source, malformed.parsed) == (".env", None)
    assert malformed.problem
    assert KEY not in repr(malformed)


# -- the round trip --------------------------------------------------------------------------------


def test_the_smoke_event_is_sent_once_and_read_back_through_the_reader_given() -> None:
    # Given a target whose only key is the DSN's host, and a reader that finds the event second
    store, fake = stores().target("codictate"), FakeTime()
    store.memo.get("client_keys", lambda: (key(),))
    sender, asked = Sender(), Asked(Reader(after=1))
    # When the round trip is asked for twice
    first = trip(store, sender, asked, fake)
    again = trip(store, sender, asked, fake)
    # Then the event went out once, naming the release and the smoke environment
    assert again is first is not None
    assert [(c["dsn_value"], c["release"], c["environment"]) for c in sender.calls] == [
        (DSN, "codictate@1.4.2", "sentry-gate-smoke")
    ]
    # and it was polled through the reader given, on the seam's clock and sleep
    assert asked.times == 1
    assert first.arrival is not None
    assert (first.arrival.attempts, first.arrival.reader, fake.slept) == (2, "a test reader", [0.5])
    assert (first.wait, first.round_trip) == (10.0, 0.5)


@pytest.mark.parametrize(
    ("why", "overrides", "keys"),
    [
        ("not asked", {"send_test_event": False}, (key(),)),
        ("no DSN", {"dsn": None}, (key(),)),
        ("a malformed DSN", {"dsn": "not a dsn"}, (key(),)),
        ("a foreign host", {}, (key("sentry.example"),)),
    ],
)
def test_no_smoke_event_goes_out_when_it_cannot_or_must_not(
    why: str, overrides: dict[str, Any], keys: tuple[ClientKeyFacts, ...]
) -> None:
    # Given a target and a reason not to send
    store = stores(**overrides).target("codictate")
    store.memo.get("client_keys", lambda: keys)
    sender, asked = Sender(), Asked(Reader(after=0))
    # When the round trip is asked for
    found = trip(store, sender, asked, FakeTime())
    # Then nothing is sent and nothing is read back
    assert found is None, why
    assert (sender.calls, asked.times) == ([], 0)


def test_the_kill_switch_withholds_the_smoke_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDY_DISABLE_SENTRY", "1")
    store = stores(kill_switch="HANDY_DISABLE_SENTRY").target("codictate")
    sender = Sender()
    assert trip(store, sender, Asked(Reader(after=0)), FakeTime()) is None
    assert sender.calls == []


@pytest.mark.parametrize(
    ("why", "guards"),
    [
        ("the kill switch given is engaged", {"kill_switch": KillSwitch("OFF", engaged=True)}),
        ("the DSN given is absent", {"dsn": DsnFacts(None)}),
        ("the keys given name another host", {"keys": lambda: (key("sentry.example"),)}),
    ],
)
def test_the_round_trip_obeys_the_guards_it_is_given_not_the_stores(
    why: str, guards: dict[str, Any]
) -> None:
    # Given a target whose own DSN, kill switch and keys would let the event go out
    store = stores().target("codictate")
    store.memo.get("client_keys", lambda: (key(),))
    sender, asked = Sender(), Asked(Reader(after=0))
    # When the round trip is given a guard that forbids it (a conftest's override of a fixture)
    found = trip(store, sender, asked, FakeTime(), **guards)
    # Then nothing is sent
    assert found is None, why
    assert (sender.calls, asked.times) == ([], 0)


def test_the_keys_are_asked_only_when_the_event_could_go_out() -> None:
    # Given a target with the kill switch engaged, and keys that count how often they are asked
    store, times = stores().target("codictate"), []

    def keys() -> tuple[ClientKeyFacts, ...]:
        times.append(1)
        return (key(),)

    engaged = KillSwitch("OFF", engaged=True)
    # When the round trip is asked for, withheld, then on another target allowed
    withheld = trip(
        store, Sender(), Asked(Reader(after=0)), FakeTime(), keys=keys, kill_switch=engaged
    )
    assert (withheld, times) == (None, [])
    other = stores().target("codictate")
    sent = trip(other, Sender(), Asked(Reader(after=0)), FakeTime(), keys=keys)
    # Then the keys were read only for the one that could be sent
    assert sent is not None
    assert times == [1]


def test_a_server_without_the_key_api_judges_no_host_foreign() -> None:
    # Given a server that answers the key listing with an API error (Bugsink)
    store = stores().target("codictate")

    def no_keys() -> tuple[ClientKeyFacts, ...]:
        raise errors.ApiError("/api/0/projects/acme/codictate/keys/", "not served")

    store.client_keys = no_keys  # type: ignore[method-assign]
    sender = Sender()
    # When the round trip is asked for, the event still goes out and is read back
    found = trip(store, sender, Asked(Reader(after=0)), FakeTime())
    assert found is not None
    assert found.arrival is not None
    assert len(sender.calls) == 1


def test_a_rejected_smoke_event_is_not_looked_for() -> None:
    # Given ingestion that refuses the key
    store = stores().target("codictate")
    store.memo.get("client_keys", lambda: (key(),))
    sender, asked = Sender(accepted=False), Asked(Reader(after=0))
    # When the round trip is asked for
    found = trip(store, sender, asked, FakeTime())
    # Then the refusal is the outcome, and the reader was never asked for (nor the project read)
    assert found is not None
    assert (found.sent.status, found.arrival, found.round_trip) == (403, None, 0.0)
    assert asked.times == 0


# -- the outcomes: asked only when an accepted event never arrived --------------------------------


def smoke(arrival: Arrival | None) -> SmokeOutcome:
    accepted = arrival is not None
    sent = Sent("e" * 32, "r", "env", accepted, 200 if accepted else 403)
    return SmokeOutcome(sent, arrival, wait=10.0)


ARRIVED = Arrival({"tags": []}, 1, 0.0, "reader")
NOT_YET = Arrival(None, 8, 20.0, "reader")
NOT_VERIFIABLE = Arrival(None, 1, 0.0, "reader", not_verifiable="no event API here")


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (None, False),  # nothing sent
        (smoke(None), False),  # rejected: the ingest answer says why
        (smoke(ARRIVED), False),
        (smoke(NOT_VERIFIABLE), False),  # the server cannot tell: no hint to look for
        (smoke(NOT_YET), True),
    ],
    ids=["not-sent", "rejected", "arrived", "not-verifiable", "never-read-back"],
)
def test_only_an_accepted_event_never_read_back_is_unexplained(
    outcome: SmokeOutcome | None, expected: bool
) -> None:
    assert unexplained(outcome) is expected


OUTCOMES = Outcomes("24h", "/api/0/organizations/acme/stats_v2/", accepted=3)


@pytest.mark.parametrize(
    ("outcome", "read", "expected"),
    [
        (smoke(ARRIVED), OUTCOMES, None),
        (smoke(NOT_YET), OUTCOMES, OUTCOMES),
        (smoke(NOT_YET), Outcomes("24h", "/stats_v2/", unreadable="HTTP 403"), None),
        (smoke(NOT_YET), errors.ApiError("/stats_v2/", "boom", status=500), None),
    ],
    ids=["arrived-not-read", "read", "unreadable", "failed"],
)
def test_the_store_reads_the_outcomes_only_for_an_unexplained_smoke_event(
    outcome: SmokeOutcome, read: Outcomes | Exception, expected: Outcomes | None
) -> None:
    # Given a target whose outcomes read gives ``read``
    store, calls = stores().target("codictate"), []

    def outcomes() -> Outcomes:
        calls.append(1)
        if isinstance(read, Exception):
            raise read
        return read

    store.outcomes = outcomes  # type: ignore[method-assign]
    # When the smoke outcomes are asked for
    found = store.smoke_outcomes(outcome)
    # Then they are read only when the event was accepted and never read back; an unreadable
    # or failed read is no hint (and no verdict of its own)
    assert found is expected
    assert len(calls) == (1 if unexplained(outcome) else 0)


def test_the_fixture_module_exports_the_smoke_fact_types_at_run_time() -> None:
    # ``fixtures.smoke`` names them in __all__ for users' own checks: they exist there at run time
    from pytest_sentry_gate.fixtures import smoke
    from pytest_sentry_gate.store.incident import IncidentSymbolication

    exported = {name: getattr(smoke, name) for name in smoke.__all__}
    assert exported == {
        "DsnFacts": DsnFacts,
        "IncidentSymbolication": IncidentSymbolication,
        "SmokeOutcome": SmokeOutcome,
    }
