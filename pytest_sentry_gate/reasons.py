"""The words of a verdict: the four statuses and every reason code a check result may carry.

``REASONS`` maps each code to what it means, in sections; the report schema
(``report.schema.json``) enumerates exactly these (``scripts/sync_generated.py`` writes them and a
test holds them equal), and ``Check`` refuses any other through ``require_reason``. A new code goes
at the end of its section (or, from a branch that adds codes, at the end of the table).
"""

from __future__ import annotations

from typing import Final

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
}

UNREGISTERED_REASON: Final = (
    "reason {reason!r} is not registered in pytest_sentry_gate.verdict.REASONS; add it there "
    "with its meaning"
)


def require_reason(reason: str) -> str:
    """``reason`` if it is registered; otherwise a ``ValueError`` naming the registry."""
    if reason not in REASONS:
        raise ValueError(UNREGISTERED_REASON.format(reason=reason))
    return reason
