"""The prod_health mode, declared once (its checks: ``checks/test_prod_health.py``).

How many unresolved and high-severity issues, how healthy the release, how fast the growth?
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.modes.mode import Mode

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "high_severity": "high-severity unresolved issues above the threshold: escalate same day",
    "release_regressions": "regressed issues in the release under check",
    "no_session_data": "the release has no session data to judge its crash-free rate",
    "crash_free_below_threshold": "a crash-free rate below its minimum",
    "unexpected_growth": "unresolved issues grew beyond the ratio since the last checkpoint",
    "checkpoint_unwritable": "the checkpoint location cannot be written",
    "checkpoint_refused": "the checkpoint path is a symlink, FIFO or device: left untouched",
    "checkpoint_moved_aside": "the checkpoint did not validate: moved aside, a new baseline starts",
    "query_unsupported": "this Sentry does not support a query term or field: a fallback was used",
    "not_enough_sessions": "too few sessions for the crash-free rate to mean anything",
}

MODE: Final = Mode(
    name="prod_health",
    order=40,
    help="unresolved and high-severity counts, release health, growth",
    in_loop=True,
    summary=(
        'the unresolved count (`X-Hits`, exact on one page, "about N" beyond it, the id '
        'listing when capped); high-severity unresolved error issues (FAIL "escalate same '
        'day"); unresolved issues and regressions of the release; crash-free session/user '
        "rates (from 100 sessions on); growth against the checkpoint"
    ),
    reasons=REASONS,
    settings=(
        "stats_period",
        "max_high_severity",
        "min_crash_free_sessions",
        "min_crash_free_users",
        "high_severity_queries",
        "growth_ratio",
        "min_sessions",
        "state_file",
    ),
    endpoints=(
        "issue list",
        "sessions",
    ),
)
