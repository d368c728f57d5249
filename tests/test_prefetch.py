"""Independent Sentry reads go out together (issue 16 item 2), asserted by structure, not by time.

The simulator answers every request after ``LATENCY`` seconds and records when each arrived. A
serial run sends a read only after the previous answer came back, so its arrivals are at least one
latency apart; reads that go out together arrive within a fraction of it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN, demo_target, run_mode

LATENCY = 0.4


class Stamped(list[Any]):
    """The simulator's request record, with each request's arrival time beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.monotonic())
        super().append(item)


#: A plugin noting when each check starts (the simulator runs in this process: same clock).
CHECK_STARTS = """
import json, time
from pathlib import Path

STARTS = []

def pytest_runtest_call(item):
    STARTS.append(time.monotonic())

def pytest_sessionfinish(session):
    Path("check_starts.json").write_text(json.dumps(STARTS))
"""


def _arrivals(sim: Any) -> list[tuple[float, Any]]:
    stamped: Stamped = sim.requests
    return sorted(zip(stamped.times, stamped, strict=True), key=lambda pair: pair[0])


def _most_in_flight(times: list[float]) -> int:
    """The most requests that arrived within one half latency: all of them were in flight
    together (each is answered no sooner than ``LATENCY`` after it arrived)."""
    return max(sum(1 for t in times if start <= t < start + LATENCY / 2) for start in times)


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path,
         mode: str) -> list[tuple[float, Any]]:  # fmt: skip
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    sim.latency, sim.requests = LATENCY, Stamped()
    run_mode(pytester, mode, *demo_target(sim.url, repo))
    return _arrivals(sim)


