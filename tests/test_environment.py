"""Issue 17 "Environment": prod_health, issue_triage and incident filter every issue and
session query by ``sentry_environment`` when it is set (the ``environment`` query parameter,
repeatable, of the issue list and the sessions API: OpenAPI ``listOrganizationIssues`` and
``getOrganizationSessions``; ``shared/reference/sentry-api.md`` §3 and §6). The fact fixtures
and the prefetch send the same queries. Unset, queries cover every environment, as before.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sentry_simulator import Simulator
from sentry_simulator.scenarios import DEMO_ORG, DEMO_RELEASE
from tests.conftest import CANARY_TOKEN, check, demo_simulator, demo_target, run_mode
from tests.test_incident import only_incident, run_incident


def _filtered(sim: Simulator) -> list[tuple[str, list[str]]]:
    """(path, environment values) of every issue-list and sessions request but the id re-check."""
    return [
        (r.path, r.query.get("environment", []))
        for r in sim.requests
        if r.path.endswith(("/issues/", "/sessions/")) and "group" not in r.query
    ]


def test_sessions_are_filtered_by_environment_in_the_simulator(repo: Path) -> None:
    """``getOrganizationSessions`` takes ``environment`` (an array): sessions of another
    environment are not counted."""
    with demo_simulator(repo) as sim:
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        params = [("field", "sum(session)"), ("query", f'release:"{DEMO_RELEASE}"')]
        with httpx.Client(base_url=sim.url, headers=headers) as client:
            path = f"/api/0/organizations/{DEMO_ORG}/sessions/"
            every = client.get(path, params=params).json()
            staging = client.get(path, params=[*params, ("environment", "staging")]).json()
            both = client.get(path, params=[*params, ("environment", "staging"),
                                            ("environment", "production")]).json()  # fmt: skip
    total = every["groups"][0]["totals"]["sum(session)"]
    assert total > 0
    assert staging["groups"][0]["totals"]["sum(session)"] == 0
    assert both["groups"][0]["totals"]["sum(session)"] == total


def test_incident_ignores_another_environments_issue_when_filtered(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given the only high-severity issue is in staging
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, environment="staging", scrubbed=True)
        _, every = run_incident(pytester, monkeypatch, repo, sim)
        _, production = run_incident(pytester, monkeypatch, repo, sim,
                                     "--sentry-environment=production")  # fmt: skip
    # Then without the setting incident samples it; with production it is not production's
    assert check(every, "test_affected_events_tagged")["evidence"]["issues"]
    tagged = check(production, "test_affected_events_tagged")
    assert tagged["evidence"]["issues"] == []
    assert "no high-severity unresolved issue" in tagged["message"]
    assert ["production"] in [env for _, env in _filtered(sim)]


def test_health_and_triage_send_the_environment_on_every_issue_and_session_query(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, environment="staging", scrubbed=True)
        _, report = run_mode(
            pytester, "prod_health or issue_triage", *demo_target(sim.url, repo),
            f"--sentry-state-file={tmp_path / 'state.json'}", "--sentry-environment=staging",
        )  # fmt: skip
    sent = _filtered(sim)
    # Then every issue and session query, the prefetch's and the fixtures' alike, names staging
    assert {p.rsplit("/", 2)[-2] for p, _ in sent} == {"issues", "sessions"}
    assert all(env == ["staging"] for _, env in sent), sent
    # And the release's health is staging's: it has no sessions there
    crash = check(report, "test_crash_free_rate")
    assert (crash["status"], crash["reason"]) == ("PARTIAL", "no_session_data")
    assert "turn on the SDK's session tracking" in crash["fixes"][0]  # not the rerun alone
    high = check(report, "test_high_severity")
    assert high["status"] == "FAIL"
    assert report["environment_filter"] == ["staging"]  # the report says what was read


def test_unset_environment_filters_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with demo_simulator(repo) as sim:
        _, report = run_mode(pytester, "prod_health", *demo_target(sim.url, repo),
                             f"--sentry-state-file={tmp_path / 'state.json'}")  # fmt: skip
    assert all(env == [] for _, env in _filtered(sim))
    # the default environment names the smoke event's and deploys' environment, not a filter
    assert (report["environment"], report["environment_filter"]) == ("production", [])
