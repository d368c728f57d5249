"""18.2-18.4: the step summary a release manager scans, annotations with file/line, the history."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import markdown
import pytest

from pytest_sentry_gate import checkpoint, trend, verdict
from pytest_sentry_gate.ci_output import MAX_ANNOTATIONS, summary_markdown, workflow_commands

SNAPSHOT = Path(__file__).parent / "snapshots" / "step_summary.md"
SUMMARY_OUT = os.environ.get("SENTRY_GATE_SUMMARY_OUT")
HOSTILE = "[x](http://evil) <img src=x onerror=alert(1)> | `tick` **bold**"


def _result(status: str, name: str, message: str = "m", **evidence: Any) -> verdict.CheckResult:
    return verdict.CheckResult(
        nodeid=f"t.py::{name}",
        check_id=f"t::{name}",
        mode="verify_loop",
        status=status,
        reason="r",
        message=message,
        evidence=dict(evidence),
        risks=(),
        next_commands=(),
        duration=0.0,
    )


def _issue(short: str, title: str, events: int, **more: Any) -> dict[str, Any]:
    return {
        "id": short.rsplit("-", 1)[1],
        "short_id": short,
        "title": title,
        "events": events,
        "users": events // 3,
        "permalink": f"https://acme.sentry.io/issues/{short.rsplit('-', 1)[1]}/",
        **more,
    }


def fixed_summary() -> str:
    """A fixed run: one FAIL, two PARTIALs, passes, a trend over three runs, a hostile title."""
    history = [
        trend.point(
            checked_at="2026-12-01T09:00:00+00:00", unresolved=7, crash_free_sessions=0.995
        ),
        trend.point(checked_at="2026-12-02T09:00:00+00:00", unresolved=8, crash_free_sessions=0.99),
        trend.point(
            checked_at="2026-12-03T09:00:00+00:00", unresolved=11, crash_free_sessions=0.97
        ),
    ]
    loop = {
        "unresolved_count": 11,
        "new_since_last": {"count": 4, "ids": ["48", "49", "50", "51"]},
        "resolved_since_last": {"count": 1, "ids": ["12"]},
        "previous_check": "2026-12-02T09:00:00+00:00",
        "baseline_established": False,
        "high_severity": [_issue("CODICTATE-50", "TypeError: x is undefined", 120)],
        "release_regressions": [_issue("CODICTATE-49", HOSTILE, 40)],
        "history": history,
    }
    triage = {
        "buckets": {
            "urgent": [_issue("CODICTATE-50", "TypeError: x is undefined", 120, owner="@acme/web")]
        }
    }
    results = [
        _result(verdict.PASS, "test_token_accepted", "token accepted"),
        _result(verdict.PARTIAL, "test_crash_free_rate", "sessions API answered 400"),
        _result(verdict.FAIL, "test_unresolved_growth", "unresolved 8 → 11 (+37%)", ratio=1.375),
        _result(verdict.PARTIAL, "test_issue_owners", "no CODEOWNERS"),
        _result(verdict.PASS, "test_release_exists", "release codictate@1.4.2 exists"),
    ]
    rows = [{"mode": "verify-loop", "status": "FAIL", "message": "2 pass, 2 partial, 1 fail: x"}]
    return summary_markdown(
        rows,
        results,
        "FAIL",
        str,
        target="acme/codictate on sentry.io",
        release="codictate@1.4.2",
        sections={"verify_loop": loop, "triage": triage},
    )


def test_the_step_summary_matches_its_rendered_snapshot() -> None:
    # Regenerate (then review the diff), from the checkout:
    # python -c "from tests.test_step_summary import *; SNAPSHOT.write_text(fixed_summary())"
    assert fixed_summary() == SNAPSHOT.read_text(encoding="utf-8")


def test_the_summary_reads_verdict_first_then_fails_partials_issues_and_folded_passes() -> None:
    text = fixed_summary()
    assert text.startswith("## ❌ sentry-gate: FAIL · release ` codictate@1.4.2 ` · acme/codictate")
    order = [
        text.index(s)
        for s in (
            "Since last run",
            "### ❌ Failed (1)",
            "### ⚠️ Partial (2)",
            "### Issues to look at",
            "<summary>✅ Passed (2)</summary>",
        )
    ]
    assert order == sorted(order)
    assert "4 new, 1 resolved, unresolved 8 → 11" in text
    assert "unresolved ▁▃█ 7 → 11 (3 runs)" in text
    assert "crash-free sessions █▇▁ 99.50% → 97.00% (3 runs)" in text
    assert "| [CODICTATE-50](https://acme.sentry.io/issues/50/) |" in text
    assert "| 120 | 40 | @acme/web | high severity, urgent |" in text
    # evidence is folded, never a raw JSON block in the open
    assert re.search(r"<details><summary>Evidence</summary>\n\n```json\n\{\n  \"ratio\"", text)


def test_a_hostile_issue_title_renders_as_text() -> None:
    html = markdown.markdown(fixed_summary(), extensions=["tables"])
    assert "evil" in html  # the title is there, as text
    assert 'href="http://evil' not in html
    assert "<img" not in html
    assert "<strong>bold" not in html
    row = next(chunk for chunk in html.split("<tr>") if "evil" in chunk)
    assert row.count("<td>") == 6  # the pipe did not split the row
    assert html.count("<a href=") == 2  # only Sentry's own issue links


def _at_fault() -> list[verdict.CheckResult]:
    return [
        _result(verdict.PARTIAL, "test_capabilities", "no CODEOWNERS"),
        _result(verdict.FAIL, "test_privacy", "send_default_pii: true at src-tauri/src/main.rs:42"),
        _result(verdict.FAIL, "test_wiring", "marker missing", file="vite.config.ts"),
        _result(
            verdict.FAIL, "test_token", "401 from https://sentry.io/api/0/:443 (sentry.io:443)"
        ),
        _result(
            verdict.FAIL,
            "test_versions_aligned",
            "Versions disagree",
            versions={
                "src-tauri/tauri.conf.json": "1.4.2",
                "Cargo.toml": "1.4.2",
                "package.json": "1.4.3",
            },
        ),
        _result(
            verdict.PARTIAL,
            "test_release_wiring",
            "marker missing",
            markers=[
                {"file": "vite.config.ts", "found": True, "present_file": True, "line": 3},
                {"file": ".github/workflows/release.yml", "found": False, "present_file": True},
            ],
        ),
    ]


def test_annotations_put_fails_first_and_point_at_the_file() -> None:
    lines = workflow_commands(_at_fault(), str)
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 4 + ["::warning"] * 2
    assert lines[0].startswith("::error file=src-tauri/src/main.rs,line=42,title=")
    assert lines[1].startswith("::error file=vite.config.ts,title=")
    assert lines[2].startswith("::error title=")  # an API URL or host is no repository file
    assert lines[3].startswith("::error file=package.json,title=")  # the one that disagrees
    assert lines[5].startswith("::warning file=.github/workflows/release.yml,title=")


def test_at_most_ten_annotations_and_a_note_naming_the_rest() -> None:
    many = [_result(verdict.PARTIAL, f"test_p{n}") for n in range(12)] + [
        _result(verdict.FAIL, "test_f")
    ]
    lines = workflow_commands(many, str)
    assert len(lines) == MAX_ANNOTATIONS + 1
    assert lines[0].startswith("::error ")
    assert lines[-1].startswith("::notice ")
    assert "3 more" in lines[-1]
    assert "t::test_p10" in lines[-1]
    assert "t::test_p11" in lines[-1]


def test_an_old_checkpoint_migrates_to_a_history_of_its_own_run() -> None:
    old = {
        "schema": "pytest-sentry-gate/checkpoint@1",
        "org": "a",
        "project": "b",
        "checked_at": "2026-11-29T10:00:00+00:00",
        "unresolved_ids": [1, 2, 3],
        "unresolved_count": 3,
        "high_severity": [{"id": "1"}],
        "release": "app@1",
    }
    found = checkpoint.decode(json.dumps(old), org="a", project="b")
    assert found.history == (
        trend.point(
            checked_at="2026-11-29T10:00:00+00:00", unresolved=3, high_severity=1, release="app@1"
        ),
    )
    assert found.as_json()["schema"] == "pytest-sentry-gate/checkpoint@2"
    bad = {**found.as_json(), "history": [{"checked_at": "x", "unresolved": "many"}]}
    with pytest.raises(ValueError, match="history field unresolved"):
        checkpoint.decode(json.dumps(bad), org="a", project="b")


def test_the_history_keeps_the_last_thirty_runs() -> None:
    series: tuple[dict[str, Any], ...] = ()
    for n in range(35):
        series = trend.extend(series, trend.point(checked_at=str(n), unresolved=n))
    assert [p["unresolved"] for p in series] == list(range(5, 35))
    assert trend.sparkline([1, None, 3]) == "▁·█"


def test_three_verify_loop_runs_draw_the_trend(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from datetime import timedelta

    from tests.test_checkpoint import DEMO, NOW, _run, _sim

    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    flag = f"--sentry-state-file={tmp_path / 'acme_codictate.json'}"
    counts = []
    with _sim() as sim:
        for run in range(3):
            for n in range(run * 2):
                sim.data.add_issue(
                    project="codictate",
                    title=f"Error: {run}.{n}",
                    first_seen=NOW - timedelta(hours=1),
                    last_seen=NOW,
                )
            summary.write_text("")
            result = _run(pytester, "verify_loop", sim.url, DEMO, flag)
            loop = json.loads((pytester.path / "report.json").read_text())["verify_loop"]
            counts.append(loop["unresolved_count"])
    # Then the report carries the series, the checkpoint keeps it, the terminal draws it
    assert [p["unresolved"] for p in loop["history"]] == counts
    assert counts[0] < counts[1] < counts[2]
    kept = json.loads((tmp_path / "acme_codictate.json").read_text())
    assert kept["schema"] == "pytest-sentry-gate/checkpoint@2"
    assert len(kept["history"]) == 3
    line = f"trend: unresolved ▁▃█ {counts[0]} → {counts[2]} (3 runs)"
    assert line in result.stdout.str()
    text = summary.read_text()
    assert line.removeprefix("trend: ") in text
    assert "Since last run" in text
    if SUMMARY_OUT:  # the notes' example: SENTRY_GATE_SUMMARY_OUT=/tmp/x.md pytest -k three
        Path(SUMMARY_OUT).write_text(text, encoding="utf-8")
