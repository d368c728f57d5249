"""The agent report (``--sentry-gate-report``) and the terminal summary.

One JSON document, ``schema: pytest-sentry-gate/report@1``, validated by ``report.schema.json``
(shipped beside this module). ``results`` keeps the old script's row shape (all strings) so its
consumers keep working; ``checks`` has one structured entry per test. Text that came from Sentry
(titles, messages, tags) is only ever data in this document: JSON escapes it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pytest_sentry_gate import modes, old_rows, verdict
from pytest_sentry_gate.runlog import Run
from pytest_sentry_gate.settings import Settings

SCHEMA_ID: Final = "pytest-sentry-gate/report@1"
SCHEMA_PATH: Final = Path(__file__).with_name("report.schema.json")
SUMMARY_LINE: Final = "{mode:<16} {status:<8} {counts}"


def overall(statuses: list[str]) -> str:
    """FAIL if anything failed, else PARTIAL if anything was inconclusive or nothing was checked
    (no check ran, or every one was not applicable), else PASS."""
    if verdict.FAIL in statuses:
        return verdict.FAIL
    if verdict.PARTIAL in statuses or verdict.PASS not in statuses:
        return verdict.PARTIAL
    return verdict.PASS


def _by_mode(run: Run) -> dict[str, list[verdict.CheckResult]]:
    grouped: dict[str, list[verdict.CheckResult]] = {}
    for result in run.results:
        grouped.setdefault(result.mode or "custom", []).append(result)
    return dict(sorted(grouped.items(), key=lambda kv: modes.mode_rank(kv[0])))


def _counts(results: list[verdict.CheckResult]) -> str:
    tally = Counter(r.status for r in results)
    parts = [f"{tally[s]} {s.lower()}" for s in verdict.STATUSES if tally[s]]
    return ", ".join(parts)


def mode_rows(run: Run) -> list[dict[str, str]]:
    """One row per mode in the old script's shape: every field a string (evidence as
    ``key=value; …``, risks and next commands one per line)."""
    rows = []
    for mode, results in _by_mode(run).items():
        status = overall([r.status for r in results])
        worst = [r for r in results if r.status == status and r.status != verdict.PASS]
        message = f"{_counts(results)}" + (f": {worst[0].message}" if worst else "")
        evidence = old_rows.evidence_text(
            [(r.check_id.split("::")[-1], r.evidence) for r in results if r.evidence]
        )
        risks = list(dict.fromkeys(risk for r in results for risk in r.risks))
        commands = list(dict.fromkeys(c for r in results for c in r.next_commands))
        rows.append(
            {
                "mode": modes.json_name(mode),
                "status": status,
                "message": message,
                "evidence": evidence,
                "risks": "\n".join(risks),
                "next_commands": "\n".join(commands),
            }
        )
    return rows


def build(run: Run, conf: Settings, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole agent report for this run (``extra``: the ``verify_loop``/``triage`` sections
    from ``loop_report.finish``)."""
    statuses = [r.status for r in run.results]
    return {
        "schema": SCHEMA_ID,
        "overall_status": overall(statuses),
        "mode": ",".join(modes.json_name(m) for m in run.modes),
        "org": conf.org,
        "project": conf.project,
        "projects": list(conf.projects),
        "release": run.release or conf.release,
        "environment": conf.environment,
        "server": conf.host,
        "record_mode": conf.record_mode,
        "started_at": datetime.fromtimestamp(run.started, UTC).isoformat(timespec="seconds"),
        "duration_s": round(run.duration, 3),
        "counts": dict(Counter(statuses)),
        "results": mode_rows(run),
        "checks": [r.as_dict() for r in run.results],
        **(extra or {}),
    }


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the report atomically (temp file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


def summary_lines(run: Run) -> list[str]:
    """The terminal summary: each mode's verdict and counts, then each check's one-line finding
    (and, for FAIL and PARTIAL, its next commands)."""
    lines = []
    for mode, results in _by_mode(run).items():
        status = overall([r.status for r in results])
        lines.append(
            SUMMARY_LINE.format(
                mode=modes.json_name(mode), status=status, counts=_counts(results)
            ).rstrip()
        )
        previous = None
        for result in results:
            name = result.check_id.split("::")[-1]
            if result.message == previous and result.status != verdict.PASS:
                lines.append(f"  {result.status:<8} {name}: (same as above)")
                continue
            previous = result.message
            lines.append(f"  {result.status:<8} {name}: {result.message}".rstrip())
            if result.status in (verdict.FAIL, verdict.PARTIAL):
                lines.extend(f"           next: {c}" for c in result.next_commands[:2])
    lines.append(f"overall: {overall([r.status for r in run.results])}")
    return lines
