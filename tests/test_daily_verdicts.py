"""prod_health, issue_triage and incident verdicts on what real Sentry serves (``shared/
reference/sentry-api.md`` §13): one test per situation of issue 17, each failing before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import seeded
from sentry_simulator.daily_data import (
    add_monitor_failure,
    add_reappeared,
    add_regression,
)
from sentry_simulator.legacy import BEFORE_PRIORITY, BEFORE_SUBSTATUS, ESTIMATING
from sentry_simulator.scenarios import DEMO_PROJECT, DEMO_RELEASE, demo_data
from tests.conftest import check, demo_simulator
from tests.test_health import DEMO, NOW, _loop, _sim
from tests.test_incident import only_incident, run_incident
from tests.test_settings import usage_error


def checks_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"].split("::")[1]: c for c in report["checks"]}


# -- 12: not every issue is an error ------------------------------------------------------------


def test_monitor_failure_is_not_a_high_severity_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a healthy demo and a cron monitor's missed check-in (HIGH priority, no release)
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        add_monitor_failure(sim.data, project=DEMO_PROJECT)
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    # Then prod_health does not escalate it as an error, and says its queries are error-only
    high = checks_of(report)["test_high_severity"]
    assert high["status"] == "PASS", high["message"]
    assert all("issue.category:error" in q["query"] for q in high["evidence"]["queries"])


def test_monitor_failure_is_not_sampled_by_incident(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a tagged, scrubbed incident issue and a monitor failure (its event has no release)
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, scrubbed=True)
        monitor = add_monitor_failure(sim.data, project=DEMO_PROJECT)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then the tag check judges the error issue only and passes
    tagged = check(report, "test_affected_events_tagged")
    assert tagged["status"] == "PASS", tagged["message"]
    assert sim.data.short_id(monitor) not in tagged["evidence"]["issues"]
    assert "issue.category:error" in tagged["evidence"]["query"]


# -- 11: regressions older than 7 days ------------------------------------------------------------


def test_release_regressions_are_the_ones_that_regressed_in_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given the release under check out for 10 days: an issue that regressed in it 9 days ago
    # (now "ongoing"), and one that regressed in the previous release 3 days ago and has events
    # in this one too
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        sim.data.releases[DEMO_RELEASE].date_created = sim.data.now_epoch - 10 * 86400
        mine = add_regression(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE,
                              first_release=f"{DEMO_PROJECT}@1.4.0", days_ago=9)  # fmt: skip
        older = add_regression(sim.data, project=DEMO_PROJECT, release=f"{DEMO_PROJECT}@1.4.1",
                               first_release=f"{DEMO_PROJECT}@1.3.9", days_ago=3,
                               title="Error: older regression")  # fmt: skip
        sim.data.add_event(older.id, date=sim.data.now_epoch - 7200, release=DEMO_RELEASE)
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    # Then the release's regressions are exactly the one that regressed in it
    found = checks_of(report)["test_release_issues"]
    assert [i["id"] for i in found["evidence"]["regressions"]] == [str(mine.id)]
    assert (found["status"], found["reason"]) == ("PARTIAL", "release_regressions")
    assert f'regressed_in_release:"{DEMO_RELEASE}"' in found["evidence"]["regressed"]["query"]


# -- 8: window values and lifetime --------------------------------------------------------------


def test_old_fatal_issue_back_today_is_urgent_not_new(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a fatal issue first seen 120 days ago that came back 3 h ago, and a new fatal issue
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        old = add_reappeared(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE)
        new = sim.data.add_issue(project=DEMO_PROJECT, title="Error: new crash", level="fatal",
                                 priority="high", first_seen=sim.data.now_epoch - 3600,
                                 last_seen=sim.data.now_epoch - 60)  # fmt: skip
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
    found = checks_of(report)
    new_ids = [h["id"] for h in found["test_new_since_last_check"]["evidence"]["issues"]]
    urgent = found["test_likely_urgent"]
    urgent_ids = [h["id"] for h in urgent["evidence"]["issues"]]
    # Then the old issue is urgent and not new; the new fatal issue is both new and urgent
    assert str(old.id) not in new_ids
    assert str(new.id) in new_ids
    assert {str(old.id), str(new.id)} <= set(urgent_ids)
    assert (urgent["status"], urgent["reason"]) == ("PARTIAL", "urgent_issues")


# -- 13: servers without issue priority ----------------------------------------------------------


def test_incident_on_a_server_without_priority_falls_back_to_levels(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    # Given a self-hosted Sentry from before issue priority, with the demo's incident issue
    with demo_simulator(repo) as sim:
        sim.data.set_server(BEFORE_PRIORITY)
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then incident samples it by level, and says the query was changed
    tagged = check(report, "test_affected_events_tagged")
    assert tagged["evidence"]["issues"], tagged["message"]
    assert "level:[fatal,error]" in tagged["evidence"]["query"]
    assert "issue.priority" not in tagged["evidence"]["query"]
    assert any("no issue priority" in r for r in tagged["risks"])
    assert check(report, "test_events_scrubbed")["status"] == "FAIL"  # the demo's planted email


def test_prod_health_on_a_server_without_priority_counts_error_issues(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a server without priority and the demo's incident (an error-level issue)
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        sim.data.set_server(BEFORE_PRIORITY)
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    high = checks_of(report)["test_high_severity"]
    assert (high["status"], high["reason"]) == ("FAIL", "high_severity")
    assert any("no issue priority" in r for r in high["risks"])


# -- 14: queries a server does not support ------------------------------------------------------


def test_unsupported_term_is_partial_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a server from before substatus and a high-severity query with is:escalating
    ini = "sentry_high_severity_queries =\n    is:unresolved level:fatal\n    is:escalating\n"
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        sim.data.set_server(BEFORE_SUBSTATUS)
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health or issue_triage", ini=ini)
    found = checks_of(report)
    high = found["test_high_severity"]
    # Then the check says which term this Sentry does not support and what it did instead
    assert (high["status"], high["reason"]) == ("PARTIAL", "query_unsupported")
    assert (
        "this Sentry does not support is:escalating: this query is not counted" in high["message"]
    )
    # And the crash-free check names the sessions field it could not ask for
    crash = found["test_crash_free_rate"]
    assert (crash["status"], crash["reason"]) == ("PARTIAL", "query_unsupported")
    assert "does not support crash_free_rate(user)" in crash["message"]
    # And triage still runs (its candidate queries fall back), no server_error anywhere
    assert all(c.get("reason") != "server_error" for c in found.values())
    assert found["test_likely_urgent"]["status"] in ("PASS", "PARTIAL")


# -- 15: retention --------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["91d", "13w", "2200h"])
def test_window_beyond_90_days_is_a_usage_error(pytester: pytest.Pytester, period: str) -> None:
    pytester.makeini(f"[pytest]\nsentry_stats_period = {period}\n")
    err = usage_error(pytester)
    assert (
        f"ERROR: Invalid time window '{period}' from sentry_stats_period in tox.ini: at most 90d"
    ) in err


def test_window_of_90_days_is_accepted(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsentry_stats_period = 90d\n")
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_nothing.py")
    assert result.ret == 0


# -- 10: X-Hits is an estimate -------------------------------------------------------------------


def test_count_beyond_one_page_says_about(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given hundreds of unresolved issues and a Sentry that estimates X-Hits past one page
    data = seeded(issues=1003, now=NOW)
    data.set_server(ESTIMATING)
    pid = next(p.id for p in data.projects.values() if p.slug == DEMO_PROJECT)
    since = data.now_epoch - 14 * 86400
    listed = [
        i for i in data.issues
        if i.status == "unresolved" and i.project_id == pid and i.last_seen >= since
    ]  # fmt: skip
    with _sim(data) as sim:
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    count = checks_of(report)["test_unresolved_count"]
    # Then the count is called an estimate, never exact
    assert len(listed) > 100
    assert count["evidence"]["exact"] is False
    assert count["message"].startswith(f"about {int(len(listed) * 0.935)} unresolved issues")
    assert "x-hits estimate" in count["message"]


def test_count_of_one_page_is_exact(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = seeded(issues=40, now=NOW)
    data.set_server(ESTIMATING)
    with _sim(data) as sim:
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    count = checks_of(report)["test_unresolved_count"]
    assert count["evidence"]["exact"] is True
    assert count["message"].endswith("x-hits)")


# -- Also: thin data is not health ----------------------------------------------------------------


def test_crash_free_over_a_handful_of_sessions_is_not_judged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given the release under check with 7 sessions, none crashed (a 100% rate)
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        sim.data.set_release_health(
            DEMO_RELEASE, DEMO_PROJECT, total_sessions=7, total_users=3, sessions_crashed=0,
            sessions_errored=0, crash_free_sessions=100.0, crash_free_users=100.0,
        )  # fmt: skip
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health")
    crash = checks_of(report)["test_crash_free_rate"]
    # Then the check says there are not enough sessions, never PASS
    assert (crash["status"], crash["reason"]) == ("PARTIAL", "not_enough_sessions")
    assert crash["message"].startswith("not enough sessions: 7 session(s) of codictate@1.4.2")


# -- 7: the smoke event is the tool's own ---------------------------------------------------------


def test_the_tools_own_smoke_issue_is_left_out(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pytest_sentry_gate.sentry.smoke import build_event
    from sentry_simulator.ingest import store_event

    # Given a healthy demo where an earlier local_smoke run left its event (a HIGH error issue)
    with _sim(demo_data(DEMO, now=NOW, incident_story=False)) as sim:
        pid = next(p.id for p in sim.data.projects.values() if p.slug == DEMO_PROJECT)
        event = build_event(release=DEMO_RELEASE, environment="production", event_id="d" * 32,
                            now=sim.data.now_epoch - 600)  # fmt: skip
        store_event(sim.data, pid, event, "d" * 32)
        own = next(i for i in sim.data.issues if i.logger == "sentry-gate")
        report = _loop(pytester, sim, tmp_path / "s.json", "prod_health or issue_triage")
    found = checks_of(report)
    # Then prod_health does not escalate it and says it was left out; triage does not list it
    high = found["test_high_severity"]
    assert high["status"] == "PASS", high["message"]
    assert any(sim.data.short_id(own) in r for r in high["risks"])
    listed = [h["id"] for c in found.values() for h in c["evidence"].get("issues", [])
              if isinstance(h, dict)]  # fmt: skip
    assert str(own.id) not in listed


# -- 4: DSN host aliases ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_host", "dsn_host", "status"),
    [
        ("o1.ingest.us.sentry.io", "o1.ingest.sentry.io", "PASS"),
        ("o1.ingest.us.sentry.io", "sentry.io", "PASS"),
        ("o1.ingest.de.sentry.io", "o1.ingest.sentry.io", "FAIL"),
        ("o1.ingest.us.sentry.io", "o2.ingest.sentry.io", "FAIL"),
    ],
)
def test_dsn_on_an_older_host_alias(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path,
    key_host: str, dsn_host: str, status: str,
) -> None:  # fmt: skip
    # Given the project's key on Sentry's current ingest host and the app's DSN on another host
    with demo_simulator(repo) as sim:
        only_incident(sim.data, release=DEMO_RELEASE, scrubbed=True)
        pid = next(p.id for p in sim.data.projects.values() if p.slug == DEMO_PROJECT)
        key = next(k for k in sim.data.keys if k.project_id == pid)
        key.ingest_host = key_host
        monkeypatch.setattr(
            "tests.test_incident.demo_dsn", lambda _sim: f"https://{key.public}@{dsn_host}/{pid}"
        )
        _, report = run_incident(pytester, monkeypatch, repo, sim)
    # Then an alias of the same region passes with a risk; another region or org fails
    ingestion = check(report, "test_ingestion_healthy")
    assert ingestion["status"] == status, ingestion["message"]
    if status == "PASS":
        assert any("older alias" in r for r in ingestion["risks"])


# -- 9 (part): the id walk must not lose issues ----------------------------------------------------


def test_issue_with_an_event_during_the_walk_is_still_listed() -> None:
    from pytest_sentry_gate.sentry.client import SentryClient
    from pytest_sentry_gate.sentry.issues import unresolved_listing
    from tests.conftest import CANARY_TOKEN

    # Given 250 unresolved issues, and one on the last page that gets an event after page 1
    data = seeded(issues=250, now=NOW)
    with _sim(data) as sim, SentryClient(base_url=sim.url, token=CANARY_TOKEN) as client:
        pid = str(next(iter(sim.data.projects)))
        oldest = min((i for i in sim.data.issues if i.status == "unresolved"
                      and str(i.project_id) == pid), key=lambda i: (i.last_seen, i.id))  # fmt: skip
        receive, calls = client._receive, []

        def event_after_first_page(path: str, pairs: Any) -> Any:
            calls.append(path)
            if len(calls) == 2:  # between page 1 and page 2
                sim.data.update_issue(oldest.id, last_seen=sim.data.now_epoch)
            return receive(path, pairs)

        client._receive = event_after_first_page  # type: ignore[method-assign]
        listing = unresolved_listing(client, "acme", pid, "90d")
        expected = {str(i.id) for i in sim.data.issues
                    if i.status == "unresolved" and str(i.project_id) == pid}  # fmt: skip
    # Then the walk (in first-seen order) still holds it: nothing is "resolved" by paging
    assert len(calls) == 3
    assert str(oldest.id) in listing.ids
    assert listing.ids == expected
