"""local_smoke: the smoke round trip's pure parts, then the mode end to end (simulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.modes.local_smoke import DSN_ABSENT, DSN_FIX, NOT_ASKED
from pytest_sentry_gate.repo.dsn import parse_dsn
from pytest_sentry_gate.sentry.smoke import (
    SMOKE_MESSAGE,
    ClientKeyFacts,
    NotVerifiable,
    build_event,
    confirm_arrival,
    envelope,
)
from pytest_sentry_gate.smoke_rules import dsn_mismatch, tag_problems
from sentry_simulator import Fault, Simulator
from sentry_simulator.scenarios import DEMO_PROJECT, DEMO_RELEASE
from sentry_simulator.serialize import dsn as dsn_of
from tests.conftest import (
    CANARY_TOKEN,
    assert_no_secret,
    check,
    demo_target,
    run_mode,
    statuses,
)

KEY = "0123456789abcdef0123456789abcdef"
CHECKS = (
    "test_api_answers",
    "test_client_key_active",
    "test_dsn_matches_project",
    "test_kill_switch_off",
    "test_smoke_event_arrives",
)


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class Reader:
    description = "a test reader"

    def __init__(self, after: int | None, event: dict[str, Any] | None = None) -> None:
        self.after, self.calls, self.event = after, 0, event or {"tags": []}

    def lookup(self, event_id: str) -> dict[str, Any] | None:
        self.calls += 1
        if self.after is None:
            raise NotVerifiable("Unimplemented API endpoint: /api/0/projects/a/b/events/x/")
        return self.event if self.calls > self.after else None


# -- pure parts --------------------------------------------------------------------------------


def test_poll_backs_off_within_the_bounded_wait() -> None:
    # Given an event that never becomes readable and a 30 s wait
    fake = FakeTime()
    # When the arrival is polled through the seam's sleep and clock
    arrival = confirm_arrival(
        Reader(after=10**6), "e" * 32, wait=30, sleep=fake.sleep, clock=fake.clock
    )
    # Then the delays double from 0.5 s, cap at 5 s, and stop exactly at the deadline
    assert arrival.event is None
    assert fake.slept == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 2.5]
    assert arrival.waited == 30
    assert arrival.attempts == 10


def test_poll_reports_each_wait_as_progress() -> None:
    # Given a reader that answers on the fourth poll, and a progress listener
    fake, heard = FakeTime(), []
    reader = Reader(after=3, event={"tags": []})
    # When the arrival is polled (sleeps of 0.5, 1 and 2 s between the polls)
    confirm_arrival(
        reader, "e" * 32, wait=30, sleep=fake.sleep, clock=fake.clock, progress=heard.append
    )
    # Then each wait was announced with the time waited so far and the bound
    said = f"waiting for smoke event {'e' * 32} to arrive: {{}}s of 30s"
    assert heard == [said.format(0), said.format(0), said.format(2)]


def test_poll_stops_when_the_event_appears() -> None:
    fake = FakeTime()
    reader = Reader(after=2, event={"tags": [{"key": "release", "value": "r"}]})
    arrival = confirm_arrival(reader, "e" * 32, wait=30, sleep=fake.sleep, clock=fake.clock)
    assert (arrival.attempts, fake.slept, arrival.tags()) == (3, [0.5, 1.0], {"release": "r"})


def test_poll_on_a_server_without_the_event_api() -> None:
    fake = FakeTime()
    arrival = confirm_arrival(
        Reader(after=None), "e" * 32, wait=30, sleep=fake.sleep, clock=fake.clock
    )
    assert arrival.not_verifiable is not None
    assert (arrival.attempts, fake.slept) == (1, [])


def test_smoke_event_holds_only_what_the_runbook_says(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a secret in the process environment (sentry-cli send-event would attach it)
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    event = build_event(release=DEMO_RELEASE, environment="staging", event_id="a" * 32, now=0)
    body = envelope(event, 0)
    # Then the event is the runbook's, and the environment is nowhere in the envelope
    assert event["message"] == {"formatted": SMOKE_MESSAGE}
    assert event["tags"] == {"source": "sentry-gate", "mode": "local-smoke"}
    assert (event["release"], event["environment"], event["level"]) == (
        DEMO_RELEASE,
        "staging",
        "error",
    )
    assert_no_secret(body.decode())
    _head, item, payload, end = body.split(b"\n")
    assert json.loads(item)["length"] == len(payload)
    assert end == b""


def _key(
    host: str = "h", project_id: str = "1", public: str = KEY, active: bool = True
) -> ClientKeyFacts:
    return ClientKeyFacts("k1", "Default", active, None, host, project_id, public)


def test_dsn_must_match_an_active_key_of_the_project() -> None:
    dsn = parse_dsn(f"https://{KEY}@h/1")
    assert dsn_mismatch(dsn, (_key(),)) is None
    assert "host h is not" in str(dsn_mismatch(dsn, (_key(host="o1.ingest.sentry.io"),)))
    assert "project id 1" in str(dsn_mismatch(dsn, (_key(project_id="2"),)))
    assert "none of the project's" in str(dsn_mismatch(dsn, (_key(public="f" * 32),)))
    assert "inactive" in str(dsn_mismatch(dsn, (_key(active=False),)))


def test_a_replayed_dsn_is_judged_by_host_project_and_key_state() -> None:
    # Given keys as a replayed cassette holds them (scrubbed) and a DSN with the scrubbed key
    scrubbed = "0" * 32
    dsn = parse_dsn(f"https://{scrubbed}@h/1")
    # Then host, project id and whether the key is active still decide
    assert dsn_mismatch(dsn, (_key(public=scrubbed),)) is None
    assert "inactive" in str(dsn_mismatch(dsn, (_key(public=scrubbed, active=False),)))
    assert "project id 1" in str(dsn_mismatch(dsn, (_key(public=scrubbed, project_id="2"),)))


def test_tag_problems() -> None:
    assert tag_problems({"release": "r", "environment": "e"}, release="r", environment="e") == []
    assert tag_problems({"environment": "x"}, release="r", environment="e") == [
        "environment tag is 'x', not 'e'",
        "no release tag",
    ]


# -- end to end --------------------------------------------------------------------------------

FAKE_TIME_CONFTEST = """
import json, os
import pytest

