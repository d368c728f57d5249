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
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, NoReturn

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.rerun import for_mode, with_host_network

PASS: Final = "PASS"
FAIL: Final = "FAIL"
PARTIAL: Final = "PARTIAL"
SKIP: Final = "SKIP"
STATUSES: Final = (PASS, FAIL, PARTIAL, SKIP)
#: The report's overall status when pytest stopped before the checks could give their verdicts.
ERROR: Final = "ERROR"

#: Every reason code a check result may carry, and what it means. The report schema enumerates
#: exactly these (a test holds them equal), and ``Check`` refuses any other.
REASONS: Final[dict[str, str]] = {
    "ok": "the check held",
    "error": "the check raised an unexpected exception (a bug in the check or the plugin)",
    "not_applicable": "the check does not apply to this repository's layout",
    "not_available_yet": "the selected mode has no checks in this version",
    "interrupted": "pytest stopped before the checks ran (collection error, usage error, -x)",
    # settings and the token
    "token_missing": "no token is configured (SENTRY_AUTH_TOKEN or .sentryclirc)",
    "token_invalid": "the token holds whitespace or control characters: nothing was sent",
    "token_rejected": "Sentry answered 401: the token is wrong, expired or revoked",
    "org_ci_token": "an organization (org:ci) token: it cannot read issues or events",
    "missing_scope": "the token lacks a scope an endpoint needs (403)",
    "permission_denied": "403 without a named scope",
    "auto_selected": "a slug was not configured and its only candidate was selected",
    "slug": "an organization or project slug does not exist or is ambiguous",
    # transport and API answers
    "network_unavailable": "DNS or TCP to the Sentry host failed: says nothing about Sentry",
    "connection_refused": "nothing listens on the URL's port: the URL is wrong or the server down",
    "tls_certificate": "the Sentry host's TLS certificate is not trusted",
    "not_found": "Sentry answered 404 for an endpoint",
    "rate_limited": "Sentry answered 429 beyond the retries or the longest wait",
    "server_error": "Sentry answered 5xx or did not answer in time, after the retries",
    "malformed_response": "a body that is not the JSON the endpoint documents",
    "response_too_large": "a body above the client's size cap, refused unread",
    "read_only_guard": "the read-only guard refused a request before it was sent",
    "threshold": "a figure crossed its configured threshold",
    "no_data": "no data yet (no sessions, no events) to judge",
    # the repository
    "repo_file": "a repository file cannot be parsed (file, line, column)",
    "file_refused": "a file that is not a regular file, or above its size cap: not read",
    "capability_missing": "the Tauri capability for Sentry is missing",
    "wiring_missing": "a configured wiring marker is not in the repository",
    # release_gate
    "version_mismatch": "the version files disagree",
    "version_not_found": "the configured version files give no version",
    "no_release": "no release can be named (no version, no --sentry-release)",
    "release_name_invalid": "the release name is not valid in Sentry",
    "release_wiring": "the repository's release wiring does not use the release name",
    "no_build": "no built bundles to check",
    "source_map_invalid": "a built source map is missing or not valid",
    "release_missing": "the release does not exist in Sentry",
    "release_other_project": "the release exists but not for this project",
    "artifact_missing": "a built file is not uploaded for the release",
    "artifact_prefix_wildcard": "uploads match only through Sentry's ~ wildcard prefix",
    "listing_capped": "a listing was cut at its page cap: looked at the first pages only",
    "no_event": "no JavaScript event of the release yet",
    "not_symbolicated": "the newest event of the release does not symbolicate",
    "not_processed": "the event was never symbolicated: no raw stack, or no app frame resolved",
    "event_predates_uploads": "the unresolved event is older than the newest upload",
    "dist_mismatch": "the event's dist differs from the build's",
    "sources_content_missing": "the source maps lack sourcesContent: lines resolve, context not",
    "no_app_frame": "the event has no frame of the app to judge",
    "uploads_unsupported": "the server answers bundles in the 2023 format, which is not read",
    "project_renamed": "Sentry answered 302: the project slug was renamed",
    "replay_missing": "replaying: the cassette holds no answer for a request (nothing was sent)",
    "version_spelling": "the same version is spelled differently and the release takes the raw one",
    # the app's Sentry wiring and privacy
    "capability_not_enabled": "the granting capability is not listed in tauri.conf.json",
    "privacy_pii": "the app's Sentry init sends default personal data",
    "privacy_dsn_committed": "a DSN with a real-looking key is written in the source",
    "privacy_plugin_unregistered": "tauri-plugin-sentry is a dependency but not in the builder",
    "sentry_init_missing": "a Tauri repository without any Sentry initialisation",
    # prod_health, issue_triage, verify_loop
    "high_severity": "high-severity unresolved issues above the threshold: escalate same day",
    "release_regressions": "regressed issues in the release under check",
    "no_session_data": "the release has no session data to judge its crash-free rate",
    "crash_free_below_threshold": "a crash-free rate below its minimum",
    "unexpected_growth": "unresolved issues grew beyond the ratio since the last checkpoint",
    "checkpoint_unwritable": "the checkpoint location cannot be written",
    "checkpoint_refused": "the checkpoint path is a symlink, FIFO or device: left untouched",
    "checkpoint_moved_aside": "the checkpoint did not validate: moved aside, a new baseline starts",
    "urgent_issues": "the likely-urgent triage bucket is not empty",
    "query_unsupported": "this Sentry does not support a query term or field: a fallback was used",
    "not_enough_sessions": "too few sessions for the crash-free rate to mean anything",
    # local_smoke and incident
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
    "ingestion_unhealthy": "the incident's ingestion check failed",
    "tags_missing": "affected events lack their release or environment tag",
    "event_unreadable": "an affected event could not be read",
    "personal_data": "sampled events hold unscrubbed personal data",
    "events_dropped": "Sentry dropped more events than allowed after ingestion (outcomes)",
    "outcomes_unreadable": "the organization's outcomes could not be read (scope or server)",
}

