"""verify_loop's reads go out in as few waves as their dependencies allow (issue 16 item 2).

The simulator answers every request after ``LATENCY`` seconds and records when each arrived. A
read that waits for another's answer arrives at least one latency after it, so it is in a later
wave; reads sent together are in one wave, whatever pauses (shorter than a latency) the machine
puts between them. The count is the measure (how many answers the run waited for, one after
another), not a wall-clock time.

The longest chain of reads that truly depend on each other is 4 at 100 issues (one listing page):
the project's id, an issue query, the issue's detail, its latest event (``benchmarks/waves.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN, demo_target, run_mode
from tests.test_prefetch import Stamped

LATENCY = 1.0  # wide enough that a busy machine delaying a read by a few hundred ms
# does not push it into the next wave (it was 0.4 s and failed once under load)
CHAIN_BOUND = 4
BACKLOG = 100
DAY = 86400


def _waves(sim: Any) -> list[list[str]]:
    """The requests, wave by wave: a request is in the wave after the latest wave of any request
    that could have been answered before it arrived (no answer comes sooner than ``LATENCY``
    after its request), so its wave counts the answers it may have waited for, one after
    another. Each is shown with its arrival, in latencies since the first."""
    stamped: Stamped = sim.requests
    arrivals = sorted(zip(stamped.times, stamped, strict=True), key=lambda p: p[0])
    levels: list[int] = []
    for t, _ in arrivals:
        before = [lv for (u, _), lv in zip(arrivals, levels, strict=False) if u + LATENCY <= t]
        levels.append(1 + max(before, default=0))
    groups: list[list[str]] = [[] for _ in range(max(levels, default=0))]
    for (t, request), level in zip(arrivals, levels, strict=True):
        query = "".join(f" {k}={v[0]}" for k, v in request.query.items() if k in ("query", "sort"))
        at = (t - arrivals[0][0]) / LATENCY
        groups[level - 1].append(f"+{at:.2f} {request.path.removeprefix('/api/0/')}{query}")
    return groups


def _backlog(sim: Any, size: int) -> None:
    """Unresolved issues of the demo project until it holds ``size`` in the 14-day window (the
    default ``sentry_stats_period``): a third new today, a third of high priority, a third
    long-lived, so that every triage bucket is full (15 issues read in detail)."""
    data = sim.data
    project = data.project("acme", "codictate")
    now = data.now_epoch
    held = [
        i
        for i in data.issues
        if i.project_id == project.id and i.status == "unresolved" and i.last_seen >= now - 14 * DAY
    ]
    kinds = (
        {"first_seen": now - 3600, "last_seen": now - 600},
        {"first_seen": now - 20 * DAY, "last_seen": now - 2 * DAY, "priority": "high"},
        {"first_seen": now - 40 * DAY, "last_seen": now - 2 * DAY},
    )
    for n in range(size - len(held)):
        data.add_issue(
            project="codictate",
            title=f"Error: background failure {n}",
            substatus="ongoing",
            **kinds[n % 3],
        )


def test_verify_loop_reads_in_no_more_waves_than_its_dependencies_allow(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Any, repo: Path
) -> None:
    # Given 100 unresolved issues, and a Sentry that answers each request after 0.4 s
    _backlog(sim, BACKLOG)
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    sim.latency, sim.requests = LATENCY, Stamped()
    # When the whole loop runs
    _, report = run_mode(pytester, "verify_loop", *demo_target(sim.url, repo))
    assert report["verify_loop"]["unresolved_count"] == BACKLOG
    # Then its reads went out in at most 1.5 times the waves of the longest dependency chain
    waves = _waves(sim)
    assert len(waves) <= CHAIN_BOUND * 1.5, _shown(waves)
    # And triage's issue details and latest events all went out in one wave
    detail_waves = [n for n, wave in enumerate(waves) for p in wave if _is_issue_read(p)]
    assert len(set(detail_waves)) == 1, _shown(waves)


def _shown(waves: list[list[str]]) -> str:
    return "\n".join(f"wave {n}: " + "; ".join(wave) for n, wave in enumerate(waves, 1))


def _is_issue_read(path: str) -> bool:
    """An issue's detail or latest event (not a query of the issue list)."""
    return re.search(r"/issues/\d+/", path) is not None
