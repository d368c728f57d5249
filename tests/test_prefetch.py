"""Independent Sentry reads go out together (issue 16 item 2), asserted by structure, not by time.

The simulator answers every request after ``LATENCY`` seconds and records when each arrived. A
serial run sends a read only after the previous answer came back, so its arrivals are at least one
latency apart; reads that go out together arrive within a fraction of it.
"""

from __future__ import annotations

import json
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