PARTIAL_PREFIX: Final = "PARTIAL: "
SKIP_PREFIX: Final = "not applicable: "
RERUN: Final = " Rerun: {command}"

NETWORK_PARTIAL: Final = (
    "Sentry host {host} is unreachable ({stage}: {detail}); this says nothing about the Sentry "
    "configuration. rerun with host network: {command}"
)
NETWORK_FAIL: Final = (
    "Sentry host {host} is unreachable ({stage}: {detail}) and host network is required "
    "(--require-host-network, or sentry_fail_on=partial: the default in CI)."
)
TOKEN_REJECTED: Final = (
    "Sentry rejected the token (HTTP 401 from {endpoint}): it is wrong, expired or revoked."
)
SCOPE_MISSING: Final = "The token lacks the scope {scope} needed by {endpoint} (HTTP 403)."
PERMISSION_DENIED: Final = "The token is not allowed to read {endpoint} (HTTP 403): {detail}"
NOT_FOUND: Final = "Sentry has no {endpoint} (HTTP 404): {detail}"
RATE_LIMITED: Final = "Sentry rate-limited {endpoint}: {detail}. Retry after {when}."
SERVER_ERROR: Final = "Sentry failed on {endpoint}: {detail}"
MALFORMED: Final = (
    "Sentry answered {endpoint} with a body that is not the documented JSON: {detail}"
)
REPLAY_MISSING: Final = (
    "Replay has no recorded answer for {method} {endpoint}: not in {cassette}; nothing was sent."
)
#: The rerun that records what the cassette lacks (appended to the user's own command).
REPLAY_RECORD: Final = "{rerun} --sentry-record-mode=new_episodes"
TOO_LARGE: Final = "Sentry answered {endpoint} with a body too large to read: {detail}"
TOKEN_INVALID: Final = (
    "The Sentry auth token holds whitespace or a control character (a pasted newline?), so no "
    "request was sent. Set it again without them."
)
NOT_AVAILABLE_YET: Final = (
    "{mode}: not available yet: this version of pytest-sentry-gate has no checks for this mode "
    "(see CHANGELOG.md)."
)
UNREGISTERED_REASON: Final = (
    "reason {reason!r} is not registered in pytest_sentry_gate.verdict.REASONS; add it there "
    "with its meaning"
)

PROJECT_RENAMED: Final = (
    "The project was renamed to {slug!r} (Sentry answered {endpoint} with 302): set "
    "sentry_project = {slug} (or --sentry-project {slug})."
)
TOKEN_MISSING: Final = (
    "No Sentry auth token: set SENTRY_AUTH_TOKEN or [auth] token in .sentryclirc "
    "(never a flag or an ini value)."
)
TOKEN_SCOPES: Final = "event:read, project:releases, org:read, project:read"
#: Opens the page where a personal token is created (the scopes are in the message).
NEW_TOKEN: Final = "python -m webbrowser {server}settings/account/api/auth-tokens/"
#: Reads the new token without echoing it, and exports it for the rerun.
SET_TOKEN: Final = "read -rs SENTRY_AUTH_TOKEN && export SENTRY_AUTH_TOKEN"
#: Shows what Sentry answers for an endpoint, with the token from the environment.
SHOW_ENDPOINT: Final = 'curl -sS -i -H "Authorization: Bearer $SENTRY_AUTH_TOKEN" {url}'


def token_fix(server: str) -> tuple[str, str]:
    """The commands that replace a missing or bad token: open the token page, set it."""
    return NEW_TOKEN.format(server=server), SET_TOKEN


