"""The settings rows of how a run behaves and what it writes: the exit policy, the network, the
smoke event, discovery, record and replay, the agent report and the time window of the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pytest_sentry_gate.setting_numbers import parse_period
from pytest_sentry_gate.setting_parsers import (
    parse_boolean,
    parse_fail_on,
    parse_path,
    parse_record_mode,
    parse_report_detail,
)
from pytest_sentry_gate.setting_rows import declare
from pytest_sentry_gate.setting_rows.target import TargetSettings


@dataclass(frozen=True)
class RunSettings(TargetSettings):
    """The run and output rows (a layer of ``settings.Settings``)."""

    require_host_network: bool = field(
        metadata=declare(
            help="Network unavailable is a FAIL, not PARTIAL (always so under "
            "sentry_fail_on=partial, the CI default).",
            parse=parse_boolean,
            flags=("--require-host-network", "--strict-network"),
            default=False,
            cli=("--require-host-network", "--strict-network"),
        ),
    )
    fail_on: str = field(
        metadata=declare(
            help="What fails the run: partial (a mode that ends PARTIAL or ERROR fails it too, and "
            "an unreachable Sentry is a FAIL) or fail (only a FAIL does).",
            parse=parse_fail_on,
            flags=("--sentry-fail-on",),
            ini="sentry_fail_on",
            env="SENTRY_GATE_FAIL_ON",
            default_doc="`partial` in CI (`CI` or `GITHUB_ACTIONS` set), `fail` elsewhere",
            metavar="partial|fail",
            cli=("--fail-on",),
        ),
    )
    send_test_event: bool = field(
        metadata=declare(
            help="local_smoke sends one synthetic event through the DSN.",
            parse=parse_boolean,
            flags=("--send-test-event",),
            default=False,
            cli=("--send-test-event",),
        ),
    )
    auto_slug_discovery: bool = field(
        metadata=declare(
            help="Auto-select the only organization/project when none is set.",
            parse=parse_boolean,
            flags=("--auto-slug-discovery",),
            negative="--no-auto-slug-discovery",
            ini="sentry_auto_slug_discovery",
            default=True,
            cli=("--auto-slug-discovery", "--no-auto-slug-discovery"),
        ),
    )
    record_mode: str = field(
        metadata=declare(
            help="Record/replay of Sentry traffic through one vcrpy cassette per org/project: off "
            "(live), none (replay only), once, new_episodes, all.",
            parse=parse_record_mode,
            flags=("--sentry-record-mode",),
            ini="sentry_record_mode",
            default="off",
            metavar="MODE",
        ),
    )
    cassette_dir: Path = field(
        metadata=declare(
            help="Directory of the cassettes (<dir>/<org>/<project>.yaml).",
            parse=parse_path,
            flags=("--sentry-cassette-dir",),
            ini="sentry_cassette_dir",
            default="cassettes",
            default_doc="`cassettes` in the rootdir",
            metavar="DIR",
        ),
    )
    report: Path | None = field(
        metadata=declare(
            help="Write the agent report (JSON) to PATH.",
            parse=parse_path,
            flags=("--sentry-gate-report",),
            default_doc="none",
            metavar="PATH",
            cli=("--report",),
        ),
    )
    report_detail: str = field(
        metadata=declare(
            help="Detail of the agent report: full, or summary (verdicts, reasons, counts, next "
            "steps; no evidence).",
            parse=parse_report_detail,
            flags=("--sentry-gate-report-detail",),
            ini="sentry_gate_report_detail",
            default="full",
            metavar="DETAIL",
            cli=("--report-detail",),
        ),
    )
    stats_period: str = field(
        metadata=declare(
            help="Time window of every count (Sentry statsPeriod, such as 24h or 14d).",
            parse=parse_period,
            ini="sentry_stats_period",
            default="14d",
        ),
    )
