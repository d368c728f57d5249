"""issue_triage counts each bucket whole: its verdict says how many issues the bucket holds and
how many it lists (the top ``sentry_triage_top``), so that an agent sent from prod_health's
"escalate same day" loses no issue to the top-N cut."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import triage
from pytest_sentry_gate.modes import issue_triage as messages
from pytest_sentry_gate.store import triage as store_triage
from sentry_simulator import Fault
from sentry_simulator.scenarios import DEMO_PROJECT, demo_data
from tests.conftest import check
from tests.test_health import DEMO, NOW, _loop, _sim

#: The demo's health story holds two likely urgent issues (CODICTATE-6 and CODICTATE-7).
DEMO_URGENT = 2
UNHANDLED = "is:unresolved error.unhandled:true"
ISSUES = r"^/api/0/organizations/acme/issues/$"


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


def _add_quiet(sim: Any, n: int, **fields: Any) -> None:
    """``n`` issues of one user and one event, three days old: in no bucket (the simulator's
    issues are unhandled unless ``is_unhandled=False``)."""
    three_days = sim.data.now_epoch - int(timedelta(days=3).total_seconds())
    for k in range(n):
        sim.data.add_issue(
            project=DEMO_PROJECT, title=f"Error: quiet {k}", first_seen=three_days,
            last_seen=three_days, **fields,
        )  # fmt: skip


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
    # (unhandled, so the unhandled issues' page holds 100 of them, not all)
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        _add_quiet(sim, 260)
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    found = {name: check(report, name) for name in ("test_likely_urgent", "test_recurring_noisy")}
    # Then the urgent and recurring totals are minimums, and say why
    urgent = found["test_likely_urgent"]
    assert urgent["evidence"]["at_least"] is True
    assert urgent["message"].startswith(f"at least {DEMO_URGENT} likely urgent issue(s)")
    assert urgent["evidence"]["at_least_because"] == [
        triage.MORE_THAN_A_PAGE.format(query=UNHANDLED, read=100)
    ]
    assert report["triage"]["totals"]["urgent"]["at_least"] is True
    recurring = found["test_recurring_noisy"]["evidence"]
    assert recurring["at_least"] is True
    (why,) = recurring["at_least_because"]
    held, walked = map(int, re.findall(r"\d+", why))
    assert why == store_triage.SHORT.format(read=held, walked=walked)
    assert held == recurring["read"] < 260 < walked
    # And the new bucket stays exact: the "new since" page held every new issue
    new = check(report, "test_new_since_last_check")
    assert new["evidence"]["at_least"] is False
    assert report["triage"]["totals"]["new"] == {
        "count": new["evidence"]["count"],
        "at_least": False,
        "shown": len(new["evidence"]["issues"]),
    }


def test_urgent_count_is_exact_when_its_own_pages_were_complete(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given 260 more unresolved issues, quiet and handled: the backlog is beyond the candidate
    # pages, but each urgent query (fatal, high priority, escalating, regressed, unhandled) has
    # one page that holds all its issues
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        _add_quiet(sim, 260, is_unhandled=False)
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    urgent = check(report, "test_likely_urgent")
    recurring = check(report, "test_recurring_noisy")
    # Then the urgent count is exact, while the recurring one stays a minimum
    assert (urgent["status"], urgent["reason"]) == ("PARTIAL", "urgent_issues")
    assert urgent["message"].startswith(f"{DEMO_URGENT} likely urgent issue(s), act today: ")
    assert urgent["evidence"]["at_least"] is False
    assert "at_least_because" not in urgent["evidence"]
    assert report["triage"]["totals"]["urgent"]["at_least"] is False
    assert recurring["evidence"]["at_least"] is True
    assert report["triage"]["totals"]["recurring"]["at_least"] is True


def test_no_urgent_issue_among_those_read_is_partial_when_some_were_not_read(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given the demo without its health story (no likely urgent issue) and 150 more unhandled
    # issues: the unhandled issues' page holds 100 of them, so one with 10+ users may be unread
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        _add_quiet(sim, 150)
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    urgent = check(report, "test_likely_urgent")
    # Then the check does not say "no likely urgent issue": it is undecided, and says why
    assert (urgent["status"], urgent["reason"]) == ("PARTIAL", "urgent_not_all_read")
    why = triage.MORE_THAN_A_PAGE.format(query=UNHANDLED, read=100)
    read = urgent["evidence"]["read"]
    assert urgent["message"] == messages.NONE_AMONG.format(read=read, why=why)
    assert 100 <= read < 150
    assert (urgent["evidence"]["count"], urgent["evidence"]["at_least"]) == (0, True)
    assert urgent["fixes"] == [messages.UNREAD_FIX]


def test_no_urgent_issue_is_a_pass_when_every_candidate_was_read(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given the demo without its health story: no likely urgent issue, every issue on a page
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    urgent = check(report, "test_likely_urgent")
    # Then it passes as before
    assert (urgent["status"], urgent["message"]) == ("PASS", "no likely urgent issue")
    assert urgent["evidence"]["at_least"] is False


@pytest.mark.parametrize("mode", ["issue_triage", "verify_loop"])
def test_a_walk_that_lost_issues_leaves_every_count_a_minimum(
    pytester: pytest.Pytester, tmp_path: Path, mode: str
) -> None:
    # Given 250 more unresolved issues, and a walk whose second page comes back empty without a
    # next page: the pages read hold every walked issue, but the walk holds 100 of Sentry's 255
    # (alone or under verify_loop, which re-checks the walk against its checkpoint first)
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        _add_quiet(sim, 250, is_unhandled=False)
        sim.add_fault(Fault(path=ISSUES, query="cursor=", status=200, body=[]))
        report = _loop(pytester, sim, tmp_path / "s.json", mode)
    found = {name: check(report, name) for name in ("test_likely_urgent", "test_recurring_noisy")}
    # Then no bucket claims an exact count: the walk's disagreement with X-Hits is the reason
    for result in found.values():
        assert result["evidence"]["at_least"] is True, result["message"]
        (why,) = result["evidence"]["at_least_because"]
        assert why.startswith("the unresolved walk listed 100 issue(s) in 2 page(s)"), why
    assert all(t["at_least"] for t in report["triage"]["totals"].values())


def test_the_triage_section_is_whole_after_one_triage_check_and_absent_without_the_mode(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """docs/agent-report.md, "`triage`: when it is there"."""
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        # Given a run of one triage check, and a run of prod_health alone
        one = _loop(
            pytester, sim, tmp_path / "s.json", "issue_triage", ini="addopts = -k recurring\n"
        )
        health = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    # Then one triage check gives the whole section: every bucket and its total
    assert [c["id"].rpartition("::")[2] for c in one["checks"]] == ["test_recurring_noisy"]
    assert list(one["triage"]) == ["untrusted_text", "buckets", "totals"]
    assert list(one["triage"]["buckets"]) == list(triage.BUCKETS)
    assert list(one["triage"]["totals"]) == list(triage.BUCKETS)
    assert one["triage"]["totals"]["urgent"]["count"] == DEMO_URGENT
    assert len(one["triage"]["buckets"]["urgent"]) == DEMO_URGENT
    # And a run whose -m does not select issue_triage has no triage section at all
    assert {c["mode"] for c in health["checks"]} == {"prod_health"}
    assert "triage" not in health
