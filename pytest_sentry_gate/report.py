"""The agent report (``--sentry-gate-report``) and the terminal summary.

One JSON document, ``schema: pytest-sentry-gate/report@1``, validated by ``report.schema.json``
(shipped beside this module). ``results`` keeps the old script's row shape (all strings) so its
consumers keep working; ``checks`` has one structured entry per test. Text that came from Sentry
(titles, messages, tags) is only ever data in this document: JSON escapes it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pytest_sentry_gate import modes, old_rows, report_file, steps, verdict
from pytest_sentry_gate.rerun import for_mode
from pytest_sentry_gate.runlog import Run
from pytest_sentry_gate.settings import Settings

SCHEMA_ID: Final = report_file.SCHEMA_ID
SCHEMA_PATH: Final = Path(__file__).with_name("report.schema.json")
SUMMARY_LINE: Final = "{mode:<16} {status:<8} {counts}"


NOT_CHECKED: Final = (
    "{mode}: no check of this mode ran in this selection (deselected, or "
    "sentry_bundled_checks = false). Rerun: {command}"
)


DESELECTED: Final = (
    "{mode}: no check of this mode ran: the selection ({selection}) deselected its {count} "
    "check(s), so nothing was verified"
)


def overall(statuses: list[str]) -> str:
    """FAIL if anything failed, else PARTIAL if anything was inconclusive or nothing was checked
    (no check ran, or every one was not applicable), else PASS."""
    if verdict.FAIL in statuses:
        return verdict.FAIL
    if verdict.PARTIAL in statuses or verdict.PASS not in statuses:
        return verdict.PARTIAL
    return verdict.PASS


def _by_mode(run: Run) -> dict[str, list[verdict.CheckResult]]:
    """Each selected mode's results (an empty list for a mode nothing checked), in run order."""
    grouped: dict[str, list[verdict.CheckResult]] = {mode: [] for mode in run.modes}
    for result in run.results:
        grouped.setdefault(result.mode or "custom", []).append(result)
    return dict(sorted(grouped.items(), key=lambda kv: modes.mode_rank(kv[0])))


def _empty_row_message(run: Run, mode: str) -> str:
    if run.interruption is not None:
        return f"{modes.json_name(mode)}: {run.interruption}; no check of this mode gave a verdict"
    if run.deselected.get(mode):  # no_check_ran: the selection left none of this mode's checks
        return DESELECTED.format(
            mode=modes.json_name(mode), count=run.deselected[mode], selection=run.selection
        )
    if mode in run.collected_modes or mode in run.bundled_modes:
        return NOT_CHECKED.format(mode=modes.json_name(mode), command=for_mode(run.rerun, mode))
    return verdict.NOT_AVAILABLE_YET.format(mode=modes.json_name(mode))


def _status(results: list[verdict.CheckResult]) -> str:
    return overall([r.status for r in results])


def row_status(run: Run, results: list[verdict.CheckResult]) -> str:
    """A mode's verdict (PARTIAL when none of its checks ran); ERROR when pytest stopped before
    every check gave its verdict (Ctrl-C, SIGTERM, a collection or internal error), unless a check
    already FAILed: a check that passed before the stop does not make the mode PASS."""
    status = _status(results) if results else verdict.PARTIAL
    if run.interruption is not None and status != verdict.FAIL:
        return verdict.ERROR
    return status


def overall_status(run: Run) -> str:
    """ERROR when pytest stopped before the checks ran, else the verdict over every mode's row."""
    if run.interruption is not None:
        return verdict.ERROR
    return overall([_status(results) for results in _by_mode(run).values()] or [verdict.PARTIAL])


def _counts(results: list[verdict.CheckResult], deselected: int = 0) -> str:
    """``2 pass, 1 fail``, then how many of the mode's checks the selection left out (a mode
    whose one selected check passed is not taken for a mode whose every check passed)."""
    tally = Counter(r.status for r in results)
    parts = [f"{tally[s]} {s.lower()}" for s in verdict.STATUSES if tally[s]]
    return ", ".join(parts + ([f"{deselected} deselected"] if deselected else []))


