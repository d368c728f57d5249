"""The words of a verdict: the four statuses and every reason code a check result may carry.

``REASONS`` maps each code to what it means, in sections; the report schema
(``report.schema.json``) enumerates exactly these (``scripts/sync_generated.py`` writes them and a
test holds them equal), and ``Check`` refuses any other through ``require_reason``. A mode's own
codes are declared with the mode (``modes/<name>.py``); the others here, each at the end of its
section.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from pytest_sentry_gate import modes

PASS: Final = "PASS"
FAIL: Final = "FAIL"
PARTIAL: Final = "PARTIAL"
SKIP: Final = "SKIP"
STATUSES: Final = (PASS, FAIL, PARTIAL, SKIP)
#: The report's overall status when pytest stopped before the checks could give their verdicts.
ERROR: Final = "ERROR"

#: The reason codes of no one mode: the plugin's own, the settings and the token, the transport
#: and the API answers, the repository files. A new one goes at the end of its section.
COMMON_REASONS: Final[dict[str, str]] = {
    "ok": "the check held",
    "error": "the check raised an unexpected exception (a bug in the check or the plugin)",
    "not_applicable": "the check does not apply to this repository's layout",
    "not_available_yet": "the selected mode has no checks in this version",
    "interrupted": "pytest stopped before the checks ran (collection error, usage error, -x)",
    # settings and the token
    "token_missing": "no token is configured (SENTRY_AUTH_TOKEN or .sentryclirc)",
    "token_invalid": "the token holds whitespace or control characters: nothing was sent",
    "token_rejected": "Sentry answered 401: the token is wrong, expired or revoked",
    "missing_scope": "the token lacks a scope an endpoint needs (403)",
    "permission_denied": "403 without a named scope",
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
    # record and replay, and a project that moved
    "project_renamed": "Sentry answered 302: the project slug was renamed",
    "replay_missing": "replaying: the cassette holds no answer for a request (nothing was sent)",
}


#: Every reason code a check result may carry, and what it means: the common ones, then each
#: mode's own (``modes/<name>.py``), in run order. The report schema enumerates exactly these (a
#: test holds them equal), and ``Check`` refuses any other.
class _Reasons(Mapping[str, str]):
    """``COMMON_REASONS``, then each mode's own codes in run order, as ``modes.MODES`` declares
    them at the moment of asking: a mode a plugin registers later (``modes.register``) brings its
    codes, and a mode it replaces takes its old ones away. Built again only when ``modes.MODES``
    is a new tuple (each registration makes one): a check's verdict looks its code up here."""

    def __init__(self) -> None:
        self._for: object = None
        self._codes: dict[str, str] = {}

    def _current(self) -> dict[str, str]:
        declared = modes.MODES
        if declared is not self._for:
            own = {code: meaning for mode in declared for code, meaning in mode.reasons.items()}
            self._codes, self._for = {**COMMON_REASONS, **own}, declared
        return self._codes

    def __getitem__(self, code: str) -> str:
        return self._current()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"REASONS({self._current()!r})"


REASONS: Final[Mapping[str, str]] = _Reasons()

UNREGISTERED_REASON: Final = (
    "reason {reason!r} is not registered in pytest_sentry_gate.verdict.REASONS; declare it with "
    "its meaning in reasons.COMMON_REASONS, in its mode's REASONS (modes/<mode>.py), or in the "
    "Mode a plugin registers"
)


def require_reason(reason: str) -> str:
    """``reason`` if it is registered; otherwise a ``ValueError`` naming the registry."""
    if reason not in REASONS:
        raise ValueError(UNREGISTERED_REASON.format(reason=reason))
    return reason