def test_verify_loop_sends_independent_reads_together(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    # Given the demo's Sentry answering each request after 0.4 s
    # When the whole loop runs
    arrivals = _run(pytester, monkeypatch, sim, repo, "verify_loop")
    # Then the reads that need only the slugs (organization, project, its keys) went out together
    first = {req.path: t for t, req in reversed(arrivals)}
    slugs = [first["/api/0/organizations/acme/"], first["/api/0/projects/acme/codictate/"],
             first["/api/0/projects/acme/codictate/keys/"]]  # fmt: skip
    assert max(slugs) - min(slugs) < LATENCY / 2
    # And the reads that need the project id went out many at once
    times = [t for t, _ in arrivals]
    assert _most_in_flight(times) >= 8
    # And the run took few waves: at most the dependency chain (4) and a few local pauses
    waves, start = 0, -1e9
    for t in times:
        if t - start > LATENCY / 2:
            waves, start = waves + 1, t
    assert waves <= 10, [(round(t - times[0], 2), r.path) for t, r in arrivals]


def test_prod_health_starts_no_reads_of_other_modes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    # Given the demo's Sentry
    # When only prod_health runs
    arrivals = _run(pytester, monkeypatch, sim, repo, "prod_health")
    # Then nothing of the release gate (releases, uploads) or of triage (its candidate queries,
    # issue details, latest events) was read
    paths = [req.path for _, req in arrivals]
    queries = [q for _, req in arrivals for q in req.query.get("query", [])]
    assert not [p for p in paths if "/releases/" in p or "artifact" in p or "/keys/" in p]
    assert not [p for p in paths if "/issues/" in p and not p.endswith("/issues/")]
    assert not [q for q in queries if "is:regressed" in q or "firstSeen" in q]


def test_the_checks_start_once_the_reads_are_in(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    # Given the demo's Sentry answering each request after 0.4 s, and a plugin noting when each
    # check starts
    pytester.makepyfile(check_starts=CHECK_STARTS)
    pytester.syspathinsert()
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    sim.latency, sim.requests = LATENCY, Stamped()
    # When the whole loop runs
    run_mode(pytester, "verify_loop", *demo_target(sim.url, repo), "-p", "check_starts")
    starts = json.loads((pytester.path / "check_starts.json").read_text())
    arrivals = _arrivals(sim)
    # Then the first check after the client opened started only once triage's issue details
    # (the third level) had gone out: the reads did not share the interpreter with the checks
    after_open = min(t for t in starts if t > arrivals[0][0])
    details = [t for t, req in arrivals if "/issues/4" in req.path]
    assert details
    assert max(details) < after_open, [(round(t - after_open, 2), r.path) for t, r in arrivals]


def test_issue_triage_alone_sends_its_reads_without_waiting_for_the_head_start(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    from pytest_sentry_gate.fixtures.prefetch import HEAD_START_S

    # Given the demo's Sentry answering each request after 0.4 s
    # When only issue_triage runs (its client is opened by a fact of the store, under its lock)
    arrivals = _run(pytester, monkeypatch, sim, repo, "issue_triage")
    # Then its project-wide reads went out about one round trip after the project's, not after
    # the head start ran out (a level-2 read waiting for a lock the opening thread held)
    project = min(t for t, req in arrivals if req.path == "/api/0/projects/acme/codictate/")
    issues = min(t for t, req in arrivals if req.path == "/api/0/organizations/acme/issues/")
    assert issues - project < HEAD_START_S, [(round(t - project, 2), r.path) for t, r in arrivals]


def test_the_prefetch_and_the_fixtures_read_the_listing_through_the_stores_memo(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    from sentry_simulator import Fault
    from tests.test_waves import _backlog

    # Given 150 unresolved issues (two listing pages) and a second page that is never readable
    _backlog(sim, 150)
    sim.add_fault(Fault(path=r"/organizations/acme/issues/$", query="cursor=", malformed=True))
    # When issue_triage runs (the prefetch walks the listing, then its fixture asks for it)
    arrivals = _run(pytester, monkeypatch, sim, repo, "issue_triage")
    # Then the second page was asked for once: the fixture met the failure the prefetch's read
    # left in the store, it did not walk the listing again
    pages = [req.query["cursor"][0] for _, req in arrivals if "cursor" in req.query]
    assert len(pages) == len(set(pages)) == 1, pages


class Held(list[Any]):
    """The simulator's request record, holding back each request that ``awaited`` names until
    every one of them has arrived (``HOLD_S`` at most). Those held at once were in flight
    together: each went out before any other was answered, however fast the machine is."""

    HOLD_S = 5.0

    def __init__(self, awaited: dict[str, Any]) -> None:
        super().__init__()
        self.awaited = awaited
        self.arrived: set[str] = set()
        self.held = self.most_held = 0
        self._lock = threading.Lock()
        self._all_in = threading.Event()

    def append(self, item: Any) -> None:
        super().append(item)
        name = next((n for n, match in self.awaited.items() if match(item)), None)
        if name is None:
            return
        with self._lock:
            self.arrived.add(name)
            self.held += 1
            self.most_held = max(self.most_held, self.held)
            if self.arrived == set(self.awaited):
                self._all_in.set()
        self._all_in.wait(self.HOLD_S)
        with self._lock:
            self.held -= 1


def test_incident_sends_what_needs_only_the_project_id_together(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    # Given the demo's Sentry, holding back incident's reads that need only the project id
    # until all of them have arrived
    held = Held({
        "high-severity query": lambda r: "issue.priority:high" in r.query.get("query", [""])[0],
        "releases": lambda r: r.path == "/api/0/organizations/acme/releases/",
        "outcomes": lambda r: r.path == "/api/0/organizations/acme/stats_v2/",
    })  # fmt: skip
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    sim.requests = held
    # When the incident mode runs (with time to spare for a held read)
    run_mode(pytester, "incident", *demo_target(sim.url, repo), ini="sentry_http_timeout = 20\n")
    # Then all three were in flight at once (one after another, one at a time is held)
    assert held.most_held == 3, [(r.path, r.query.get("query")) for r in held]
    # and each was read once, the checks' fixtures finding them in the store
    assert sum(1 for r in held if r.path.endswith(("/releases/", "/stats_v2/"))) == 2
