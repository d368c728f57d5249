"""Issue 17 "Also": triage shows Sentry's suggested owners by name (``team:<slug>``), as the
organization's team list names them, and never an email (Sentry's display name of a user
without a name is their email).

Facts: the issue detail's ``owners`` name ``team:<id>``/``user:<id>`` (GroupOwner rows,
``shared/reference/sentry-api.md`` §3 ``expand=owners``); ``listOrganizationTeams`` (OpenAPI,
scope ``org:read``) gives each team's ``id`` (a string) and ``slug``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pytest_sentry_gate.assignees import assignee, suggested, user_names
from sentry_simulator.scenarios import DEMO_ORG, demo_data
from tests.conftest import CANARY_TOKEN, demo_simulator
from tests.test_daily_verdicts import checks_of
from tests.test_health import DEMO, NOW, _loop, _sim


def test_teams_are_served_in_sentrys_shape(repo: Path) -> None:
    """``listOrganizationTeams``: a list of teams with a string ``id``, ``slug`` and ``name``."""
    with demo_simulator(repo) as sim:
        sim.data.teams[(DEMO_ORG, 2)] = "audio-pipeline"
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        with httpx.Client(base_url=sim.url, headers=headers) as client:
            body = client.get(f"/api/0/organizations/{DEMO_ORG}/teams/").json()
    assert [(t["id"], t["slug"]) for t in body] == [("2", "audio-pipeline")]
    assert all(isinstance(t["name"], str) for t in body)


def test_triage_names_suggested_teams_by_slug_and_never_shows_an_email(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given the urgent issue assigned to a user whose display name is their email, with Sentry
    # suggesting team 2 (audio-pipeline) by an ownership rule
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        sim.data.teams[("acme", 2)] = "audio-pipeline"
        urgent = next(i for i in sim.data.issues if i.priority == "high")
        sim.data.update_issue(urgent.id, assigned_to="user:jane.doe@example.com",
                              suggested_owners=(("ownershipRule", "team:2"),
                                                ("suspectCommit", "user:1")))  # fmt: skip
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    check = checks_of(report)["test_likely_urgent"]
    hint = next(h for h in check["evidence"]["issues"] if h["id"] == str(urgent.id))
    # Then the team reads as its slug, the user as its id, and no email is anywhere
    assert hint["suggested_owners"] == ["team:audio-pipeline (ownership rule)",
                                        "user:1 (suspect commit)"]  # fmt: skip
    assert hint["sentry_assignee"] == "user:1"
    assert "jane.doe@example.com" not in str(report)


def test_a_named_assignee_names_the_same_user_among_the_suggestions() -> None:
    assigned = {"type": "user", "id": "7", "name": "Jane Doe", "email": "jane@example.com"}
    rows = [{"type": "suspectCommit", "owner": "user:7"}, {"type": "codeowners", "owner": "team:3"}]
    assert assignee(assigned) == "Jane Doe"
    assert suggested(rows, user_names(assigned)) == [
        "user:Jane Doe (suspect commit)", "team:3 (CODEOWNERS in Sentry)",
    ]  # fmt: skip
