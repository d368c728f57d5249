"""The issue_triage mode, declared once (its checks: ``checks/test_issue_triage.py``).

Which issues are new, likely urgent or recurring, with hints, owners and fix versions?
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.modes.mode import Mode

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "urgent_issues": "the likely-urgent triage bucket is not empty",
}

MODE: Final = Mode(
    name="issue_triage",
    order=50,
    help="new, urgent and recurring issues with hints, owners and fix versions",
    in_loop=True,
    summary=(
        "new (since the checkpoint), urgent and recurring issues with reproduction hints, "
        "release window, CODEOWNERS owner and fix version (read-only)"
    ),
    reasons=REASONS,
    settings=(
        "stats_period",
        "triage_top",
        "state_file",
    ),
    endpoints=(
        "issue list",
        "latest event of an issue",
        "issue detail",
        "team list",
    ),
)
