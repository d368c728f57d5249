"""The local_smoke mode, declared once (its checks: ``checks/test_local_smoke.py``).

Does the API answer, does the DSN belong to the project, does a smoke event arrive?
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.modes.mode import Mode

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "no_active_key": "the project has no active client key (DSN)",
    "dsn_absent": "no DSN in SENTRY_DSN or the repository's .env",
    "dsn_malformed": "the DSN does not parse",
    "dsn_mismatch": "the DSN has another host, project id or key, or its key is inactive",
    "kill_switch_on": "the app's kill-switch variable is set",
    "smoke_rejected": "ingestion answered 401/403 to the smoke event",
    "smoke_rate_limited": "ingestion answered 429: a quota or rate limit drops the events",
    "arrival_not_verifiable": "the server has no Sentry event API to read the smoke event back",
    "smoke_not_arrived": "the smoke event was not readable within the wait",
    "smoke_tags_missing": "the smoke event arrived without its release or environment tag",
}

MODE: Final = Mode(
    name="local_smoke",
    order=20,
    help="the API answers, the DSN belongs to the project, optional smoke event",
    in_loop=True,
    summary=(
        "the API answers; an active client key; the DSN parses and belongs to the project; no"
        " kill switch; with `--send-test-event` a smoke event sent and read back with its "
        "tags"
    ),
    reasons=REASONS,
    settings=(
        "dsn",
        "send_test_event",
        "kill_switch",
        "smoke_wait",
        "smoke_environment",
    ),
    endpoints=(
        "client keys",
        "event by id",
        "organization outcomes (stats_v2)",
    ),
)