def mode_rows(run: Run) -> list[dict[str, Any]]:
    """One row per mode in the old script's shape: every field of it a string (evidence as
    ``key=value; …``, risks and next commands one per line); then ``fixes``, a list."""
    rows = []
    for mode, results in _by_mode(run).items():
        if not results:
            rows.append(_empty_row(run, mode))
            continue
        status = row_status(run, results)
        worst = [r for r in results if r.status == status and r.status != verdict.PASS]
        counts = _counts(results, run.deselected.get(mode, 0))
        message = counts + (f": {worst[0].message}" if worst else "")
        if status == verdict.ERROR:
            message = f"{counts}: {run.interruption}"
        evidence = old_rows.evidence_text(
            [(r.check_id.split("::")[-1], r.evidence) for r in results if r.evidence]
        )
        risks = list(dict.fromkeys(risk for r in results for risk in r.risks))
        commands = list(dict.fromkeys(c for r in results for c in r.next_commands))
        fixes = list(dict.fromkeys(f for r in results for f in r.fixes))
        rows.append(
            {
                "mode": modes.json_name(mode),
                "status": status,
                "message": message,
                "evidence": evidence,
                "risks": "\n".join(risks),
                "next_commands": "\n".join(commands),
                "fixes": fixes,
            }
        )
    return rows


def _empty_row(run: Run, mode: str) -> dict[str, Any]:
    return {
        "mode": modes.json_name(mode),
        "status": row_status(run, []),
        "message": _empty_row_message(run, mode),
        "evidence": "",
        "risks": "",
        "next_commands": (
            for_mode(run.rerun, mode) if mode in run.collected_modes | run.bundled_modes else ""
        ),
        "fixes": [],
    }


def build(run: Run, conf: Settings, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole agent report for this run (``extra``: the ``verify_loop``/``triage`` sections
    from ``loop_report.finish``)."""
    statuses = [r.status for r in run.results]
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "overall_status": overall_status(run),
        "mode": run.requested or ",".join(modes.json_name(m) for m in run.modes),
        "org": conf.org,
        "project": conf.project,
        "projects": list(conf.projects),
        "release": run.release or conf.release,
        "environment": conf.environment,
        "environment_filter": list(conf.environment_filter),
        "server": conf.host,
        "record_mode": conf.record_mode,
        "cassette": run.cassette,
        "started_at": datetime.fromtimestamp(run.started, UTC).isoformat(timespec="seconds"),
        "duration_s": round(run.duration, 3),
        "counts": dict(Counter(statuses)),
        "results": mode_rows(run),
        "checks": steps.with_steps([r.as_dict() for r in run.results]),
        **(extra or {}),
    }
    if run.exit_code is not None:
        document["exit_code"] = run.exit_code
    if run.notices:
        document["notices"] = list(run.notices)
    if run.interruption is not None:
        document["error"] = {"reason": "interrupted", "message": run.interruption}
    return document


def detailed(document: dict[str, Any], conf: Settings) -> dict[str, Any]:
    """The report at the detail the settings ask (``report_detail``: full, or a summary)."""
    return steps.compact(document) if conf.report_detail == steps.SUMMARY else document


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the report where ``report_file`` allows: a new file or an earlier report replaced
    atomically, a device or FIFO (``/dev/stdout``) written through; anything else is refused."""
    report_file.write(path, json.dumps(document, indent=2, sort_keys=False) + "\n")


def summary_lines(run: Run) -> list[str]:
    """The terminal summary: each mode's verdict and counts (with the checks the selection left
    out), then each check's one-line finding, its risks (a PASS's too) and, for FAIL and PARTIAL,
    its next commands and fixes; then an interruption, the notices and the overall verdict."""
    lines = []
    for mode, results in _by_mode(run).items():
        if not results:  # the row's message starts with the mode's name, shown in the column
            why = _empty_row_message(run, mode).split(": ", 1)[1]
            name = modes.json_name(mode)
            lines.append(SUMMARY_LINE.format(mode=name, status=row_status(run, []), counts=why))
            continue
        status = row_status(run, results)
        lines.append(
            SUMMARY_LINE.format(
                mode=modes.json_name(mode),
                status=status,
                counts=_counts(results, run.deselected.get(mode, 0)),
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
            lines.extend(f"           risk: {r}" for r in result.risks[:3])  # a PASS's too
            if result.status in (verdict.FAIL, verdict.PARTIAL):
                commands = [c for c in result.next_commands if c not in result.message]
                lines.extend(f"           next: {c}" for c in commands[:3])
                lines.extend(f"           fix:  {f}" for f in result.fixes[:3])
    if run.interruption is not None:
        lines.append(f"error: {run.interruption} (exit {run.exit_code})")
    lines.extend(f"notice: {n}" for n in run.notices)
    lines.append(f"overall: {overall_status(run)}")
    return lines
