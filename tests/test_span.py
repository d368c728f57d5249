"""What keeps verify_loop's reads moving at short latencies (issue 16 item 2), by structure.

A full pass of the garbage collector walks every object of the process (the modules, the
collected session: 40-100 ms in a verify_loop run) while no read goes out; parsing Sentry's
answers allocates enough to start several a run. From the client's start to its teardown the
objects that existed before are left out of those passes (``gc.freeze``), and put back after.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN, NamedReads, demo_target, run_mode

RECORD = """
import gc, json, pathlib

seen = []


def pytest_runtest_call(item):
    seen.append(gc.get_freeze_count())


def pytest_unconfigure(config):
    pathlib.Path("freeze.json").write_text(
        json.dumps({"during": seen, "after": gc.get_freeze_count()})
    )
"""


def test_full_collections_leave_the_session_out_while_the_client_reads(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    # Given the demo's Sentry, and a plugin that notes how many objects the collector leaves
    # out of its passes while each check runs and after the run
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makepyfile(freeze_record=RECORD)
    pytester.syspathinsert()
    # When verify_loop runs
    run_mode(pytester, "verify_loop", *demo_target(sim.url, repo), "-p", "freeze_record")
    found = json.loads((pytester.path / "freeze.json").read_text())
    # Then while its checks ran, what existed when the client started was left out
    assert len(found["during"]) > 10
    assert min(found["during"][1:]) > 10_000, found["during"][:5]
    # And after the run everything is collected as usual again
    assert found["after"] == 0
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("covers", [False, True])
def test_the_simulator_builds_its_answer_within_the_latency_when_asked(covers: bool) -> None:
    import time

    import httpx

    from sentry_simulator import Simulator, seeded

    # Given a simulator with 1 s latency whose routing notes when it starts
    with Simulator(data=seeded(issues=3), latency=1.0, latency_covers_work=covers) as sim:
        routed: list[float] = []
        dispatch = sim._dispatch

        def noting(req: Any) -> Any:
            routed.append(time.monotonic())
            return dispatch(req)

        sim._dispatch = noting  # type: ignore[method-assign]
        # When the root is asked
        started = time.monotonic()
        response = httpx.get(f"{sim.url}/api/0/", timeout=10)
        answered = time.monotonic()

    # Then it answers no sooner than the latency either way
    assert response.status_code == 200
    assert answered - started >= 1.0
    # and the answer was built at once (covers) or only after the latency (by default)
    assert (routed[0] - started < 0.9) is covers


def test_level_two_asks_the_store_for_what_triage_and_incident_wait_for_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib
    import queue

    # (the module as imported now: another test may have imported the package afresh)
    prefetch = importlib.import_module("pytest_sentry_gate.fixtures.prefetch")
    asked: list[str] = []

    # Given the second level of a run, whose reads are captured
    sent: list[list[Any]] = []
    monkeypatch.setattr(prefetch, "_together", sent.append)

    def level_two(modes: set[str], triage: bool) -> list[str]:
        go: queue.SimpleQueue[bool] = queue.SimpleQueue()
        go.put(True)
        prefetch._level_two(go, NamedReads(asked), modes, triage)
        return [call.__name__ for call in sent.pop()]

    # When it starts for prod_health and issue_triage
    names = level_two({"prod_health", "issue_triage"}, triage=True)
    # Then it asks the store: the listing first, then the high-severity queries and triage's
    # candidates (the issue details of triage wait for those), triage itself right after them
    # (it waits for them in flight, not for the rest of the level), then the rest
    assert names == [
        "unresolved",
        "high_severity",
        "triage_candidates",
        "triage",
        "unresolved_count",
        "release_issues",
        "crash_free",
    ]
    # and the project id first, before any of them
    assert asked == ["release_name", "project_id"]
    # When it starts for incident
    names = level_two({"incident"}, triage=False)
    # Then what needs only the project id goes first, then what waits for the incident's events
    assert names == ["incident", "releases", "outcomes", "mitigation", "incident_symbolication"]