def require_reason(reason: str) -> str:
    """``reason`` if it is registered; otherwise a ``ValueError`` naming the registry."""
    if reason not in REASONS:
        raise ValueError(UNREGISTERED_REASON.format(reason=reason))
    return reason


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


#: The reasons ``verdict_for_error`` gives: a check that ended on one had no facts to judge.
ERROR_REASONS: Final = frozenset(
    {
        "network_unavailable",
        "connection_refused",
        "tls_certificate",
        "token_missing",
        "token_invalid",
        "repo_file",
        "file_refused",
        "slug",
        "read_only_guard",
        "error",
        "token_rejected",
        "missing_scope",
        "permission_denied",
        "not_found",
        "rate_limited",
        "replay_missing",
        "project_renamed",
        "malformed_response",
        "response_too_large",
        "server_error",
    }
)


def verdict_for_error(
    exc: errors.SentryGateError, *, require_network: bool, rerun: str, server: str
) -> tuple[str, str, str, tuple[str, ...]]:
    """``(status, reason, message, next_commands)`` for an error that escaped a check.

    Every verdict but the read-only guard's names at least one runnable command: the token fix,
    the request to look at (``curl`` with the token from the environment), or the rerun.
    """
    if isinstance(exc, errors.NetworkUnavailable):
        command = with_host_network(rerun)
        fields = {"host": exc.host, "stage": exc.stage, "detail": exc.detail, "command": command}
        if require_network:
            return FAIL, "network_unavailable", NETWORK_FAIL.format(**fields), (rerun,)
        return PARTIAL, "network_unavailable", NETWORK_PARTIAL.format(**fields), (command,)
    if isinstance(exc, errors.HostRefused | errors.CertificateProblem):
        return FAIL, exc.reason, str(exc), (rerun,)
    fix = (*token_fix(server), rerun)
    if isinstance(exc, errors.TokenMissing):
        return FAIL, "token_missing", TOKEN_MISSING, fix
    if isinstance(exc, errors.TokenInvalid):
        return FAIL, "token_invalid", TOKEN_INVALID, fix
    if not isinstance(exc, errors.ApiError):
        if isinstance(exc, errors.RepoFileError):
            return FAIL, exc.reason, str(exc), (rerun,)
        if isinstance(exc, errors.SlugError):
            return FAIL, "slug", str(exc), (rerun,)
        if isinstance(exc, errors.ReadOnlyViolation):
            return FAIL, "read_only_guard", str(exc), ()
        if getattr(exc, "verdict_reason", None) in REASONS:  # an error that names its reason
            return FAIL, str(getattr(exc, "verdict_reason", "")), str(exc), (rerun,)
        return FAIL, "error", str(exc), (rerun,)
    show = SHOW_ENDPOINT.format(url=shlex.quote(server + exc.endpoint.lstrip("/")))
    if isinstance(exc, errors.AuthError):
        return FAIL, "token_rejected", TOKEN_REJECTED.format(endpoint=exc.endpoint), fix
    if isinstance(exc, errors.ScopeError):
        if exc.missing_scope:
            message = SCOPE_MISSING.format(scope=exc.missing_scope, endpoint=exc.endpoint)
            return FAIL, "missing_scope", message, fix
        message = PERMISSION_DENIED.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "permission_denied", message, fix
    if isinstance(exc, errors.NotFound):
        message = NOT_FOUND.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "not_found", message, (show, rerun)
    if isinstance(exc, errors.RateLimited):
        message = RATE_LIMITED.format(endpoint=exc.endpoint, detail=exc.message, when=_when(exc))
        return PARTIAL, "rate_limited", message, (rerun,)
    if isinstance(exc, errors.ReplayMissing):
        message = REPLAY_MISSING.format(
            method=exc.method, endpoint=exc.endpoint, cassette=exc.cassette
        )
        rerun = re.sub(r" --sentry-record-mode(=| )\S+", "", rerun)
        return FAIL, "replay_missing", message, (REPLAY_RECORD.format(rerun=rerun),)
    if isinstance(exc, errors.ProjectMoved):
        message = PROJECT_RENAMED.format(slug=exc.slug or "?", endpoint=exc.endpoint)
        fixed = (f"{rerun} --sentry-project {exc.slug}",) if exc.slug else (rerun,)
        return FAIL, "project_renamed", message, fixed
    if isinstance(exc, errors.MalformedResponse):
        message = MALFORMED.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "malformed_response", message, (show, rerun)
    if isinstance(exc, errors.ResponseTooLarge):
        message = TOO_LARGE.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "response_too_large", message, (rerun,)
    message = SERVER_ERROR.format(endpoint=exc.endpoint, detail=exc.message)
    return FAIL, "server_error", message, (show, rerun)


def _when(exc: errors.RateLimited) -> str:
    if exc.reset is None:
        return "a minute"
    moment = datetime.fromtimestamp(exc.reset, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
