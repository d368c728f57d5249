"""The simulator serves what real Sentry serves to the daily loop (``shared/reference/
sentry-api.md`` §13): each test names the paragraph of §13 whose shape it holds the simulator to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_sentry_gate.sentry import search_compat
from pytest_sentry_gate.sentry.smoke import build_event, envelope
from sentry_simulator import Simulator, TokenSpec, seeded
from sentry_simulator.clock import iso
from sentry_simulator.daily_data import (
    add_monitor_failure,
    add_reappeared,
    add_regression,
)
from sentry_simulator.incident_data import (
    APP_ROUTE,
    CI_PATHS,
    WEBVIEW2_UA,
    add_incident,
    associate_commits,
)
from sentry_simulator.ingest import store_event
from sentry_simulator.legacy import BEFORE_PRIORITY, BEFORE_SUBSTATUS, ESTIMATING
from sentry_simulator.scenarios import DEMO_ORG, DEMO_PROJECT, DEMO_RELEASE
from tests.conftest import CANARY_TOKEN, demo_simulator


@pytest.fixture
def demo(repo: Path) -> Iterator[tuple[Simulator, httpx.Client]]:
    with demo_simulator(repo) as sim:
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        with httpx.Client(base_url=sim.url, headers=headers) as client:
            yield sim, client


def latest_event(client: httpx.Client, issue_id: int) -> dict[str, Any]:
    path = f"/api/0/organizations/{DEMO_ORG}/issues/{issue_id}/events/latest/"
    body: dict[str, Any] = client.get(path).json()
    return body


def test_event_detail_carries_scrub_records_and_the_full_release(
    demo: tuple[Simulator, httpx.Client],
) -> None:
    """§13 "Events": ``_meta`` records what Sentry scrubbed beside the ``[Filtered]`` value, and
    ``release`` is the full object with ``authors[].email`` and ``lastCommit.author.email``."""
    sim, client = demo
    associate_commits(sim.data, DEMO_RELEASE)
    event = add_incident(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE, scrubbed=True)
    body = latest_event(client, event.issue_id)
    request = next(e for e in body["entries"] if e["type"] == "request")
    index = str(body["entries"].index(request))
    assert request["data"]["data"]["password"] == "[Filtered]"
    meta = body["_meta"]["entries"][index]["data"]["data"]["password"][""]
    assert meta["rem"] == [["@password:filter", "s", 0, 10]]
    assert meta["chunks"][0]["rule_id"] == "@password:filter"
    assert body["release"]["version"] == DEMO_RELEASE
    assert "@" in body["release"]["authors"][0]["email"]
    assert "@" in body["release"]["lastCommit"]["author"]["email"]


def test_webview_event_carries_look_alikes(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Events": a WebView2 event's User-Agent (``Chrome/131.0.0.0``), its app route and the
    CI runner paths of its native frames."""
    sim, client = demo
    event = add_incident(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE, look_alikes=True)
    body = latest_event(client, event.issue_id)
    request = next(e for e in body["entries"] if e["type"] == "request")["data"]
    assert ["User-Agent", WEBVIEW2_UA] in request["headers"]
    assert "Chrome/131.0.0.0" in WEBVIEW2_UA
    assert {"key": "transaction", "value": APP_ROUTE} in body["tags"]
    frames = body["entries"][0]["data"]["values"][0]["stacktrace"]["frames"]
    assert [f["absPath"] for f in frames] == list(CI_PATHS)


def test_monitor_failure_is_a_high_priority_cron_issue(
    demo: tuple[Simulator, httpx.Client],
) -> None:
    """§13 "Priority": a cron issue is created HIGH, ``issueCategory: cron``, no release; and
    ``issue.category:error`` leaves it out."""
    sim, client = demo
    monitor = add_monitor_failure(sim.data, project=DEMO_PROJECT)
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"

    def ids(query: str) -> list[str]:
        return [i["id"] for i in client.get(path, params={"query": query}).json()]

    item = next(
        i for i in client.get(path, params={"query": "is:unresolved"}).json()
        if i["id"] == str(monitor.id)
    )  # fmt: skip
    assert (item["issueCategory"], item["issueType"], item["priority"]) == (
        "cron", "monitor_check_in_failure", "high",
    )  # fmt: skip
    assert item["title"].startswith("Monitor failure: ")
    assert str(monitor.id) in ids("is:unresolved issue.priority:high")
    assert str(monitor.id) not in ids("is:unresolved issue.priority:high issue.category:error")
    event = latest_event(client, monitor.id)
    assert event["release"] is None
    assert "release" not in {t["key"] for t in event["tags"]}


