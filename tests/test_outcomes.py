"""Issue 17 item 6: a 200 is not arrival, and dropped events are visible in the organization's
outcomes (``GET /api/0/organizations/{org}/stats_v2/``).

Facts: ``shared/reference/sentry-api.md`` §13 "Outcomes" and "Ingestion answers"; the shape is
Sentry's ``src/sentry/snuba/outcomes.py`` (``QueryDefinition``, ``CategoryDimension.map_row``)
and the OpenAPI operation ``listOrganizationStatsV2``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_sentry_gate.sentry.outcomes import parse
from sentry_simulator import Simulator
from sentry_simulator.faults import Fault
from sentry_simulator.outcomes_data import add_dropped_events, add_outcome
from sentry_simulator.scenarios import DEMO_ORG, DEMO_PROJECT
from tests.conftest import CANARY_TOKEN, check, demo_simulator
from tests.test_incident import run_incident
from tests.test_smoke import demo_dsn, run_smoke

STATS = f"/api/0/organizations/{DEMO_ORG}/stats_v2/"
GROUPED = [
    ("field", "sum(quantity)"),
    ("groupBy", "outcome"),
    ("groupBy", "reason"),
    ("groupBy", "category"),
    ("statsPeriod", "24h"),
    ("interval", "1h"),
]


def stats(sim: Simulator, params: list[tuple[str, str]]) -> httpx.Response:
    pid = str(sim.data.project(DEMO_ORG, DEMO_PROJECT).id)  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
    with httpx.Client(base_url=sim.url, headers=headers) as client:
        return client.get(STATS, params=[*params, ("project", pid)])


# -- fidelity ------------------------------------------------------------------------------------


def test_stats_v2_serves_sentrys_outcome_shape(repo: Path) -> None:
    """§13 "Outcomes": ``{start, end, intervals, groups: [{by, totals, series}]}``, one group per
    (outcome, reason, category), ``default``/``security`` served as ``error``, accepted without a
    reason, one series value per hour (``outcomes.py`` ``massage_outcomes_result``)."""
    with demo_simulator(repo) as sim:
        add_dropped_events(sim.data, project=DEMO_PROJECT, accepted=240)
        add_outcome(sim.data, project=DEMO_PROJECT, outcome="invalid", reason="too_large",
                    category="default", quantity=2)  # fmt: skip
        add_outcome(sim.data, project=DEMO_PROJECT, outcome="invalid", reason="too_large",
                    category="security", quantity=3)  # fmt: skip
        body = stats(sim, GROUPED).json()
    assert set(body) == {"start", "end", "intervals", "groups"}
    assert len(body["intervals"]) == 24
    by = {tuple(sorted(g["by"].items(), key=str)): g for g in body["groups"]}
    invalid = by[(("category", "error"), ("outcome", "invalid"), ("reason", "too_large"))]
    assert invalid["totals"] == {"sum(quantity)": 5}
    assert len(invalid["series"]["sum(quantity)"]) == 24
    accepted = next(g for g in body["groups"] if g["by"]["outcome"] == "accepted")
    assert accepted["by"]["reason"] is None
    assert accepted["totals"]["sum(quantity)"] == 240
    assert {g["by"]["reason"] for g in body["groups"]} >= {"usage_exceeded", "browser-extensions"}


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ([("groupBy", "outcome")], 'At least one "field" is required.'),
        ([("field", "sum(bytes)"), ("groupBy", "category")], 'Invalid field: "sum(bytes)"'),
        ([("field", "sum(quantity)"), ("groupBy", "release")], 'Invalid groupBy: "release"'),
        ([("field", "sum(quantity)"), ("groupBy", "outcome")],
         "Query must have category as groupby or filter"),
    ],
)  # fmt: skip
def test_stats_v2_refuses_what_sentry_refuses(
    repo: Path, params: list[tuple[str, str]], detail: str
) -> None:
    """``QueryDefinition`` raises ``InvalidField``/``InvalidQuery``: 400 with the detail."""
    with demo_simulator(repo) as sim:
        response = stats(sim, params)
    assert (response.status_code, response.json()) == (400, {"detail": detail})


def test_a_discarded_hash_is_an_outcome(repo: Path) -> None:
    """§13 "Ingestion answers": an event of a discarded group is answered 200 and recorded as
    ``filtered``/``discarded-hash`` (``event_manager.py`` ``discard_event``)."""
    from sentry_simulator.ingest import store_event

    with demo_simulator(repo) as sim:
        pid = sim.data.project(DEMO_ORG, DEMO_PROJECT).id  # type: ignore[union-attr]
        event = {"message": "gone", "level": "error"}
        store_event(sim.data, pid, event, "a" * 32)
        sim.data.discard(next(i.id for i in sim.data.issues if i.title == "gone"))
        store_event(sim.data, pid, event, "b" * 32)
        rows = {
            tuple(sorted(g["by"].items(), key=str)) for g in stats(sim, GROUPED).json()["groups"]
        }
    assert (("category", "error"), ("outcome", "filtered"), ("reason", "discarded-hash")) in rows


# -- the reader ---------------------------------------------------------------------------------


def test_reader_keeps_drops_apart_from_client_discards() -> None:
    body: dict[str, Any] = {"groups": [
        {"by": {"outcome": "accepted", "reason": None, "category": "error"},
         "totals": {"sum(quantity)": 90}, "series": {}},
        {"by": {"outcome": "abuse", "reason": "none", "category": "error"},
         "totals": {"sum(quantity)": 4}, "series": {}},
        {"by": {"outcome": "client_discard", "reason": "sample_rate", "category": "transaction"},
         "totals": {"sum(quantity)": 50}, "series": {}},
        {"by": {"outcome": "filtered", "reason": "release-version", "category": "error"},
         "totals": {"sum(quantity)": 9}, "series": {}},
    ]}  # fmt: skip
    found = parse(body, "24h", STATS)
    assert (found.accepted, found.dropped) == (90, 13)
    assert [d.describe() for d in found.drops] == [
        "9 error event(s) filtered (release-version)", "4 error event(s) abuse (none)",
    ]  # fmt: skip
    assert [d.reason for d in found.client_discards] == ["sample_rate"]
    assert found.smoke_reason() is not None
    assert found.smoke_reason().reason == "release-version"


# -- verdicts -----------------------------------------------------------------------------------


def test_incident_fails_naming_the_dropped_events(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a day in which Sentry dropped 120 errors over quota and filtered 7
    with demo_simulator(repo) as sim:
        add_dropped_events(sim.data, project=DEMO_PROJECT)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then incident fails naming outcome, reason, category and count
    dropped = check(report, "test_events_not_dropped")
    assert (dropped["status"], dropped["reason"]) == ("FAIL", "events_dropped")
    assert "120 error event(s) rate_limited (usage_exceeded)" in dropped["message"]
    assert "7 error event(s) filtered (browser-extensions)" in dropped["message"]
    assert dropped["evidence"]["outcomes"]["accepted"] == 384


def test_drops_within_the_threshold_pass_as_a_risk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    with demo_simulator(repo) as sim:
        add_dropped_events(sim.data, project=DEMO_PROJECT)
        _, report = run_incident(pytester, monkeypatch, repo, sim,
                                 ini="sentry_max_dropped_events = 200\n")  # fmt: skip
    dropped = check(report, "test_events_not_dropped")
    assert dropped["status"] == "PASS", dropped["message"]
    assert any("rate_limited (usage_exceeded)" in r for r in dropped["risks"])


def test_outcomes_refused_by_the_token_are_partial_naming_the_scope(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a server that answers 403 to the outcomes (the token lacks org:read there)
    with demo_simulator(repo) as sim:
        denied = {"detail": "You do not have permission to perform this action."}
        sim.add_fault(Fault(path=r"/stats_v2/$", status=403, body=denied))
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    dropped = check(report, "test_events_not_dropped")
    assert (dropped["status"], dropped["reason"]) == ("PARTIAL", "outcomes_unreadable")
    assert "org:read" in dropped["message"]
    assert "403" in dropped["message"]


def test_a_token_without_org_read_is_judged_by_the_preflight(repo: Path) -> None:
    """The endpoint table holds the outcomes with the scopes that grant them."""
    from pytest_sentry_gate.sentry import endpoints

    row = endpoints.find(STATS)
    assert row is not None
    assert row.needed == "org:read"
    assert not row.granted_by(("project:read", "event:read"))
    assert row in endpoints.for_modes(["incident"])
    assert row in endpoints.for_modes(["local_smoke"])


def test_smoke_event_dropped_after_a_200_names_the_filter(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given an earlier smoke event whose issue someone chose "Delete & Discard" for
    with demo_simulator(repo) as sim:
        run_smoke(pytester, monkeypatch, repo, "--send-test-event", url=sim.url,
                  dsn=demo_dsn(sim))  # fmt: skip
        own = next(i for i in sim.data.issues if i.logger == "sentry-gate")
        sim.data.discard(own.id)
        # When local_smoke sends again: Sentry answers 200, drops it, and records the outcome
        _, report = run_smoke(pytester, monkeypatch, repo, "--send-test-event", url=sim.url,
                              dsn=demo_dsn(sim), ini="sentry_smoke_wait = 1\n")  # fmt: skip
    # Then the PARTIAL names the filtered reason from Sentry's outcomes
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("PARTIAL", "smoke_not_arrived")
    assert "1 error event(s) filtered (discarded-hash)" in smoke["message"]
    assert smoke["evidence"]["dropped"]["reason"] == "discarded-hash"
