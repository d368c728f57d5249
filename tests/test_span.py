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

from pytest_sentry_gate.fixtures.health import TRIAGE_QUERIES
from tests.conftest import CANARY_TOKEN, demo_target, run_mode

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


def test_level_two_sends_what_triage_waits_for_first_and_no_nested_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import functools
    import importlib
    import queue
    from types import SimpleNamespace

    # (the modules as imported now: another test may have imported the package afresh)
    prefetch = importlib.import_module("pytest_sentry_gate.fixtures.prefetch")
    issues = importlib.import_module("pytest_sentry_gate.sentry.issues")
    release_facts = importlib.import_module("pytest_sentry_gate.sentry.release_facts")

    # Given the second level of a run of prod_health and issue_triage, whose reads are captured
    sent: list[list[Any]] = []
    monkeypatch.setattr(prefetch, "_together", sent.append)
    monkeypatch.setattr(release_facts, "project_id", lambda client, org, project: "42")
    conf = SimpleNamespace(
        stats_period="14d", high_severity_queries=("level:fatal", "level:error"), url_prefix=""
    )
    store_triage = importlib.import_module("pytest_sentry_gate.store.triage")
    ask = functools.partial(issues.query, None, "acme", "42")
    new_since = ("is:unresolved firstSeen:>2026-12-02T00:00:00", {"sort": "new"})
    monkeypatch.setattr(store_triage, "candidates", lambda store: [
        functools.partial(ask, text, "14d", **extra) for text, extra in (new_since, *TRIAGE_QUERIES)
    ])  # fmt: skip
    store = SimpleNamespace(triage=lambda: None)
    go: queue.SimpleQueue[bool] = queue.SimpleQueue()
    go.put(True)
    # When it starts
    prefetch._level_two(go, object(), object(), conf, "acme", "app",
                        {"prod_health", "issue_triage"}, "app@1.0", None, store)  # fmt: skip
    (calls,) = sent

    def reader(call: Any) -> Any:
        while isinstance(call, functools.partial):
            call, args = call.func, call.args
            if call is prefetch.once:
                return args[1]
        return call

    readers = [reader(call) for call in calls]
    # Then the listing goes first, then each high-severity query on its own (the issue details
    # of triage wait for both), and no read gathers reads of its own (a nested group of threads)
    assert readers[:3] == [
        issues.unresolved_listing,
        issues.query_for_server,
        issues.query_for_server,
    ]
    assert issues.queries not in readers
    # and every query prod_health and triage read is still among them, the same texts
    texts = [c.args[-2] for c in calls if reader(c) in (issues.query, issues.query_for_server)]
    assert texts[:2] == [issues.errors_only("level:fatal"), issues.errors_only("level:error")]
    after = 3 + len(TRIAGE_QUERIES)  # the high-severity queries, "new since", TRIAGE_QUERIES
    assert texts[2:after] == [new_since[0], *(text for text, _ in TRIAGE_QUERIES)]
    assert texts[after:] == [
        issues.errors_only('is:unresolved release:"app@1.0"'),
        issues.errors_only('is:unresolved regressed_in_release:"app@1.0"'),
    ]
    # and the store's triage goes right after its candidates (it waits for those in flight, then
    # reads the issue details), not after the rest of the level
    assert calls[1 + after] is store.triage
