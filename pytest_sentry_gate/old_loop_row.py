"""The old script's ``verify-loop`` row, from the report's ``verify_loop`` section.

``sentry_monitor.sh --mode verify-loop`` ran the five modes, then added a sixth row of its own:
the loop's verdict (the worst of the five, PARTIAL when the checkpoint was not written), its
evidence as ``unresolved_count=…; new_since_last=…; resolved_since_last=…;
high_severity_snapshot=…; release_regression_snapshot=…; state_file=…; checked_at=…;
previous_check=…`` and its risks and next command. ``sentry-gate --mode verify-loop`` appends
the same row (same keys, same wording), so a consumer of the old output finds it.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_sentry_gate.old_rows import SEPARATOR, scalar

MODE: Final = "verify-loop"
RISKS: Final = {
    "FAIL": "One or more component checks failed; investigate failed mode sections first.",
    "PARTIAL": "Loop is inconclusive in at least one component or unresolved backlog exists.",
    "PASS": "No blocking failures detected in current loop run.",
}
NEXT: Final = {
    "FAIL": "Rerun failed modes individually, then rerun verify-loop: {command}",
    "PARTIAL": "Rerun if needed: {command}",
    "PASS": "Run on demand after config changes, releases, or incident reports.",
}
_ORDER: Final = ("PASS", "PARTIAL", "FAIL")


def _status(rows: list[dict[str, Any]], loop: dict[str, Any]) -> str:
    found = [str(r["status"]) for r in rows if r["status"] in _ORDER]
    worst = max(found or ["PARTIAL"], key=_ORDER.index)
    if worst == "PASS" and not loop.get("checkpoint_written"):
        return "PARTIAL"
    return worst


def _no_previous(loop: dict[str, Any]) -> str:
    """The old wording when this run wrote the first checkpoint; plain ``none`` when it wrote
    none (a replay, a refused or held checkpoint: no baseline was established)."""
    return "none (baseline established)" if loop.get("baseline_established") else "none"


def row(document: dict[str, Any], command: str) -> dict[str, Any] | None:
    """The ``verify-loop`` row of a report (``None`` without a ``verify_loop`` section);
    ``command`` is the command that reruns the loop."""
    loop = document.get("verify_loop")
    if not isinstance(loop, dict):
        return None
    status = _status(list(document.get("results", [])), loop)
    previous = loop.get("previous_check")
    pairs = {
        "unresolved_count": loop.get("unresolved_count"),
        "new_since_last": loop["new_since_last"]["count"],
        "resolved_since_last": loop["resolved_since_last"]["count"],
        "high_severity_snapshot": len(loop.get("high_severity") or []),
        "release_regression_snapshot": len(loop.get("release_regressions") or []),
        "state_file": loop.get("state_file"),
        "checked_at": loop.get("checked_at"),
        "previous_check": previous or _no_previous(loop),
    }
    message = loop.get("note") or f"verify-loop {status}"
    return {
        "mode": MODE,
        "status": status,
        "message": message,
        "evidence": SEPARATOR.join(f"{k}={scalar(v)}" for k, v in pairs.items()),
        "risks": RISKS[status],
        "next_commands": NEXT[status].format(command=command),
        "fixes": [],
    }
