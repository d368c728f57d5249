"""An error that escaped a check, turned into the verdict it stands for (no API problem ends in a
traceback): its status, reason code, message and the runnable commands that fix it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.reasons import FAIL, PARTIAL, REASONS
from pytest_sentry_gate.rerun import with_host_network, with_option

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
    exc: errors.SentryGateError,
    *,
    require_network: bool,
    rerun: str,
    server: str,
    projects: tuple[str, ...] = (),
    slug_options: Mapping[str, tuple[str, str]],
) -> tuple[str, str, str, tuple[str, ...]]:
    """``(status, reason, message, next_commands)`` for an error that escaped a check
    (``projects``: the configured project slugs, for a rerun that corrects one of them;
    ``slug_options``: the pytest flag and the ``sentry-gate`` option that set the org and the
    projects, ``settings.SLUG_OPTIONS``, handed in so that this module reads no settings table).

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
            return FAIL, "slug", str(exc), (_suggested(exc, rerun, projects, slug_options),)
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
        return FAIL, "project_renamed", message, (_renamed(exc, rerun, projects, slug_options),)
    if isinstance(exc, errors.MalformedResponse):
        message = MALFORMED.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "malformed_response", message, (show, rerun)
    if isinstance(exc, errors.ResponseTooLarge):
        message = TOO_LARGE.format(endpoint=exc.endpoint, detail=exc.message)
        return FAIL, "response_too_large", message, (rerun,)
    message = SERVER_ERROR.format(endpoint=exc.endpoint, detail=exc.message)
    return FAIL, "server_error", message, (show, rerun)


def _suggested(
    exc: errors.SlugError,
    rerun: str,
    projects: tuple[str, ...],
    slug_options: Mapping[str, tuple[str, str]],
) -> str:
    """The rerun with the slug to try instead (the closest match; the only candidate when none
    was set), when there is one."""
    if exc.setting is None or exc.suggested is None:
        return rerun
    options = slug_options.get(exc.setting)
    if options is None:
        return rerun
    return _with_slug(rerun, options, exc.setting, exc.given, exc.suggested, projects)


def _renamed(
    exc: errors.ProjectMoved,
    rerun: str,
    projects: tuple[str, ...],
    slug_options: Mapping[str, tuple[str, str]],
) -> str:
    """The rerun with the project's new slug in place of the old one (read from the endpoint
    that answered 302: ``/api/0/projects/<org>/<old>/…``)."""
    parts = exc.endpoint.strip("/").split("/")
    options = slug_options.get("projects")
    if not exc.slug or parts[:3] != ["api", "0", "projects"] or len(parts) < 5 or not options:
        return rerun
    return _with_slug(rerun, options, "projects", parts[4], exc.slug, projects)


def _with_slug(
    rerun: str,
    options: tuple[str, str],
    setting: str,
    old: str | None,
    new: str,
    projects: tuple[str, ...],
) -> str:
    """``rerun`` with the slug ``new`` in place of ``old`` (``None``: none was set) where the
    command gives it through one of ``options`` (in a comma list of projects, that item alone);
    else with the option added: the organization, or every configured project with ``old``
    replaced (a run of several projects stays one)."""
    several = setting == "projects" and old in projects
    added = ",".join(new if p == old else p for p in projects) if several else new
    return with_option(rerun, options, new, instead_of=old, added=added)


def _when(exc: errors.RateLimited) -> str:
    if exc.reset is None:
        return "a minute"
    moment = datetime.fromtimestamp(exc.reset, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
