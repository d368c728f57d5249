"""incident end to end: the demo story (one planted email), then variants of its incident issue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import Simulator
from sentry_simulator.data import SimulatorData
from sentry_simulator.incident_data import PLANTED, add_incident, associate_commits
from sentry_simulator.scenarios import DEMO_PROJECT, DEMO_RELEASE
from tests.conftest import (
    CANARY_TOKEN,
    check,
    demo_simulator,
    demo_target,
    run_mode,
    statuses,
)
from tests.test_smoke import demo_dsn

CHECKS = (
    "test_ingestion_healthy",
    "test_affected_events_tagged",
    "test_impacted_release_symbolicates",
    "test_events_scrubbed",
    "test_incident_checklist",
    "test_events_not_dropped",
)


def only_incident(data: SimulatorData, **kwargs: Any) -> None:
    """Resolve the demo's incident issue and add one built from ``kwargs`` instead."""
    for issue in list(data.issues):
        if issue.priority == "high":
            data.update_issue(issue.id, status="resolved", substatus=None)
    add_incident(data, project=DEMO_PROJECT, **kwargs)


def run_incident(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator,
    *args: str, ini: str = "",
) -> tuple[pytest.RunResult, dict[str, Any]]:  # fmt: skip
    """``pytest -m incident`` on ``repo``: no planted value is ever shown unmasked either."""
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SENTRY_DSN", demo_dsn(sim))
    personal = tuple(value.removeprefix("retry with token ") for _, value in PLANTED.values())
    return run_mode(
        pytester, "incident", *demo_target(sim.url, repo), *args,
        ini="sentry_http_timeout = 2\n" + ini, secrets=(CANARY_TOKEN, *personal),
    )  # fmt: skip


def test_demo_story_fails_on_the_planted_email(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given the demo: one high-severity issue of the release whose event holds an email
    with demo_simulator(repo) as sim:
        # When incident runs
        result, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then only the privacy check fails, naming issue, event and field, with the match masked
    assert statuses(report) == {**dict.fromkeys(CHECKS, "PASS"), "test_events_scrubbed": "FAIL"}
    scrubbed = check(report, "test_events_scrubbed")
    assert scrubbed["reason"] == "personal_data"
    finding = scrubbed["evidence"]["findings"][0]
    assert (finding["kind"], finding["path"], finding["masked"]) == (
        "email", "user.email", "j***@e***.com",
    )  # fmt: skip
    assert f"{finding['issue']} event {finding['event']} user.email" in scrubbed["message"]
    # And the checklist is in the report, with empty fields for the person on call
    checklist = check(report, "test_incident_checklist")["evidence"]["checklist"]
    assert checklist["affected_release"] == DEMO_RELEASE
    assert checklist["environments"] == ["production"]
    assert (checklist["events"], checklist["users"]) == (57, 12)
    assert (checklist["mitigation"], checklist["rollback"]) == ("", "")
    assert checklist["first_seen"]
    assert result.ret == 1


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_planted_kind_fails_masked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, kind: str
) -> None:
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, kinds=(kind,))
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    findings = check(report, "test_events_scrubbed")["evidence"]["findings"]
    assert [(f["kind"], f["path"]) for f in findings] == [(kind, PLANTED[kind][0])]


def test_scrubbed_events_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, kinds=tuple(PLANTED), scrubbed=True)
        result, report = run_incident(pytester, monkeypatch, repo, sim)
    assert statuses(report) == dict.fromkeys(CHECKS, "PASS")
    assert result.ret == 0


def test_untagged_event_fails_naming_the_issue(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, scrubbed=True, tags=False)
        short_id = sim.data.short_id(sim.data.issues[-1])
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    tagged = check(report, "test_affected_events_tagged")
    assert (tagged["status"], tagged["reason"]) == ("FAIL", "tags_missing")
    assert f"{short_id} (" in tagged["message"]
    assert "no release or environment" in tagged["message"]


