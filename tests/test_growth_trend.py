"""Issue 18 item 4: growth is judged on the checkpoint's series too, not only the last pair.

``sentry_growth_runs`` (default 5): when the unresolved count rose in each of the last N
verify_loop runs, ``test_volume_growth`` says PARTIAL (unexpected growth) with the series in its
evidence, however small each rise (the last pair's ratio stays under ``sentry_growth_ratio``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import trend
from sentry_simulator.scenarios import demo_data
from tests.test_health import DEMO, NOW, _loop, _sim


def _points(*counts: int | None) -> list[dict[str, Any]]:
    return [trend.point(checked_at=f"2026-01-0{i + 1}T08:00:00+00:00", unresolved=c) for i, c in
            enumerate(counts)]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "latest", "runs", "expected"),
    [
        ((10, 11, 12, 13, 14), 15, 5, [10, 11, 12, 13, 14, 15]),
        ((9, 10, 11, 12, 13, 14), 15, 5, [10, 11, 12, 13, 14, 15]),  # the last six only
        ((10, 11, 12, 13, 14), 14, 5, None),  # the last run did not rise
        ((10, 11, 11, 13, 14), 15, 5, None),  # a flat run ends the streak
        ((10, 11, None, 13, 14), 15, 5, None),  # a run that did not read the count ends it too
        ((11, 12, 13, 14), 15, 5, None),  # too few runs kept yet
        ((14,), 15, 1, [14, 15]),
        ((10, 11, 12, 13, 14), 15, 0, None),  # 0: only the ratio is judged
    ],
)
def test_a_rise_in_each_of_the_last_runs(
    history: tuple[int | None, ...], latest: int, runs: int, expected: list[int] | None
) -> None:
    assert trend.rising(_points(*history), latest, runs) == expected


def _growth(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["id"].endswith("::test_volume_growth"))


def _rising_history(state: Path, steps: int) -> int:
    """Rewrite the checkpoint so that its history rose by one in each of ``steps`` runs up to
    one below the count it holds now; that count."""
    data = json.loads(state.read_text())
    now = data["unresolved_count"]
    data["history"] = _points(*range(now - steps, now))
    data["unresolved_count"] = now - 1
    state.write_text(json.dumps(data))
    return int(now)


def test_unresolved_rising_in_each_of_the_last_runs_is_unexpected_growth(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        # Given a checkpoint whose last five runs each saw one more unresolved issue
        for n in range(10):
            sim.data.add_issue(title=f"Error: steady {n}", level="warning")
        _loop(pytester, sim, state)
        now = _rising_history(state, 5)
        # When verify_loop runs again and sees one more than the last run
        report = _loop(pytester, sim, state)
    # Then growth is PARTIAL though the ratio is far under 1.5, with the series as evidence
    growth = _growth(report)
    assert (growth["status"], growth["reason"]) == ("PARTIAL", "unexpected_growth")
    series = list(range(now - 5, now + 1))
    assert growth["evidence"]["unresolved_series"] == series
    assert growth["evidence"]["growth_runs"] == 5
    assert " -> ".join(map(str, series)) in growth["message"]
    assert "rose in each of the last 5 verify_loop runs" in growth["message"]
    assert growth["evidence"]["ratio"] < 1.2  # (the ratio alone says steady)


def test_the_number_of_runs_is_a_setting(pytester: pytest.Pytester, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        # Given the same five rising runs, and a team that calls a trend only after eight
        for n in range(10):
            sim.data.add_issue(title=f"Error: steady {n}", level="warning")
        _loop(pytester, sim, state)
        _rising_history(state, 5)
        report = _loop(pytester, sim, state, ini="sentry_growth_runs = 8\n")
    # Then the growth check passes: five rises are not a trend for that team
    growth = _growth(report)
    assert growth["status"] == "PASS", growth["message"]
    assert "unresolved_series" not in growth["evidence"]


def test_a_run_count_beyond_the_kept_history_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsentry_growth_runs = 30\n")
    result = pytester.runpytest_inprocess("-m", "prod_health", "--sentry-org=acme")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "sentry_growth_runs" in result.stderr.str()
    assert "at most 29" in result.stderr.str()
