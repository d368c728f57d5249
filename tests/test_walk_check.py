"""Issue 17 item 9 (rest): re-check the walk's missing ids with ``?group=`` before calling them
resolved, and never write a checkpoint from a walk that disagrees with ``X-Hits`` unexplained.

Facts: ``shared/reference/sentry-api.md`` §13 "Paging and counts".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import Fault, Simulator
from sentry_simulator.scenarios import DEMO_PROJECT
from tests.conftest import CANARY_TOKEN, demo_target, run_mode

ISSUES = r"^/api/0/organizations/acme/issues/$"


def verify_loop(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator,
    state: Path,
) -> dict[str, Any]:  # fmt: skip
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    _, report = run_mode(
        pytester, "verify_loop", *demo_target(sim.url, repo), f"--sentry-state-file={state}"
    )
    section: dict[str, Any] = report["verify_loop"]
    return section


def test_an_issue_that_left_the_window_is_not_called_resolved(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator,
    tmp_path: Path,
) -> None:  # fmt: skip
    # Given a checkpoint holding an unresolved issue
    state = tmp_path / "state.json"
    quiet = sim.data.add_issue(project=DEMO_PROJECT, status="unresolved")
    first = verify_loop(pytester, monkeypatch, repo, sim, state)
    assert first["checkpoint_written"], first["note"]
    assert str(quiet.id) in json.loads(state.read_text())["unresolved_ids"]
    # When it stays unresolved but has no event in the 14 days searched (the walk omits it)
    sim.data.update_issue(quiet.id, last_seen=sim.data.now_epoch - 20 * 86400)
    second = verify_loop(pytester, monkeypatch, repo, sim, state)
    # Then ?group= says it is still unresolved: not "resolved since last", kept in the checkpoint
    assert str(quiet.id) not in second["resolved_since_last"]["ids"]
    assert second["still_unresolved_not_walked"] == [str(quiet.id)]
    assert str(quiet.id) in json.loads(state.read_text())["unresolved_ids"]
    rechecks = [r for r in sim.requests if r.query.get("group")]
    assert [r.query["group"] for r in rechecks] == [[str(quiet.id)]]


def test_a_resolved_issue_is_still_called_resolved(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator,
    tmp_path: Path,
) -> None:  # fmt: skip
    state = tmp_path / "state.json"
    gone = sim.data.add_issue(project=DEMO_PROJECT, status="unresolved")
    verify_loop(pytester, monkeypatch, repo, sim, state)
    sim.data.update_issue(gone.id, status="resolved", substatus=None)
    second = verify_loop(pytester, monkeypatch, repo, sim, state)
    assert str(gone.id) in second["resolved_since_last"]["ids"]
    assert second["still_unresolved_not_walked"] == []


def test_a_walk_that_lost_a_page_writes_no_checkpoint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator,
    tmp_path: Path,
) -> None:  # fmt: skip
    # Given 250 unresolved issues, and a second page that comes back empty without a next page
    for _ in range(250):
        sim.data.add_issue(project=DEMO_PROJECT, status="unresolved")
    sim.add_fault(Fault(path=ISSUES, query="cursor=", status=200, body=[]))
    state = tmp_path / "state.json"
    # When verify_loop runs for the first time
    section = verify_loop(pytester, monkeypatch, repo, sim, state)
    # Then the 100 walked ids are not written as the baseline, and the note says why
    assert not section["checkpoint_written"]
    assert not state.exists()
    assert (
        "the unresolved walk listed 100 issue(s) in 2 page(s) but Sentry counts 253"
        in (section["note"])
    )