NOW = [1_800_000_000.0]
SLEPT = []

@pytest.fixture(scope="session")
def sentry_client_config(sentry_settings):
    from pytest_sentry_gate.sentry.client import ClientConfig

    def sleep(seconds):
        SLEPT.append(seconds)
        NOW[0] += seconds

    return ClientConfig(timeout=2, backoff_base=0.0, sleep=sleep, clock=lambda: NOW[0])

def pytest_sessionfinish(session):
    with open("slept.json", "w") as f:
        json.dump(SLEPT, f)
"""


def demo_dsn(sim: Simulator) -> str:
    project = next(p for p in sim.data.projects.values() if p.slug == DEMO_PROJECT)
    key = next(k for k in sim.data.keys if k.project_id == project.id)
    return dsn_of(key, sim.url.rstrip("/"))


def run_smoke(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    *args: str,
    url: str,
    dsn: str | None,
    ini: str = "sentry_kill_switch = HANDY_DISABLE_SENTRY\n",
    conftest: str = "",
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """``pytest -m local_smoke`` on ``repo`` with a clock that only moves when slept on (and
    ``conftest``'s fixtures beside it)."""
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    if dsn is not None:
        monkeypatch.setenv("SENTRY_DSN", dsn)
    pytester.makeconftest(FAKE_TIME_CONFTEST + conftest)
    key = (dsn.split("//")[1].split("@")[0],) if dsn else ()
    return run_mode(
        pytester,
        "local_smoke",
        *demo_target(url, repo),
        *args,
        ini="sentry_http_timeout = 2\n" + ini,
        secrets=(CANARY_TOKEN, *key),
    )


def test_demo_passes_and_sends_nothing_unasked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the demo project with one active key, and its DSN in the environment
    # When local_smoke runs without --send-test-event
    result, report = run_smoke(pytester, monkeypatch, repo, url=sim.url, dsn=demo_dsn(sim))
    # Then the four checks pass, the smoke check says how to ask, and nothing was POSTed
    assert statuses(report) == {**dict.fromkeys(CHECKS[:4], "PASS"), CHECKS[4]: "SKIP"}
    assert check(report, CHECKS[4])["message"] == NOT_ASKED
    keys = check(report, "test_client_key_active")["evidence"]["keys"]
    assert keys[0]["active"] is True
    assert set(keys[0]) >= {"name", "rate_limit", "dsn_host"}
    # and no key value: in Sentry a key's id is its public key, so the id is not shown either
    assert "id" not in keys[0]
    assert all(k.public not in json.dumps(report) for k in sim.data.keys)
    assert not [r for r in sim.requests if r.method == "POST"]
    assert result.ret == 0


def test_smoke_event_is_sent_and_read_back(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the demo, and the old script's "sent = passed"
    # When local_smoke runs with --send-test-event
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim)
    )
    # Then the event is in the simulator with the runbook's tags, and the check read it back
    smoke = check(report, "test_smoke_event_arrives")
    assert smoke["status"] == "PASS", smoke["message"]
    event = sim.data.event(smoke["evidence"]["event_id"])
    assert event is not None
    wanted = {"source": "sentry-gate", "mode": "local-smoke", "release": DEMO_RELEASE}
    assert set(event.tags) >= {*wanted.items(), ("environment", "sentry-gate-smoke")}
    assert smoke["evidence"]["tags"]["release"] == DEMO_RELEASE
    assert smoke["evidence"]["environment"] == "sentry-gate-smoke"  # not the app's production
    assert len([r for r in sim.requests if r.method == "POST"]) == 1
    assert result.ret == 0


