"""Verdicts: what a check records (status, evidence, risks, next commands, reason code).

In pytest, PASS is passed, FAIL is failed (``pytest.fail`` without a traceback), PARTIAL is
skipped with a reason that starts ``PARTIAL:`` and names the rerun command, and a check whose
layout does not apply is skipped with ``not applicable:`` (status SKIP in the report).

``Check`` is the object a check writes to (the ``sentry_check`` fixture); ``verdict_for_error``
turns an error of ``errors.py`` that escaped a check into the verdict it stands for, so that no API
problem ends in a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

import pytest

from pytest_sentry_gate import errors

PASS: Final = "PASS"
FAIL: Final = "FAIL"
PARTIAL: Final = "PARTIAL"
SKIP: Final = "SKIP"
STATUSES: Final = (PASS, FAIL, PARTIAL, SKIP)

PARTIAL_PREFIX: Final = "PARTIAL: "
SKIP_PREFIX: Final = "not applicable: "
RERUN: Final = " Rerun: {command}"

NETWORK_PARTIAL: Final = (
    "Sentry host {host} is unreachable ({stage}: {detail}); this says nothing about the Sentry "
    "configuration. rerun with host network: {command}"
)
NETWORK_FAIL: Final = (
    "Sentry host {host} is unreachable ({stage}: {detail}) and host network is required "
    "(--require-host-network)."
)
TOKEN_REJECTED: Final = (
    "Sentry rejected the token (HTTP 401 from {endpoint}): it is wrong, expired or revoked."
)
SCOPE_MISSING: Final = "The token lacks the scope {scope} needed by {endpoint} (HTTP 403)."
PERMISSION_DENIED: Final = "The token is not allowed to read {endpoint} (HTTP 403): {detail}"
NOT_FOUND: Final = "Sentry has no {endpoint} (HTTP 404): {detail}"
RATE_LIMITED: Final = "Sentry rate-limited {endpoint} after the bounded retries: {detail}"
SERVER_ERROR: Final = "Sentry failed on {endpoint}: {detail}"
MALFORMED: Final = (
    "Sentry answered {endpoint} with a body that is not the documented JSON: {detail}"
)
REPLAY_MISSING: Final = (
    "Replay has no recorded answer for {method} {endpoint}: not in {cassette}; nothing was sent."
)
#: The rerun that records what the cassette lacks (appended to the user's own command).
REPLAY_RECORD: Final = "{rerun} --sentry-record-mode=new_episodes"

TOKEN_MISSING: Final = (
    "No Sentry auth token: set SENTRY_AUTH_TOKEN or [auth] token in .sentryclirc "
    "(never a flag or an ini value)."
)
SET_TOKEN: Final = "export SENTRY_AUTH_TOKEN=<token>"
TOKEN_SCOPES: Final = "event:read, project:releases, org:read, project:read"
NEW_TOKEN: Final = (
    f"create a personal token with the scopes {TOKEN_SCOPES} "
    "(Sentry: User settings > Personal Tokens), then set it with the next command"
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
    message: str = ""
    reason: str = "ok"

    def rerun_for(self, mode: str) -> str:
        """The user's own command (``pytest -m …`` or ``sentry-gate --mode …``) for ``mode``."""
        from pytest_sentry_gate.modes import command_for

        return command_for(self.rerun, mode)

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

    def passed(self, message: str, *, reason: str = "ok") -> None:
        """The check held; ``message`` says what was shown."""
        self.message, self.reason = message, reason

    def fail(self, message: str, *, reason: str, next_commands: tuple[str, ...] = ()) -> NoReturn:
        """A contract is broken: fail the test without a traceback."""
        __tracebackhide__ = True
        self.message, self.reason = message, reason
        self.next(*next_commands)
        pytest.fail(message, pytrace=False)

    def partial(self, message: str, *, reason: str, rerun: str | None = None) -> NoReturn:
        """Inconclusive or needs attention: skip with ``PARTIAL:`` and the rerun command."""
        __tracebackhide__ = True
        command = rerun or self.rerun
        self.message, self.reason = message, reason
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
            "duration": round(self.duration, 4),
        }


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result


def verdict_for_error(
    exc: errors.SentryGateError, *, require_network: bool, rerun: str
) -> tuple[str, str, str, tuple[str, ...]]:
    """``(status, reason, message, next_commands)`` for an error that escaped a check."""
    if isinstance(exc, errors.NetworkUnavailable):
        command = f"{rerun} --require-host-network"
        fields = {"host": exc.host, "stage": exc.stage, "detail": exc.detail, "command": command}
        if require_network:
            return FAIL, "network_unavailable", NETWORK_FAIL.format(**fields), ()
        return PARTIAL, "network_unavailable", NETWORK_PARTIAL.format(**fields), (command,)
    if isinstance(exc, errors.TokenMissing):
        return FAIL, "token_missing", TOKEN_MISSING, (NEW_TOKEN, SET_TOKEN)
    if isinstance(exc, errors.AuthError):
        message = TOKEN_REJECTED.format(endpoint=exc.endpoint)
        return FAIL, "token_rejected", message, (NEW_TOKEN, SET_TOKEN)
    if isinstance(exc, errors.ScopeError):
        if exc.missing_scope:
            message = SCOPE_MISSING.format(scope=exc.missing_scope, endpoint=exc.endpoint)
            return FAIL, "missing_scope", message, (NEW_TOKEN, SET_TOKEN)
        message = PERMISSION_DENIED.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "permission_denied", message, (NEW_TOKEN, SET_TOKEN)
    if isinstance(exc, errors.NotFound):
        return FAIL, "not_found", NOT_FOUND.format(endpoint=exc.endpoint, detail=exc.message), ()
    if isinstance(exc, errors.RateLimited):
        message = RATE_LIMITED.format(endpoint=exc.endpoint, detail=exc.message)
        return PARTIAL, "rate_limited", message, (rerun,)
    if isinstance(exc, errors.ReplayMissing):
        message = REPLAY_MISSING.format(
            method=exc.method, endpoint=exc.endpoint, cassette=exc.cassette
        )
        rerun = re.sub(r" --sentry-record-mode(=| )\S+", "", rerun)
        return FAIL, "replay_missing", message, (REPLAY_RECORD.format(rerun=rerun),)
    if isinstance(exc, errors.MalformedResponse):
        return (
            FAIL,
            "malformed_response",
            MALFORMED.format(endpoint=exc.endpoint, detail=exc.message),
            (),
        )
    if isinstance(exc, errors.ApiError):
        return (
            FAIL,
            "server_error",
            SERVER_ERROR.format(endpoint=exc.endpoint, detail=exc.message),
            (),
        )
    if isinstance(exc, errors.RepoFileError):
        return FAIL, "repo_file", str(exc), ()
    if isinstance(exc, errors.SlugError):
        return FAIL, "slug", str(exc), ()
    return FAIL, "read_only_guard", str(exc), ()