def test_regressed_becomes_ongoing_after_seven_days(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Substatus": after 7 days a regression is ``ongoing``; ``is:regressed release:"v"``
    misses it and ``regressed_in_release:"v"`` finds it."""
    sim, client = demo
    old = add_regression(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE,
                         first_release=f"{DEMO_PROJECT}@1.4.0", days_ago=9)  # fmt: skip
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"

    def ids(query: str) -> set[str]:
        return {i["id"] for i in client.get(path, params={"query": query}).json()}

    assert sim.data.issue(str(old.id)).substatus == "ongoing"  # type: ignore[union-attr]
    assert str(old.id) not in ids(f'is:unresolved is:regressed release:"{DEMO_RELEASE}"')
    assert str(old.id) in ids(f'is:unresolved regressed_in_release:"{DEMO_RELEASE}"')


def test_window_fields_and_lifetime(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Window-scoped issue fields": with ``statsPeriod`` an issue quiet for months that came
    back 3 h ago has top-level ``firstSeen`` 3 h ago and window counts; ``lifetime{}`` the rest."""
    sim, client = demo
    old = add_reappeared(sim.data, project=DEMO_PROJECT, release=DEMO_RELEASE, hours_ago=3)
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"
    listed = client.get(path, params={"query": "is:unresolved", "statsPeriod": "14d"}).json()
    item = next(i for i in listed if i["id"] == str(old.id))
    now = sim.data.now_epoch
    assert item["firstSeen"] == iso(now - 3 * 3600)
    assert item["lifetime"]["firstSeen"] == iso(old.first_seen)
    assert (item["count"], item["lifetime"]["count"]) == ("4", "212")
    whole = client.get(path, params={"query": "is:unresolved"}).json()
    assert next(i for i in whole if i["id"] == str(old.id))["firstSeen"] == iso(old.first_seen)


def test_server_without_priority(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Priority": before issue priority, items have no ``priority`` and ``issue.priority:``
    is an unknown tag that matches nothing (no error)."""
    sim, client = demo
    sim.data.set_server(BEFORE_PRIORITY)
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"
    listed = client.get(path, params={"query": "is:unresolved"}).json()
    assert listed
    assert all("priority" not in item for item in listed)
    high = client.get(path, params={"query": "is:unresolved issue.priority:high"})
    assert (high.status_code, high.json()) == (200, [])


def test_server_before_substatus_answers_400(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Priority": older servers answer 400 "Error parsing search query" for an unknown
    ``is:`` value and "Invalid field" for an unknown sessions field."""
    sim, client = demo
    sim.data.set_server(BEFORE_SUBSTATUS)
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"
    bad = client.get(path, params={"query": "is:unresolved is:escalating"})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("Error parsing search query")
    fields = ["crash_free_rate(session)", "crash_free_rate(user)", "sum(session)"]
    sessions = client.get(f"/api/0/organizations/{DEMO_ORG}/sessions/",
                          params={"field": fields, "statsPeriod": "14d"})  # fmt: skip
    assert (sessions.status_code, sessions.json()) == (
        400, {"detail": 'Invalid field: "crash_free_rate(user)"'},
    )  # fmt: skip


# -- the fallbacks themselves (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "adapted"),
    [
        ("is:unresolved issue.priority:high level:[fatal,error]",
         "is:unresolved level:[fatal,error]"),
        ("is:unresolved issue.priority:high", "is:unresolved level:[fatal,error]"),
        ("is:unresolved issue.priority:[high,medium]", "is:unresolved level:[fatal,error,warning]"),
        ("is:unresolved level:fatal", "is:unresolved level:fatal"),
    ],
)  # fmt: skip
def test_priority_falls_back_to_levels(query: str, adapted: str) -> None:
    assert search_compat.without_priority(query)[0] == adapted


def test_unsupported_terms_and_their_fallbacks() -> None:
    query = 'is:unresolved regressed_in_release:"app@1 2" issue.category:error'
    assert search_compat.optional_terms(query) == [
        "issue.category:error", 'regressed_in_release:"app@1 2"',
    ]  # fmt: skip
    assert (
        search_compat.fallback('regressed_in_release:"app@1 2"') == 'is:regressed release:"app@1 2"'
    )
    assert search_compat.fallback("issue.category:error") == ""
    assert search_compat.fallback("is:escalating") is None
    assert search_compat.replace(query, "issue.category:error", "") == (
        'is:unresolved regressed_in_release:"app@1 2"'
    )


def test_longer_window_is_shortened_to_90_days(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Retention": a ``statsPeriod`` beyond 90 days is shortened without a word."""
    sim, client = demo
    now = sim.data.now_epoch
    old = sim.data.add_issue(project=DEMO_PROJECT, first_seen=now - 120 * 86400,
                             last_seen=now - 100 * 86400)  # fmt: skip
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"
    listed = client.get(path, params={"query": "is:unresolved", "statsPeriod": "180d"})
    assert listed.status_code == 200
    assert str(old.id) not in {i["id"] for i in listed.json()}


def test_x_hits_beyond_one_page_is_an_estimate() -> None:
    """§13 "Paging and counts": past one page ``X-Hits`` is a sample estimate (937 for 1,003),
    below ``X-Max-Hits``; on a single page it is the count."""
    data = seeded(issues=1003)
    data.set_server(ESTIMATING)
    with Simulator(data=data) as sim:
        sim.add_token(CANARY_TOKEN, TokenSpec())
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        path = f"{sim.url}/api/0/organizations/acme/issues/"
        many = httpx.get(path, params={"query": "is:unresolved", "limit": 100}, headers=headers)
        few = httpx.get(path, params={"query": "is:unresolved level:fatal", "limit": 100},
                        headers=headers)  # fmt: skip
    unresolved = sum(1 for i in data.issues if i.status == "unresolved")
    assert unresolved == 1003
    assert many.headers["X-Hits"] == "937"
    assert 'rel="next"; results="true"' in many.headers["Link"]
    assert 'rel="next"; results="false"' in few.headers["Link"]
    assert few.headers["X-Hits"] == str(len(few.json()))


def test_sessions_of_a_thin_release(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Sessions": a release with a handful of sessions has a rate like any other."""
    sim, client = demo
    sim.data.set_release_health(
        DEMO_RELEASE, DEMO_PROJECT, total_sessions=7, total_users=3, sessions_crashed=0,
        sessions_errored=0, crash_free_sessions=100.0, crash_free_users=100.0,
    )  # fmt: skip
    fields = ["crash_free_rate(session)", "sum(session)"]
    body = client.get(f"/api/0/organizations/{DEMO_ORG}/sessions/",
                      params={"field": fields, "query": f'release:"{DEMO_RELEASE}"',
                              "statsPeriod": "14d"}).json()  # fmt: skip
    assert body["groups"][0]["totals"] == {"crash_free_rate(session)": 1.0, "sum(session)": 7}


def smoke_payload(event_id: str, now: float) -> dict[str, Any]:
    return build_event(release=DEMO_RELEASE, environment="production", event_id=event_id, now=now)


def test_smoke_issue_is_high_regresses_and_can_be_discarded(
    demo: tuple[Simulator, httpx.Client],
) -> None:
    """§13 "Priority" and "Ingestion answers": an error without a severity score is HIGH; an event
    of a resolved issue regresses it; after "Delete & Discard" events are accepted and dropped."""
    sim, client = demo
    pid = next(p.id for p in sim.data.projects.values() if p.slug == DEMO_PROJECT)
    now = sim.data.now_epoch
    store_event(sim.data, pid, smoke_payload("a" * 32, now), "a" * 32)
    issue = next(i for i in sim.data.issues if i.logger == "sentry-gate")
    assert (issue.priority, issue.level, issue.substatus) == ("high", "error", "new")
    sim.data.update_issue(issue.id, status="resolved", substatus=None)
    store_event(sim.data, pid, smoke_payload("b" * 32, now), "b" * 32)
    again = sim.data.issue(str(issue.id))
    assert again is not None
    assert (again.status, again.substatus) == ("unresolved", "regressed")
    sim.data.discard(issue.id)
    key = next(k for k in sim.data.keys if k.project_id == pid and k.is_active)
    body = envelope(smoke_payload("c" * 32, now), now)
    answer = client.post(f"/api/{pid}/envelope/", content=body,
                         headers={"X-Sentry-Auth": f"Sentry sentry_key={key.public}"})  # fmt: skip
    assert (answer.status_code, answer.json()) == (200, {"id": "c" * 32})
    assert "c" * 32 not in sim.data.events
    assert all(i.logger != "sentry-gate" for i in sim.data.issues)


def test_key_dsn_uses_the_current_ingest_host(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Keys and hosts": a key's ``dsn.public`` names ``o<org>.ingest.us.sentry.io``."""
    sim, client = demo
    pid = next(p.id for p in sim.data.projects.values() if p.slug == DEMO_PROJECT)
    key = next(k for k in sim.data.keys if k.project_id == pid)
    key.ingest_host = "o1.ingest.us.sentry.io"
    keys = client.get(f"/api/0/projects/{DEMO_ORG}/{DEMO_PROJECT}/keys/").json()
    assert keys[0]["dsn"]["public"] == f"https://{key.public}@o1.ingest.us.sentry.io/{pid}"


def test_group_ids_ignore_query_and_window(demo: tuple[Simulator, httpx.Client]) -> None:
    """§13 "Paging and counts": ``?group=<id>`` returns those issues whatever the query/window."""
    sim, client = demo
    now = sim.data.now_epoch
    old = sim.data.add_issue(project=DEMO_PROJECT, status="resolved", first_seen=now - 80 * 86400,
                             last_seen=now - 60 * 86400)  # fmt: skip
    path = f"/api/0/organizations/{DEMO_ORG}/issues/"
    found = client.get(path, params={"group": str(old.id), "query": "is:unresolved",
                                     "statsPeriod": "24h"}).json()  # fmt: skip
    assert [(i["id"], i["status"]) for i in found] == [(str(old.id), "resolved")]
