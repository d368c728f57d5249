"""issue_triage counts each bucket whole: its verdict says how many issues the bucket holds and
how many it lists (the top ``sentry_triage_top``), so that an agent sent from prod_health's
"escalate same day" loses no issue to the top-N cut."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator.scenarios import DEMO_PROJECT, demo_data
from tests.conftest import check
from tests.test_health import DEMO, NOW, _loop, _sim

#: The demo's health story holds two likely urgent issues (CODICTATE-6 and CODICTATE-7).
DEMO_URGENT = 2


def _add_fatal(sim: Any, n: int) -> list[str]:
    """``n`` fatal issues first seen three days ago (urgent, not new), a few users each."""
    three_days = sim.data.now_epoch - int(timedelta(days=3).total_seconds())
    return [
        str(
            sim.data.add_issue(
                project=DEMO_PROJECT, title=f"Error: crash {k}", level="fatal", priority="high",
                count=5, user_count=3, first_seen=three_days, last_seen=sim.data.now_epoch - 60,
            ).id
        )
        for k in range(n)
    ]  # fmt: skip


def test_urgent_verdict_counts_the_whole_bucket_and_says_how_many_it_shows(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given the demo with five more fatal issues: seven likely urgent, more than the top 5
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        added = _add_fatal(sim, 5)
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health", "issue_triage")
    total = DEMO_URGENT + len(added)
    urgent = check(report, "test_likely_urgent")
    # Then the verdict counts all seven and says it lists five, and whose events the commands show
    assert (urgent["status"], urgent["reason"]) == ("PARTIAL", "urgent_issues")
    assert urgent["message"].startswith(
        f"{total} likely urgent issue(s), act today (showing the top 5): "
    ), urgent["message"]
    assert urgent["message"].endswith(
        f"; next commands: the latest event of the first 3 of {total}"
    )
    assert len(urgent["next_commands"]) == 3
    assert (urgent["evidence"]["count"], urgent["evidence"]["shown"]) == (total, 5)
    assert urgent["evidence"]["at_least"] is False
    assert len(urgent["evidence"]["issues"]) == 5
    # And the report's triage section has each bucket's total beside its top 5
    assert report["triage"]["totals"]["urgent"] == {"count": total, "at_least": False, "shown": 5}
    assert len(report["triage"]["buckets"]["urgent"]) == 5
    # And it no longer reads as fewer than prod_health's same-day escalation
    high = check(report, "test_high_severity")
    assert high["status"] == "FAIL"
    assert high["evidence"]["count"] <= urgent["evidence"]["count"]


def test_small_bucket_says_nothing_about_showing(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given the demo with one more fatal issue: three likely urgent, all listed
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        _add_fatal(sim, 1)
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    urgent = check(report, "test_likely_urgent")
    # Then the verdict is as before: no "showing", no note on the next commands
    assert urgent["message"].startswith("3 likely urgent issue(s), act today: ")
    assert "showing" not in urgent["message"]
    assert "next commands:" not in urgent["message"]
    assert (urgent["evidence"]["count"], urgent["evidence"]["shown"]) == (3, 3)


def test_a_pool_short_of_the_backlog_gives_a_lower_bound(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given 260 more unresolved issues, quiet and three days old: more than the candidate pages
    # (100 issues each) hold, so some unresolved issue is on no page triage read
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        three_days = sim.data.now_epoch - int(timedelta(days=3).total_seconds())
        for k in range(260):
            sim.data.add_issue(
                project=DEMO_PROJECT, title=f"Error: quiet {k}", first_seen=three_days,
                last_seen=three_days,
            )  # fmt: skip
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    found = {name: check(report, name) for name in ("test_likely_urgent", "test_recurring_noisy")}
    # Then the urgent and recurring totals are minimums, and say so
    urgent = found["test_likely_urgent"]
    assert urgent["evidence"]["at_least"] is True
    assert urgent["message"].startswith(f"at least {DEMO_URGENT} likely urgent issue(s)")
    assert report["triage"]["totals"]["urgent"]["at_least"] is True
    assert found["test_recurring_noisy"]["evidence"]["at_least"] is True
    # And the new bucket stays exact: the "new since" page held every new issue
    new = check(report, "test_new_since_last_check")
    assert new["evidence"]["at_least"] is False
    assert report["triage"]["totals"]["new"] == {
        "count": new["evidence"]["count"],
        "at_least": False,
        "shown": len(new["evidence"]["issues"]),
    }
