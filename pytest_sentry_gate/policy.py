"""The exit code's policy (``sentry_fail_on``): which verdicts fail the run, and the line saying so.

``fail``: only a FAIL fails the run (pytest's own rule: a failed test exits 1); a PARTIAL does not.
``partial``: a mode whose row ends PARTIAL or ERROR fails it too (exit 1), and an unreachable
Sentry is a FAIL, as with ``--require-host-network``. The default is ``partial`` in CI (``CI`` or
``GITHUB_ACTIONS`` set, and neither empty, ``false`` nor ``0``) and ``fail`` elsewhere: in CI,
unverified is not green.

In CI a release gate that could not verify the release (no build output ``no_build``, no release
name ``no_release``, no check ran) fails the run whatever the policy.

``finish`` is called once, from ``pytest_sessionfinish``: it sets ``session.exitstatus`` and keeps
the decision for the terminal summary's ``exit`` line (``terminal_lines``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pytest

from pytest_sentry_gate import verdict
from pytest_sentry_gate.policy_defaults import (
    DEFAULT_IN_CI,
    DEFAULT_OUTSIDE_CI,
    PARTIAL,
)

if TYPE_CHECKING:
    from pytest_sentry_gate.runlog import Run
    from pytest_sentry_gate.settings import Settings

#: The reasons a release gate could not verify the release; ``no_check_ran`` is an empty row.
UNVERIFIED_RELEASE: Final = frozenset({"no_build", "no_release", "no_check_ran"})
RELEASE_GATE: Final = "release_gate"


@dataclass(frozen=True)
class Decision:
    """The run's exit code and the terminal line that says which policy decided it."""

    exit_code: int
    line: str


@dataclass(frozen=True)
class ModeRow:
    """One mode's row as the policy sees it: its status and its checks' reasons."""

    mode: str
    status: str
    reasons: frozenset[str]


DECISION_KEY = pytest.StashKey[Decision]()


def why(fail_on: str, source: str, ci: str | None) -> str:
    """``sentry_fail_on=partial, CI detected (GITHUB_ACTIONS)``: the policy and where it came
    from, for the ``exit`` line."""
    if source.startswith(DEFAULT_IN_CI):
        return f"sentry_fail_on={fail_on}, CI detected ({ci})"
    if source == DEFAULT_OUTSIDE_CI:
        return f"sentry_fail_on={fail_on}, not in CI"
    detected = f", CI detected ({ci})" if ci else ""
    return f"sentry_fail_on={fail_on} from {source}{detected}"


def decide(
    *, pytest_code: int, rows: Sequence[ModeRow], fail_on: str, reason: str, ci: str | None
) -> Decision:
    """The exit code: pytest's when it is not 0 (a FAIL, an interruption), else the policy's."""
    if pytest_code == pytest.ExitCode.TESTS_FAILED:
        failed = [r.mode for r in rows if r.status == verdict.FAIL]
        what = f"FAIL ({', '.join(failed)})" if failed else "a failed test"
        return Decision(pytest_code, f"exit 1: {what} fails the run under any policy")
    if pytest_code != pytest.ExitCode.OK:  # the summary's ``error:`` line says why it stopped
        return Decision(pytest_code, "")
    unverified = [r for r in rows if ci and r.mode == RELEASE_GATE and r.status != verdict.PASS]
    unverified = [r for r in unverified if r.reasons & UNVERIFIED_RELEASE]
    if unverified:
        found = ", ".join(sorted(unverified[0].reasons & UNVERIFIED_RELEASE))
        return Decision(
            pytest.ExitCode.TESTS_FAILED,
            f"exit 1: release_gate did not verify the release ({found}) and CI never passes an "
            f"unverified release ({reason})",
        )
    inconclusive = [r.mode for r in rows if r.status in (verdict.PARTIAL, verdict.ERROR)]
    if not inconclusive:
        return Decision(pytest.ExitCode.OK, f"exit 0: no mode ended PARTIAL or FAIL ({reason})")
    modes = ", ".join(inconclusive)
    if fail_on == PARTIAL:
        return Decision(
            pytest.ExitCode.TESTS_FAILED, f"exit 1: PARTIAL fails the run: {modes} ({reason})"
        )
    return Decision(
        pytest.ExitCode.OK,
        f"exit 0: PARTIAL does not fail the run: {modes} ({reason}); "
        f"--sentry-fail-on={PARTIAL} (the default in CI) would fail it",
    )


def rows_of(run: Run) -> list[ModeRow]:
    """Each mode row of the report with its checks' reasons (an empty row: ``no_check_ran``)."""
    from pytest_sentry_gate import modes, report

    reasons: dict[str, set[str]] = {}
    for result in run.results:
        reasons.setdefault(modes.json_name(result.mode or "custom"), set()).add(result.reason)
    rows = []
    for row in report.mode_rows(run):
        found = reasons.get(row["mode"]) or {"no_check_ran"}
        rows.append(ModeRow(row["mode"].replace("-", "_"), row["status"], frozenset(found)))
    return rows


def finish(session: pytest.Session, run: Run, conf: Settings) -> Decision:
    """Decide the run's exit code by the policy, set it, and keep the line for the summary."""
    decision = decide(
        pytest_code=int(session.exitstatus),
        rows=rows_of(run),
        fail_on=conf.fail_on,
        reason=why(conf.fail_on, conf.sources.get("fail_on", ""), conf.ci),
        ci=conf.ci,
    )
    session.exitstatus = run.exit_code = decision.exit_code
    session.config.stash[DECISION_KEY] = decision
    return decision


def report_not_written(session: pytest.Session, run: Run, path: object) -> None:
    """The report could not be written at the end (a disk that filled, a FIFO nothing reads):
    the run exits 4, and the summary's ``exit`` line says so and what the verdicts alone gave."""
    was = int(session.exitstatus)
    session.exitstatus = run.exit_code = pytest.ExitCode.USAGE_ERROR
    session.config.stash[DECISION_KEY] = Decision(
        pytest.ExitCode.USAGE_ERROR,
        f"exit 4: the report could not be written to {path} (why: above); "
        f"the verdicts alone would exit {was}",
    )


def terminal_lines(config: pytest.Config) -> list[str]:
    """The summary's ``exit`` line, when the policy decided this run's exit code (none when
    pytest stopped: the ``error:`` line names the exit code)."""
    decision = config.stash.get(DECISION_KEY, None)
    return [decision.line] if decision is not None and decision.line else []
