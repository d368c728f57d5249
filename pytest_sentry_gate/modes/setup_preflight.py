"""The setup_preflight mode, declared once (its checks: ``checks/test_setup_preflight.py``).

Are the settings, the token and its scopes, the slugs and the repository wiring right?
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pytest_sentry_gate.modes.mode import Mode

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pytest_sentry_gate.repo.privacy import Finding, PrivacyScan
    from pytest_sentry_gate.repo.wiring import WiringResult
    from pytest_sentry_gate.sentry.endpoints import Endpoint
    from pytest_sentry_gate.settings import Settings

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
    "org_ci_token": "an organization (org:ci) token: it cannot read issues or events",
    "auto_selected": "a slug was not configured and its only candidate was selected",
    "capability_missing": "the Tauri capability for Sentry is missing",
    "wiring_missing": "a configured wiring marker is not in the repository",
    "capability_not_enabled": "the granting capability is not listed in tauri.conf.json",
    "privacy_pii": "the app's Sentry init sends default personal data",
    "privacy_dsn_committed": "a DSN with a real-looking key is written in the source",
    "privacy_plugin_unregistered": "tauri-plugin-sentry is a dependency but not in the builder",
    "sentry_init_missing": "a Tauri repository without any Sentry initialisation",
}

# -- the messages of its checks (``checks/test_setup_preflight.py``) and their words -----------

RESOLVED: Final = "server {host}, org {org}, project {projects}, {token}"
#: A slug not configured, for discovery to find.
DISCOVER: Final = "(discover)"
TOKEN_FROM: Final = "token from {source}"
NO_TOKEN: Final = "no token (a replay)"
TOKEN_NOT_ACCEPTED: Final = (
    "GET /api/0/ answered without an authenticated token: the server did not accept it."
)
TOKEN_ACCEPTED: Final = "the server accepted the token"
SCOPES_GRANT: Final = "scopes: {scopes} grant the {count} endpoint(s) read"
AUTO_SELECTED: Final = "{what} {slug!r} auto-selected: it is the only one this token can see"
ORGANIZATION: Final = "organization"
PROJECT: Final = "project"
ORG_EXISTS: Final = "organization {slug!r} exists"
PROJECTS_EXIST: Final = "projects exist: {slugs}"
ORG_CI_TOKEN: Final = (
    "The token is an organization auth token (scopes: org:ci only). It can upload releases and "
    "source maps in CI, but cannot read issues, events, projects or organizations: use a "
    "personal or internal-integration token with {scopes} for triage."
)
MISSING_SCOPES: Final = (
    "The token lacks {missing} (has: {has}), which the selected modes ({modes}) need for: "
    "{endpoints}."
)
UNGRANTED: Final = "{name} ({template}: any of {alternatives})"
NOT_TAURI: Final = "{root} has no src-tauri/: not a Tauri repository"
NO_INIT_FOUND: Final = "no Sentry initialisation found in the source of {root}"
INIT_MISSING: Final = (
    "No Sentry initialisation found in this Tauri repository: no sentry::init / "
    "tauri_plugin_sentry in src-tauri, no Sentry.init in the frontend."
)
INIT_FIX: Final = (
    "initialise Sentry in src-tauri/src/lib.rs (sentry::init with send_default_pii: false and a "
    "before_send) and register .plugin(tauri_plugin_sentry::init(&client))"
)
NO_WIRING: Final = "no sentry_wiring markers configured in the ini file"
WIRING_NOT_FOUND: Final = "wiring not found: {notes}"
WIRING_FOUND: Final = "{found} of {count} wiring marker(s) found{absent}"
FILES_ABSENT: Final = "; {count} marker file(s) absent (see risks)"
PRIVACY_OK: Final = (
    "Sentry initialised at {inits}: no default PII, DSN from the environment{scrubbed}"
)
UNSCRUBBED: Final = "; {count} without a before_send/beforeSend scrubber (see risks)"
SCRUBBED: Final = ", events scrubbed (before_send/beforeSend)"
#: One reason per check: the most serious rule broken, in this order.
PRIVACY_REASONS: Final = (
    ("pii", "privacy_pii"),
    ("dsn", "privacy_dsn_committed"),
    ("plugin", "privacy_plugin_unregistered"),
)


def resolved(conf: Settings) -> str:
    """The settings resolved: server, org, project (or what discovery is to find), the token's
    source (never the token)."""
    token = TOKEN_FROM.format(source=conf.sources["token"]) if conf.token else NO_TOKEN
    return RESOLVED.format(
        host=conf.host,
        org=conf.org or DISCOVER,
        projects=",".join(conf.projects) or DISCOVER,
        token=token,
    )


def wiring_found(results: Sequence[WiringResult]) -> str:
    """How many markers were found, and how many files to look in were absent."""
    absent = len(results) - sum(r.present_file for r in results)
    note = FILES_ABSENT.format(count=absent) if absent else ""
    return WIRING_FOUND.format(found=sum(r.found for r in results), count=len(results), absent=note)


def missing_scopes(scopes: Sequence[str], modes: Sequence[str], refused: Sequence[Endpoint]) -> str:
    """The scopes the token lacks, and for each endpoint it may not read the scopes that would
    grant it."""
    return MISSING_SCOPES.format(
        missing=", ".join(dict.fromkeys(e.needed for e in refused)),
        has=", ".join(scopes) or "none",
        modes=", ".join(modes),
        endpoints="; ".join(
            UNGRANTED.format(
                name=e.name, template=e.template, alternatives=", ".join(sorted(e.scopes))
            )
            for e in refused
        ),
    )


def privacy_reason(failures: Iterable[Finding]) -> str:
    """The reason code of the most serious privacy rule broken (``PRIVACY_REASONS`` order)."""
    rules = {finding.rule for finding in failures}
    return next(code for rule, code in PRIVACY_REASONS if rule in rules)


def privacy_ok(scan: PrivacyScan) -> str:
    scrubbed = UNSCRUBBED.format(count=len(scan.risks)) if scan.risks else SCRUBBED
    return PRIVACY_OK.format(inits=", ".join(scan.inits), scrubbed=scrubbed)


MODE: Final = Mode(
    name="setup_preflight",
    order=10,
    help="settings, token, scopes, org/project slugs and repository wiring",
    in_loop=True,
    summary=(
        "settings resolved (token present, never shown; `sentry-cli` reported when on PATH); "
        "token accepted (`GET /api/0/`); the token's scopes grant every endpoint the selected"
        " modes read, judged as Sentry judges them (any of each endpoint's scopes; "
        "`org:admin` implies `org:write` and `org:read`); an `org:ci`-only organization token"
        " is named as such; organization and project exist (slug discovery); Tauri v2 "
        "capability grants `sentry:default`; configured wiring markers"
    ),
    reasons=REASONS,
    settings=(
        "org",
        "projects",
        "url",
        "token",
        "repo_root",
        "environment",
        "wiring",
        "auto_slug_discovery",
    ),
    endpoints=(),
    prefetch=("auth",),  # the token's own facts: only the preflight reads them
    repository_checks=("test_tauri_capability", "test_sentry_privacy", "test_wiring_markers"),
)
