"""setup_preflight: is this machine, this token and this repository ready for the runbook?"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate.discovery import AUTO_SELECTED, Resolution, resolve_project
from pytest_sentry_gate.repo import wiring
from pytest_sentry_gate.repo.release import ReleaseTarget
from pytest_sentry_gate.settings import Settings
from pytest_sentry_gate.verdict import NEW_TOKEN, SET_TOKEN, TOKEN_MISSING, TOKEN_SCOPES, Gate

if TYPE_CHECKING:
    from pytest_sentry_gate.client import SentryClient

pytestmark = pytest.mark.setup_preflight

REQUIRED_SCOPES: Final = ("event:read", "project:releases", "org:read")
DEBUG_SCOPE: Final = "project:read"
ORG_CI_TOKEN: Final = (
    "The token is an organization auth token (scopes: org:ci only). It can upload releases and "
    "source maps in CI, but cannot read issues, events, projects or organizations: use a "
    "personal or internal-integration token with {scopes} for triage."
)
MISSING_SCOPES: Final = "The token lacks {missing} (has: {has}). Needed: {needed}."
DEBUG_SCOPE_MISSING: Final = (
    "The token lacks project:read: everything runs except source-map debugging of events."
)


def test_settings_resolved(gate: Gate, sentry_settings: Settings) -> None:
    """Settings resolved: org, project, server and a token (never shown), each with its source."""
    conf = sentry_settings
    gate.record(
        org=conf.org,
        projects=list(conf.projects),
        server=conf.host,
        token_present=conf.token is not None,
        repo_root=str(conf.repo_root),
        environment=conf.environment,
        record_mode=conf.record_mode,
        sources={k: v for k, v in conf.sources.items() if k in _SHOWN_SOURCES},
        sentry_cli=_sentry_cli(),
    )
    if conf.token is None:
        gate.fail(
            TOKEN_MISSING,
            reason="token_missing",
            next_commands=(NEW_TOKEN, SET_TOKEN),
        )
    gate.passed(
        f"server {conf.host}, org {conf.org or '(discover)'}, "
        f"project {','.join(conf.projects) or '(discover)'}, token from "
        f"{conf.sources['token']}"
    )


_SHOWN_SOURCES: Final = ("org", "project", "url", "token", "repo_root", "release", "environment")


def _sentry_cli() -> dict[str, Any] | None:
    """sentry-cli is never required; when it is on PATH, its path and version are evidence."""
    path = shutil.which("sentry-cli")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env={"SENTRY_DISABLE_UPDATE_CHECK": "true"},
        )
        version = done.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        version = None
    return {"path": path, "version": version}


def _auth_info(client: SentryClient) -> tuple[list[str], bool]:
    """Scopes of the token, and whether a user stands behind it, from ``GET /api/0/``."""
    data = client.get_json("/api/0/")
    auth = data.get("auth") if isinstance(data, dict) else None
    scopes = auth.get("scopes") if isinstance(auth, dict) else None
    has_user = isinstance(data, dict) and data.get("user") is not None
    return (sorted(str(s) for s in scopes) if isinstance(scopes, list) else []), has_user


def test_token_accepted(gate: Gate, sentry_client: SentryClient) -> None:
    """The token is accepted by the server (GET /api/0/ names its scopes)."""
    data = sentry_client.get_json("/api/0/")
    auth = data.get("auth") if isinstance(data, dict) else None
    gate.record(endpoint="/api/0/", authenticated=auth is not None)
    if auth is None:
        gate.fail(
            "GET /api/0/ answered without an authenticated token: the server did not accept it.",
            reason="token_rejected",
            next_commands=(NEW_TOKEN, SET_TOKEN),
        )
    gate.passed("the server accepted the token")


def test_token_scopes(gate: Gate, sentry_client: SentryClient) -> None:
    """The token holds event:read, project:releases and org:read (and project:read)."""
    scopes, has_user = _auth_info(sentry_client)
    org_token = scopes == ["org:ci"] and not has_user
    gate.record(
        scopes=scopes,
        token_kind="organization (org:ci)"
        if org_token
        else ("user" if has_user else "internal integration or unknown"),
    )
    fix = (NEW_TOKEN, SET_TOKEN)
    if org_token:
        gate.fail(
            ORG_CI_TOKEN.format(scopes=TOKEN_SCOPES), reason="org_ci_token", next_commands=fix
        )
    missing = [s for s in REQUIRED_SCOPES if s not in scopes]
    if missing:
        gate.fail(
            MISSING_SCOPES.format(
                missing=", ".join(missing),
                has=", ".join(scopes) or "none",
                needed=", ".join(REQUIRED_SCOPES),
            ),
            reason="missing_scope",
            next_commands=fix,
        )
    if DEBUG_SCOPE not in scopes:
        gate.risk(DEBUG_SCOPE_MISSING)
        gate.next(*fix)
        gate.partial(DEBUG_SCOPE_MISSING, reason="missing_debug_scope")
    gate.passed(f"scopes: {', '.join(scopes)}")


def test_organization_exists(gate: Gate, org_resolution: Resolution) -> None:
    """The organization slug exists (a single candidate is auto-selected and said so)."""
    gate.record(**org_resolution.evidence())
    if org_resolution.auto_selected:
        gate.passed(
            AUTO_SELECTED.format(what="organization", slug=org_resolution.slug),
            reason="auto_selected",
        )
        return
    gate.passed(f"organization {org_resolution.slug!r} exists")


def test_project_exists(
    gate: Gate,
    sentry_settings: Settings,
    sentry_client: SentryClient,
    sentry_org: str,
    project_resolution: Resolution,
) -> None:
    """Each project slug exists in the organization (a single candidate is auto-selected)."""
    resolutions = [project_resolution]
    source = sentry_settings.sources.get("project", "default")
    for slug in sentry_settings.projects[1:]:
        resolutions.append(
            resolve_project(sentry_client, sentry_org, slug, source=source, auto=False)
        )
    gate.record(org=sentry_org, projects=[r.evidence() for r in resolutions])
    if project_resolution.auto_selected:
        gate.passed(
            AUTO_SELECTED.format(what="project", slug=project_resolution.slug),
            reason="auto_selected",
        )
        return
    gate.passed("projects exist: " + ", ".join(r.slug for r in resolutions))


def test_tauri_capability(gate: Gate, repo_root: Path) -> None:
    """Tauri v2 repositories grant the Sentry plugin its permission (sentry:default)."""
    if not wiring.is_tauri_repo(repo_root):
        gate.not_applicable(f"{repo_root} has no src-tauri/: not a Tauri repository")
    result = wiring.tauri_capability_check(repo_root)
    gate.record(**result.evidence())
    if not result.found:
        gate.fail(
            result.message,
            reason="capability_missing",
            next_commands=(result.fix,) if result.fix else (),
        )
    gate.passed(result.message)


def test_wiring_markers(
    gate: Gate, sentry_settings: Settings, repo_root: Path, sentry_release: ReleaseTarget
) -> None:
    """The repository's Sentry wiring (ini sentry_wiring: file + expected text) is in place."""
    if not sentry_settings.wiring:
        gate.not_applicable("no sentry_wiring markers configured in the ini file")
    results = wiring.check_markers(
        repo_root,
        wiring.parse_markers(sentry_settings.wiring),
        release=sentry_release.name or "",
        project=sentry_settings.project or "",
        version=sentry_release.version or "",
    )
    gate.record(markers=[r.evidence() for r in results], release=sentry_release.name)
    for skipped in (r for r in results if not r.present_file):
        gate.risk(skipped.describe())
    missing = [r for r in results if r.present_file and not r.found]
    if missing:
        gate.fail(
            "wiring not found: " + "; ".join(r.describe() for r in missing), reason="wiring_missing"
        )
    found = sum(r.found for r in results)
    absent = len(results) - sum(r.present_file for r in results)
    note = f"; {absent} marker file(s) absent (see risks)" if absent else ""
    gate.passed(f"{found} of {len(results)} wiring marker(s) found{note}")
