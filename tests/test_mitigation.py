"""Issue 17 "Mitigation and rollback from what Sentry knows": the incident checklist's
``mitigation`` and ``rollback`` are inferred from the deploys of the affected release and of
the releases around it (``GET /api/0/organizations/{org}/releases/{version}/deploys/``).

Facts: the OpenAPI operation ``listOrganizationReleaseDeploys`` (a list of ``{id, environment,
dateStarted, dateFinished, name, url}``, every field required, ``dateStarted``/``name``/``url``
nullable); ``shared/reference/sentry-api.md`` §6 (a release's ``lastDeploy`` has that shape).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sentry_simulator.outcomes_data import add_deploy
from sentry_simulator.scenarios import DEMO_ORG, DEMO_PROJECT, DEMO_RELEASE
from tests.conftest import CANARY_TOKEN, check, demo_simulator
from tests.test_incident import only_incident, run_incident

HOUR = 3600
NEWER = f"{DEMO_PROJECT}@1.4.3"
OLDER = f"{DEMO_PROJECT}@1.4.1"


def test_deploys_are_served_in_sentrys_shape(repo: Path) -> None:
    """``listOrganizationReleaseDeploys``: every required field, newest finished first; the
    release's ``lastDeploy`` is the newest one."""
    with demo_simulator(repo) as sim:
        now = sim.data.now_epoch
        add_deploy(sim.data, DEMO_RELEASE, environment="staging", finished=now - 5 * HOUR)
        add_deploy(sim.data, DEMO_RELEASE, finished=now - 2 * HOUR, started=now - 3 * HOUR)
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        with httpx.Client(base_url=sim.url, headers=headers) as client:
            base = f"/api/0/organizations/{DEMO_ORG}/releases/{DEMO_RELEASE}/"
            body = client.get(base + "deploys/").json()
            release = client.get(base).json()
    assert [set(d) for d in body] == [{"id", "environment", "dateStarted", "dateFinished",
                                       "name", "url"}] * 2  # fmt: skip
    assert [d["environment"] for d in body] == ["production", "staging"]
    assert body[0]["dateFinished"] == "2026-11-28T10:00:00Z"
    assert body[1]["dateStarted"] is None
    assert release["lastDeploy"] == body[0]


def _deployed(sim: object, *, other: str, other_at: int) -> None:
    data = sim.data  # type: ignore[attr-defined]
    now = data.now_epoch
    only_incident(data, release=DEMO_RELEASE, scrubbed=True)  # last seen an hour ago
    if other not in data.releases:
        created = now - 86400 if other == NEWER else now - 30 * 86400
        data.add_release(other, projects=(DEMO_PROJECT,), date_created=created)
    add_deploy(data, DEMO_RELEASE, finished=now - 3 * 86400)
    add_deploy(data, other, finished=other_at)


def test_a_newer_deploy_after_the_last_event_leaves_the_issue_still_happening(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given the affected release deployed 3 days ago, the newer one 2 hours ago, and the issue
    # last seen an hour ago
    with demo_simulator(repo) as sim:
        _deployed(sim, other=NEWER, other_at=sim.data.now_epoch - 2 * HOUR)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    found = check(report, "test_incident_checklist")
    checklist = found["evidence"]["checklist"]
    # Then the checklist says the newer deploy did not stop it, and no rollback happened
    assert f"{NEWER} was deployed to production at 2026-11-28T10:00:00Z" in checklist["mitigation"]
    assert "after it: still happening" in checklist["mitigation"]
    assert checklist["rollback"].startswith(
        f"no rollback seen: rolled forward to the newer release {NEWER}"
    )
    assert "inferred" in checklist["mitigation"]
    assert any("inferred: confirm them" in r for r in found["risks"])


def test_an_older_release_deployed_after_the_last_event_is_a_rollback_that_mitigated(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given the issue last seen an hour ago, and an older release deployed 30 minutes ago
    with demo_simulator(repo) as sim:
        _deployed(sim, other=OLDER, other_at=sim.data.now_epoch - HOUR // 2)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    checklist = check(report, "test_incident_checklist")["evidence"]["checklist"]
    # Then it reads as rolled back to the older release, the issue mitigated by it
    assert checklist["rollback"].startswith(f"rolled back to the older release {OLDER}")
    assert "before it: mitigated by it" in checklist["mitigation"]


def test_no_deploy_in_sentry_leaves_the_fields_to_the_person_on_call(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, scrubbed=True)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    found = check(report, "test_incident_checklist")
    assert (
        found["evidence"]["checklist"]["mitigation"],
        found["evidence"]["checklist"]["rollback"],
    ) == ("", "")
    assert any("Sentry has no deploy of" in r for r in found["risks"])
