"""Issue 17 "Also": ``sentry_min_sessions`` is a setting (the crash-free rate's minimum sample)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_simulator.scenarios import DEMO_PROJECT, DEMO_RELEASE, demo_data
from tests.test_daily_verdicts import checks_of
from tests.test_health import DEMO, NOW, _loop, _sim


def test_min_sessions_is_a_setting(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given the release under check with 40 sessions, none crashed
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        sim.data.set_release_health(
            DEMO_RELEASE, DEMO_PROJECT, total_sessions=40, total_users=9, sessions_crashed=0,
            sessions_errored=0, crash_free_sessions=100.0, crash_free_users=100.0,
        )  # fmt: skip
        # When the team judges 25 sessions enough
        report = _loop(
            pytester, sim, tmp_path / "s.json", "prod_health", ini="sentry_min_sessions = 25\n"
        )
    # Then the rate is judged (PASS), where the default (100) would say "not enough sessions"
    crash = checks_of(report)["test_crash_free_rate"]
    assert crash["status"] == "PASS", crash["message"]
    assert crash["evidence"]["min_sessions"] == 25


def test_triage_shows_sentrys_assignee_and_suggested_owners(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given the demo's urgent issue, assigned in Sentry to a team, with a suggested owner
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        urgent = next(i for i in sim.data.issues if i.priority == "high")
        sim.data.update_issue(urgent.id, assigned_to="team:backend",
                              suggested_owners=(("ownershipRule", "team:2"),))  # fmt: skip
        # When triage runs
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    # Then the urgent line names Sentry's assignee and suggestion beside the CODEOWNERS owner
    check = checks_of(report)["test_likely_urgent"]
    assert "(Sentry: assigned to #backend; suggested team:2 (ownership rule))" in check["message"]
    hint = next(h for h in check["evidence"]["issues"] if h["id"] == str(urgent.id))
    assert (hint["sentry_assignee"], hint["suggested_owners"]) == (
        "#backend", ["team:2 (ownership rule)"],
    )  # fmt: skip
