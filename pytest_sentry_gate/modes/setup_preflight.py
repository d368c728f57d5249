"""The setup_preflight mode, declared once (its checks: ``checks/test_setup_preflight.py``).

Are the settings, the token and its scopes, the slugs and the repository wiring right?
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.modes.mode import Mode

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
)
