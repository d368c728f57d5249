"""The settings rows of the thresholds: severity, crash-free rates, growth, sessions, the triage and
incident samples, the kill switch and the smoke event's wait and environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_sentry_gate.setting_numbers import parse_number
from pytest_sentry_gate.setting_parsers import (
    parse_lines,
    parse_name,
    parse_release,
)
from pytest_sentry_gate.setting_rows import declare
from pytest_sentry_gate.setting_rows.repository import RepositorySettings


@dataclass(frozen=True)
class HealthSettings(RepositorySettings):
    """The threshold rows (a layer of ``settings.Settings``)."""

    max_high_severity: int = field(
        metadata=declare(
            help="High-severity unresolved issues tolerated by prod_health.",
            parse=parse_number("threshold", whole=True, high=1_000_000),
            ini="sentry_max_high_severity",
            default=0,
        ),
    )
    min_crash_free_sessions: float = field(
        metadata=declare(
            help="Minimum crash-free session rate of the release, in percent.",
            parse=parse_number("percentage", high=100.0),
            ini="sentry_min_crash_free_sessions",
            default=99.0,
        ),
    )
    min_crash_free_users: float = field(
        metadata=declare(
            help="Minimum crash-free user rate of the release, in percent.",
            parse=parse_number("percentage", high=100.0),
            ini="sentry_min_crash_free_users",
            default=99.0,
        ),
    )
    high_severity_queries: tuple[str, ...] = field(
        metadata=declare(
            help="High-severity issue queries, one per line.",
            parse=parse_lines(),
            ini="sentry_high_severity_queries",
            ini_type="linelist",
            default=("is:unresolved level:fatal", "is:unresolved level:error issue.priority:high"),
            default_doc="`is:unresolved level:fatal` and `is:unresolved level:error "
            "issue.priority:high`",
        ),
    )
    growth_ratio: float = field(
        metadata=declare(
            help="Unresolved count over the last checkpoint's that counts as unexpected growth.",
            parse=parse_number("growth ratio", above=True, high=1000.0),
            ini="sentry_growth_ratio",
            default=1.5,
        ),
    )
    min_sessions: int = field(
        metadata=declare(
            help="Fewest sessions of the release for its crash-free rate to be judged.",
            parse=parse_number("session count", whole=True, low=1, high=10_000_000),
            ini="sentry_min_sessions",
            default=100,
        ),
    )
    triage_top: int = field(
        metadata=declare(
            help="Issues shown, with their details, per triage bucket.",
            parse=parse_number("triage top-N", whole=True, low=1, high=1000),
            ini="sentry_triage_top",
            default=5,
        ),
    )
    kill_switch: str | None = field(
        metadata=declare(
            help="Variable that disables the app's Sentry when truthy (1/true/yes/on), read from "
            "the environment, then the repository's .env.",
            parse=parse_release,
            ini="sentry_kill_switch",
            default_doc="none",
        ),
    )
    smoke_wait: float = field(
        metadata=declare(
            help="Seconds to wait for the smoke event to become readable (polled with backoff).",
            parse=parse_number("wait", above=True, high=3600.0, unit="seconds"),
            ini="sentry_smoke_wait",
            default=30.0,
        ),
    )
    smoke_environment: str = field(
        metadata=declare(
            help="Sentry environment of the smoke event (the tool's own: not production).",
            parse=parse_name,
            ini="sentry_smoke_environment",
            default="sentry-gate-smoke",
        ),
    )
    incident_top: int = field(
        metadata=declare(
            help="High-severity unresolved issues whose latest events incident samples.",
            parse=parse_number("incident top-N", whole=True, low=1, high=1000),
            ini="sentry_incident_top",
            default=5,
        ),
    )