def test_top_n_latest_events_are_read_concurrently_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given three high-severity issues and sentry_incident_top = 2
    with demo_simulator(repo) as sim:
        for n in range(3):
            add_incident(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE, scrubbed=True,
                         count=100 + n)  # fmt: skip
        _, report = run_incident(pytester, monkeypatch, repo, sim, ini="sentry_incident_top = 2\n")
        latest = [r.path for r in sim.requests if r.path.endswith("/events/latest/")]
    # Then two issues are sampled, the most frequent, and each latest event is read once
    sampled = check(report, "test_events_scrubbed")["evidence"]["sampled"]
    assert len(sampled) == 2
    assert check(report, "test_incident_checklist")["evidence"]["checklist"]["events"] == 203
    assert len(latest) == len(set(latest))


def test_non_javascript_project_skips_symbolication(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    with demo_simulator(repo) as sim:
        for project in sim.data.projects.values():
            project.platform = "rust"
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    symbolicates = check(report, "test_impacted_release_symbolicates")
    assert symbolicates["status"] == "SKIP"
    assert "not JavaScript" in symbolicates["message"]


def test_no_high_severity_issue(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    with demo_simulator(repo) as sim:
        for issue in list(sim.data.issues):
            if issue.priority == "high":
                sim.data.update_issue(issue.id, status="resolved", substatus=None)
        result, report = run_incident(pytester, monkeypatch, repo, sim)
    assert statuses(report)["test_affected_events_tagged"] == "PASS"
    assert statuses(report)["test_events_scrubbed"] == "SKIP"
    assert (
        json.dumps(check(report, "test_incident_checklist")["evidence"]["checklist"]["issues"])
        == "[]"
    )
    assert result.ret == 0


# -- real Sentry's event details (shared/reference/sentry-api.md §13 "Events") -------------------


def test_sentry_scrub_records_and_release_authors_are_not_findings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given an event Sentry scrubbed (``[Filtered]`` and its ``_meta`` record) of a release whose
    # team associates commits (authors' emails in the event's ``release`` object)
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, kinds=tuple(PLANTED), scrubbed=True)
        associate_commits(sim.data, DEMO_RELEASE)
        result, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then nothing is personal data, and the scrubbing shows as evidence that it worked
    scrubbed = check(report, "test_events_scrubbed")
    assert (scrubbed["status"], scrubbed["evidence"]["findings"]) == ("PASS", [])
    assert scrubbed["evidence"]["scrubbed_by_sentry"] == ["@password:filter"]
    assert "Sentry scrubbed with @password:filter" in scrubbed["message"]
    assert result.ret == 0


def test_release_authors_alone_are_not_findings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given the demo release with associated commits and an event holding one raw email
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, kinds=("email",), scrubbed=False)
        associate_commits(sim.data, DEMO_RELEASE)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then only the user's own email is a finding, never the commit authors'
    findings = check(report, "test_events_scrubbed")["evidence"]["findings"]
    assert [(f["kind"], f["path"]) for f in findings] == [("email", "user.email")]


def test_look_alikes_pass_and_real_kinds_beside_them_are_found(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a WebView2 event: Chrome/131.0.0.0, the route /home/settings, CI runner paths
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, scrubbed=True, look_alikes=True)
        _, clean = run_incident(pytester, monkeypatch, repo, sim)
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, kinds=("ipv4", "home_path"),
                      look_alikes=True)  # fmt: skip
        _, raw = run_incident(pytester, monkeypatch, repo, sim)
    # Then the look-alikes are no finding, and a real address and home path beside them are
    assert check(clean, "test_events_scrubbed")["status"] == "PASS"
    findings = check(raw, "test_events_scrubbed")["evidence"]["findings"]
    assert sorted((f["kind"], f["path"]) for f in findings) == [
        ("home_path", PLANTED["home_path"][0]), ("ipv4", PLANTED["ipv4"][0]),
    ]  # fmt: skip