def test_event_not_readable_in_time_is_partial_with_the_lookup(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a Sentry whose event API never shows the event (ingestion lag)
    sim.add_fault(Fault(path=r"/projects/acme/codictate/events/[0-9a-f]{32}/$", status=404))
    # When the smoke event is sent with a 20 s wait
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim),
        ini="sentry_smoke_wait = 20\n",
    )  # fmt: skip
    # Then PARTIAL names the event id and the lookup, after 20 s of backoff nobody waited for
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("PARTIAL", "smoke_not_arrived")
    assert smoke["evidence"]["event_id"] in smoke["message"]
    assert any("/events/" + smoke["evidence"]["event_id"] in c for c in smoke["next_commands"])
    assert json.loads((pytester.path / "slept.json").read_text()) == [0.5, 1, 2, 4, 5, 5, 2.5]
    assert result.ret == 0


def test_event_without_its_tags_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a server that stores the event but serves it without release and environment
    sim.add_fault(
        Fault(path=r"/events/[0-9a-f]{32}/$", status=200, body={"eventID": "x", "tags": []})
    )
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim)
    )
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("FAIL", "smoke_tags_missing")
    assert "no environment tag" in smoke["message"]
    assert "no release tag" in smoke["message"]
    assert result.ret == 1


def test_rejected_key_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a DSN whose key the ingest endpoint does not know
    dsn = demo_dsn(sim)
    project_id = dsn.rsplit("/", 1)[1]
    wrong = dsn.replace(dsn.split("//")[1].split("@")[0], "f" * 32)
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=wrong
    )
    # Then the DSN check and the smoke check fail, neither printing the key
    assert check(report, "test_dsn_matches_project")["reason"] == "dsn_mismatch"
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("FAIL", "smoke_rejected")
    assert "HTTP 403" in smoke["message"]
    assert project_id in check(report, "test_dsn_matches_project")["evidence"]["project_id"]
    assert_no_secret(result.stdout.str(), json.dumps(report), secret="f" * 32)


def test_kill_switch_blocks_delivery(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the app's kill switch set in its .env
    (repo / ".env").write_text("export HANDY_DISABLE_SENTRY=true\n")
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim)
    )
    # Then the kill-switch check fails explaining delivery is blocked, and nothing is sent
    switch = check(report, "test_kill_switch_off")
    assert (switch["status"], switch["reason"]) == ("FAIL", "kill_switch_on")
    assert "delivery is blocked" in switch["message"]
    assert check(report, "test_smoke_event_arrives")["status"] == "SKIP"
    assert not [r for r in sim.requests if r.method == "POST"]
    assert result.ret == 1


KILL_SWITCH_OVERRIDE = """
@pytest.fixture(scope="session")
def sentry_kill_switch():
    from pytest_sentry_gate.repo.dsn import KillSwitch

    return KillSwitch("APP_SENTRY_OFF", engaged=True, source="conftest.py")
"""


def test_a_conftest_engaging_the_kill_switch_withholds_the_smoke_event(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a conftest.py whose sentry_kill_switch says the app's Sentry is off
    # When local_smoke runs with --send-test-event
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim),
        conftest=KILL_SWITCH_OVERRIDE,
    )  # fmt: skip
    # Then the kill-switch check fails on the override, and the send obeys it too: no envelope
    assert check(report, "test_kill_switch_off")["reason"] == "kill_switch_on"
    assert check(report, "test_smoke_event_arrives")["status"] == "SKIP"
    assert not [r for r in sim.requests if r.method == "POST"]
    assert result.ret == 1


def test_malformed_dsn_fails_without_printing_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    bad = "https://0123456789abcdef0123456789abcdef@127.0.0.1/not-a-number"
    result, report = run_smoke(pytester, monkeypatch, repo, url=sim.url, dsn=bad)
    dsn = check(report, "test_dsn_matches_project")
    assert (dsn["status"], dsn["reason"]) == ("FAIL", "dsn_malformed")
    assert "numeric project id" in dsn["message"]
    assert_no_secret(result.stdout.str(), json.dumps(report), secret="not-a-number")


def test_absent_dsn_is_partial(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    result, report = run_smoke(pytester, monkeypatch, repo, url=sim.url, dsn=None)
    dsn = check(report, "test_dsn_matches_project")
    assert (dsn["status"], dsn["reason"]) == ("PARTIAL", "dsn_absent")
    assert dsn["message"].startswith(DSN_ABSENT)
    assert dsn["fixes"] == [DSN_FIX]  # what to change: a rerun alone changes nothing
    assert result.ret == 0


def test_no_active_key_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    dsn = demo_dsn(sim)
    for key in sim.data.keys:
        key.is_active = False
    result, report = run_smoke(pytester, monkeypatch, repo, url=sim.url, dsn=dsn)
    assert check(report, "test_client_key_active")["reason"] == "no_active_key"
    assert "inactive" in check(report, "test_dsn_matches_project")["message"]
    assert result.ret == 1
