"""Verdicts: what a check records (status, evidence, risks, next commands, reason code).

The statuses and reason codes are in ``reasons.py``, the verdicts of errors in
``error_verdicts.py``; every name stays importable from here.

In pytest, PASS is passed, FAIL is failed (``pytest.fail`` without a traceback), PARTIAL is
skipped with a reason that starts ``PARTIAL:`` and names the rerun command, and a check whose
layout does not apply is skipped with ``not applicable:`` (status SKIP in the report).

``Check`` is the object a check writes to (the ``sentry_check`` fixture); ``verdict_for_error``
turns an error of ``errors.py`` that escaped a check into the verdict it stands for, so that no API
problem ends in a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

import pytest

# The statuses, the reason codes and the error verdicts live in their own modules; every name
# stays importable from here (``verdict.REASONS``, ``verdict.verdict_for_error``...).
from pytest_sentry_gate.error_verdicts import (
    ERROR_REASONS,
    MALFORMED,
    NETWORK_FAIL,
    NETWORK_PARTIAL,
    NEW_TOKEN,
    NOT_FOUND,
    PERMISSION_DENIED,
    PROJECT_RENAMED,
    RATE_LIMITED,
    REPLAY_MISSING,
    REPLAY_RECORD,
    SCOPE_MISSING,
    SERVER_ERROR,
    SET_TOKEN,
    SHOW_ENDPOINT,
    TOKEN_INVALID,
    TOKEN_MISSING,
    TOKEN_REJECTED,
    TOKEN_SCOPES,
    TOO_LARGE,
    token_fix,
    verdict_for_error,
)
from pytest_sentry_gate.reasons import (
    ERROR,
    FAIL,
    PARTIAL,
    PASS,
    REASONS,
    SKIP,
    STATUSES,
    UNREGISTERED_REASON,
    require_reason,
)
from pytest_sentry_gate.rerun import for_mode

__all__ = [
    "ERROR",
    "ERROR_REASONS",
    "FAIL",
    "MALFORMED",
    "NETWORK_FAIL",
    "NETWORK_PARTIAL",
    "NEW_TOKEN",
    "NOT_FOUND",
    "PARTIAL",
    "PASS",
    "PERMISSION_DENIED",
    "PROJECT_RENAMED",
    "RATE_LIMITED",
    "REASONS",
    "REPLAY_MISSING",
    "REPLAY_RECORD",
    "SCOPE_MISSING",
    "SERVER_ERROR",
    "SET_TOKEN",
    "SHOW_ENDPOINT",
    "SKIP",
    "STATUSES",
    "TOKEN_INVALID",
    "TOKEN_MISSING",
    "TOKEN_REJECTED",
    "TOKEN_SCOPES",
    "TOO_LARGE",
    "UNREGISTERED_REASON",
    "Check",
    "CheckResult",
    "require_reason",
    "token_fix",
    "verdict_for_error",
]

PARTIAL_PREFIX: Final = "PARTIAL: "
SKIP_PREFIX: Final = "not applicable: "
RERUN: Final = " Rerun: {command}"

NOT_AVAILABLE_YET: Final = (
    "{mode}: not available yet: this version of pytest-sentry-gate has no checks for this mode "
    "(see CHANGELOG.md)."
)


@dataclass
class Check:
    """What one check has found so far; the ``sentry_check`` fixture hands one to each check."""

    check_id: str
    mode: str | None
    rerun: str
    evidence: dict[str, Any] = field(default_factory=dict)
    risks: list[str] = field(default_factory=list)
    next_commands: list[str] = field(default_factory=list)
    #: What to change by hand (an edit, a setting), in words: never mixed into ``next_commands``,
    #: which hold only commands a shell runs.
    fixes: list[str] = field(default_factory=list)
    message: str = ""
    reason: str = "ok"

    def rerun_for(self, mode: str) -> str:
        """The user's own command (``pytest -m …`` or ``sentry-gate --mode …``) for ``mode``
        (without a ``-k`` that chose checks of another mode)."""
        return for_mode(self.rerun, mode)

    def record(self, **facts: Any) -> None:
        """Add facts to the evidence (JSON-serialisable values)."""
        self.evidence.update(facts)

    def risk(self, text: str) -> None:
        """Note a risk that does not change the verdict."""
        if text not in self.risks:
            self.risks.append(text)

    def next(self, *commands: str) -> None:
        """Add exact, runnable next commands."""
        for command in commands:
            if command not in self.next_commands:
                self.next_commands.append(command)

    def fix(self, *texts: str) -> None:
        """Add what to change by hand, in words (a file to edit, a setting to set)."""
        for text in texts:
            if text and text not in self.fixes:
                self.fixes.append(text)

    def passed(self, message: str, *, reason: str = "ok") -> None:
        """The check held; ``message`` says what was shown."""
        self.message, self.reason = message, require_reason(reason)

    def fail(
        self,
        message: str,
        *,
        reason: str,
        next_commands: tuple[str, ...] = (),
        fixes: tuple[str, ...] = (),
    ) -> NoReturn:
        """A contract is broken: fail the test without a traceback."""
        __tracebackhide__ = True
        self.message, self.reason = message, require_reason(reason)
        self.next(*next_commands)
        self.fix(*fixes)
        pytest.fail(message, pytrace=False)

    def partial(
        self,
        message: str,
        *,
        reason: str,
        rerun: str | None = None,
        next_commands: tuple[str, ...] | None = None,
        fixes: tuple[str, ...] = (),
    ) -> NoReturn:
        """Inconclusive or needs attention: skip with ``PARTIAL:`` and the rerun command, or
        with ``next_commands`` instead when rerunning would change nothing."""
        __tracebackhide__ = True
        self.message, self.reason = message, require_reason(reason)
        self.fix(*fixes)
        if next_commands is not None and rerun is None:
            self.next(*next_commands)
            pytest.skip(PARTIAL_PREFIX + message)
        command = rerun or self.rerun
        self.next(command)
        text = message if command in message else message + RERUN.format(command=command)
        pytest.skip(PARTIAL_PREFIX + text)

    def not_applicable(self, message: str) -> NoReturn:
        """The check does not apply to this repository's layout."""
        __tracebackhide__ = True
        self.message, self.reason = message, "not_applicable"
        pytest.skip(SKIP_PREFIX + message)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check, as the report and the terminal summary show it."""

    nodeid: str
    check_id: str
    mode: str | None
    status: str
    reason: str
    message: str
    evidence: dict[str, Any]
    risks: tuple[str, ...]
    next_commands: tuple[str, ...]
    duration: float
    fixes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The report's ``checks`` entry."""
        return {
            "id": self.check_id,
            "nodeid": self.nodeid,
            "mode": self.mode,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "evidence": _jsonable(self.evidence),
            "risks": list(self.risks),
            "next_commands": list(self.next_commands),
            "fixes": list(self.fixes),
            "duration": round(self.duration, 4),
        }


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result
