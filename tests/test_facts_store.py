"""The facts store: one memoizing store per (org, project) target, and every project checked."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import Simulator, SimulatorData, TokenSpec
from tests.conftest import CANARY_TOKEN, FULL_SCOPES, load_report

DEMO = Path(__file__).resolve().parents[1] / "examples" / "codictate"
NOW = datetime.now(UTC).replace(microsecond=0)


def _sim(data: SimulatorData) -> Simulator:
    sim = Simulator(data=data)
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    return sim


def _run(pytester: pytest.Pytester, sim: Simulator, *args: str) -> dict[str, Any]:
    os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
    result = pytester.runpytest_inprocess(
        f"--sentry-url={sim.url}",
        "--sentry-org=acme",
        f"--sentry-repo-root={DEMO}",
        "--sentry-gate-report=report.json",
        "-p",
        "no:cacheprovider",
        *args,
    )
    out = result.stdout.str()
    assert "Traceback" not in out
    assert "INTERNALERROR" not in out
    report = load_report(pytester.path / "report.json")
    report["_exit"] = int(result.ret)
    report["_out"] = out
    return report


def _status(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"].split("::")[1]: c["status"] for c in report["checks"]}


# -- 16.1: the report's facts do not depend on which fixtures ran ----------------------------------


def test_the_loop_section_and_checkpoint_come_from_the_store_whatever_ran(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given a project with unresolved issues, and a verify_loop run of one check only (the count,
    # which reads X-Hits and neither the listing nor the high-severity queries)
    data = SimulatorData.seeded(issues=12, now=NOW)
    state = tmp_path / "acme_codictate.json"
    with _sim(data) as sim:
        report = _run(
            pytester,
            sim,
            "-m",
            "verify_loop",
            "-k",
            "test_unresolved_count",
            "--sentry-project=codictate",
            f"--sentry-state-file={state}",
        )
    # Then the section and the checkpoint still hold the whole picture: the store read the rest
    loop = report["verify_loop"]
    assert _status(report) == {"test_unresolved_count": "PASS"}
    counted = next(c for c in report["checks"] if "test_unresolved_count" in c["id"])
    assert loop["unresolved_count"] == counted["evidence"]["count"] > 0
    assert loop["high_severity"] is not None
    assert loop["checkpoint_written"], loop["note"]
    saved = json.loads(state.read_text())
    assert saved["unresolved_count"] == len(saved["unresolved_ids"]) == loop["unresolved_count"]


def test_a_failed_read_is_kept_and_read_once() -> None:
    from pytest_sentry_gate.store.memo import Memo

    memo, calls = Memo(), []

    def read() -> int:
        calls.append(1)
        raise ValueError("boom")

    for _ in range(3):
        with pytest.raises(ValueError, match="boom"):
            memo.get("k", read)
    assert len(calls) == 1
    assert memo.peek("k") is None
    assert memo.get("v", lambda: 7) == memo.peek("v") == 7
