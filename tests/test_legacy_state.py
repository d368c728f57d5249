"""The old sentry_monitor.sh state file: the growth baseline, kept, the checkpoint beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import checkpoint
from pytest_sentry_gate.checkpoint import legacy
from sentry_simulator.scenarios import demo_data
from tests.conftest import demo_simulator
from tests.test_cli import ROOT, run_cli

#: What the old script's ``persist_state_snapshot`` wrote (json.dump, indent=2).
OLD_STATE = {
    "checked_at": "2026-12-01T09:00:00Z",
    "release": "codictate@1.4.1",
    "unresolved_count": 2,
    "high_severity_count": 1,
    "release_regression_count": 0,
}


def _old_state(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(OLD_STATE, indent=2), encoding="utf-8")
    return path.read_bytes()


def test_the_old_state_file_is_recognised_not_moved_aside(tmp_path: Path) -> None:
    # Given the old script's state file where the checkpoint would be read
    path = tmp_path / "acme_codictate.json"
    before = _old_state(path)
    # When the checkpoint code meets it
    with pytest.raises(checkpoint.CheckpointRefused, match=r"old sentry_monitor\.sh state file"):
        checkpoint.load(path, org="acme", project="codictate")
    # Then it is named, never moved aside as corrupt, and left byte for byte
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name] == []
    # And it is read as counts, with the new checkpoint placed beside it
    where, state = legacy.locate(path, None)
    assert where == tmp_path / "acme_codictate.sentry-gate.json"
    assert state is not None
    assert state.unresolved_count == 2
    assert state.high_severity_count == 1


def test_the_old_default_path_is_the_old_scripts() -> None:
    assert legacy.old_default_path(Path("/r"), "my org", "app.v2") == Path(
        "/r/.agents/skills/sentry-monitoring/state/my_org_app_v2.json"
    )


def _loop(tmp_path: Path, repo: Path, *extra: str) -> dict[str, Any]:
    sim = demo_simulator(repo)
    sim.data = demo_data(repo, health_story=True)
    with sim:
        done = run_cli(
            tmp_path,
            *("--mode", "verify-loop", "--org", "acme", "--project", "codictate"),
            *("--repo-root", str(repo), "--url", sim.url, "--json", *extra),
        )
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def _growth(document: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in document["checks"] if c["id"].endswith("::test_volume_growth"))


@pytest.mark.parametrize("given", [True, False], ids=["--state-file", "old-default-path"])
def test_the_old_state_is_the_growth_baseline_and_is_carried_forward(
    tmp_path: Path, given: bool
) -> None:
    # Given the demo (5 unresolved) and the old script's state file (2 unresolved) at the path
    # the old run used: --state-file, or the old script's default under the repository
    repo = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "codictate", repo)
    old = (
        tmp_path / "state.json"
        if given
        else repo / ".agents/skills/sentry-monitoring/state/acme_codictate.json"
    )
    before = _old_state(old)
    extra = ("--state-file", str(old)) if given else ()
    # When sentry-gate runs the loop
    document = _loop(tmp_path, repo, *extra)
    # Then growth is judged against the old count, since the old run's time
    growth = _growth(document)
    assert growth["reason"] == "unexpected_growth", growth
    assert growth["evidence"]["previous"] == 2
    assert "since 2026-12-01T09:00:00Z" in growth["message"]
    # And no issue is called new or resolved against a file that holds no ids
    loop = document["verify_loop"]
    assert loop["new_since_last"]["count"] == 0
    assert loop["resolved_since_last"]["count"] == 0
    assert loop["previous_check"] == "2026-12-01T09:00:00Z"
    assert "no issue ids" in loop["note"]
    assert str(old) in loop["note"]
    # And the old file is untouched; the new checkpoint is written beside it (or at the new
    # default path), never over it
    assert old.read_bytes() == before
    new = (
        tmp_path / "state.sentry-gate.json"
        if given
        else repo / ".sentry-gate" / "acme_codictate.json"
    )
    assert loop["state_file"] == str(new)
    assert json.loads(new.read_text())["schema"] == checkpoint.SCHEMA
    # And the next run compares with the new checkpoint (ids), not the old counts again
    again = _loop(tmp_path, repo, *extra)["verify_loop"]
    assert again["state_file"] == str(new)
    assert again["previous_check"] == loop["checked_at"]
    assert again["baseline_established"] is False
    assert old.read_bytes() == before


def test_without_an_old_state_the_loop_section_is_as_before(tmp_path: Path) -> None:
    # Given no old state file at all
    repo = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "codictate", repo)
    # When the loop runs twice
    first = _loop(tmp_path, repo)["verify_loop"]
    # Then the first run establishes the baseline and says nothing about a missing file
    assert first["checkpoint_written"] is True
    assert first["baseline_established"] is True
    assert first["note"] is None
    assert first["state_file"] == str(repo / ".sentry-gate" / "acme_codictate.json")
