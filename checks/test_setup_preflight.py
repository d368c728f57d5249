"""setup_preflight: is this machine, this token and this repository ready for the runbook?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pytest

from pytest_sentry_gate.modes import setup_preflight as messages
from pytest_sentry_gate.redact import without_userinfo
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.verdict import TOKEN_MISSING, TOKEN_SCOPES, token_fix

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_sentry_gate.replay import Recorder
    from pytest_sentry_gate.repo.privacy import PrivacyScan
    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.repo.sentry_cli import CliTool
    from pytest_sentry_gate.repo.wiring import CapabilityResult, WiringResult
    from pytest_sentry_gate.sentry.auth import AuthFacts
    from pytest_sentry_gate.sentry.discovery import Resolution
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.setup_preflight


def test_settings_resolved(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_cassette: Recorder | None,
    sentry_cli_tool: CliTool | None,
) -> None:
    """Settings resolved: org, project, server and a token (never shown), each with its source.
    A replay sends nothing, so it needs no token."""
    conf = sentry_settings
    replay = sentry_cassette is not None and sentry_cassette.replay_only
    sentry_check.record(
        org=conf.org,
        projects=list(conf.projects),
        server=conf.host,
        token_present=conf.token is not None,
        repo_root=str(conf.repo_root),
        environment=conf.environment,
        record_mode=conf.record_mode,
        sources={k: v for k, v in conf.sources.items() if k in _SHOWN_SOURCES},
        sentry_cli=sentry_cli_tool.evidence() if sentry_cli_tool else None,
    )
    if conf.token is None and not replay:
        sentry_check.fail(
            TOKEN_MISSING,
            reason="token_missing",
            next_commands=(*token_fix(without_userinfo(conf.url)), sentry_check.rerun),
        )
    sentry_check.passed(messages.resolved(conf))


_SHOWN_SOURCES: Final = ("org", "project", "url", "token", "repo_root", "release", "environment")


def test_token_accepted(
    sentry_check: Check, sentry_settings: Settings, sentry_auth: AuthFacts
) -> None:
    """The token is accepted by the server (GET /api/0/ names its scopes)."""
    sentry_check.record(endpoint="/api/0/", authenticated=sentry_auth.authenticated)
    if not sentry_auth.authenticated:
        sentry_check.fail(
            messages.TOKEN_NOT_ACCEPTED,
            reason="token_rejected",
            next_commands=(*token_fix(without_userinfo(sentry_settings.url)), sentry_check.rerun),
        )
    sentry_check.passed(messages.TOKEN_ACCEPTED)


def test_token_scopes(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_auth: AuthFacts,
    sentry_selected_modes: tuple[str, ...],
) -> None:
    """The token's scopes grant every endpoint the selected modes read, as Sentry judges them."""
    scopes = list(sentry_auth.scopes)
    table = endpoints.for_modes(sentry_selected_modes)
    sentry_check.record(
        scopes=scopes,
        token_kind=sentry_auth.kind,
        modes=list(sentry_selected_modes),
        endpoints=[e.name for e in table],
    )
    fix = (*token_fix(without_userinfo(sentry_settings.url)), sentry_check.rerun)
    if sentry_auth.org_ci_only:
        sentry_check.fail(
            messages.ORG_CI_TOKEN.format(scopes=TOKEN_SCOPES),
            reason="org_ci_token",
            next_commands=fix,
        )
    refused = endpoints.ungranted(scopes, table)
    if refused:
        sentry_check.record(ungranted={e.name: e.needed for e in refused})
        sentry_check.fail(
            messages.missing_scopes(scopes, sentry_selected_modes, refused),
            reason="missing_scope",
            next_commands=fix,
        )
    sentry_check.passed(messages.SCOPES_GRANT.format(scopes=", ".join(scopes), count=len(table)))


def test_organization_exists(sentry_check: Check, sentry_org_resolution: Resolution) -> None:
    """The organization slug exists (a single candidate is auto-selected and said so)."""
    resolution = sentry_org_resolution
    sentry_check.record(**resolution.evidence())
    if resolution.auto_selected:
        sentry_check.passed(
            messages.AUTO_SELECTED.format(what=messages.ORGANIZATION, slug=resolution.slug),
            reason="auto_selected",
        )
        return
    sentry_check.passed(messages.ORG_EXISTS.format(slug=resolution.slug))


def test_project_exists(
    sentry_check: Check, sentry_org: str, sentry_project_resolutions: tuple[Resolution, ...]
) -> None:
    """Each project slug exists in the organization (a single candidate is auto-selected)."""
    first = sentry_project_resolutions[0]
    sentry_check.record(org=sentry_org, projects=[r.evidence() for r in sentry_project_resolutions])
    if first.auto_selected:
        sentry_check.passed(
            messages.AUTO_SELECTED.format(what=messages.PROJECT, slug=first.slug),
            reason="auto_selected",
        )
        return
    slugs = ", ".join(r.slug for r in sentry_project_resolutions)
    sentry_check.passed(messages.PROJECTS_EXIST.format(slugs=slugs))


def test_tauri_capability(
    sentry_check: Check, sentry_repo_root: Path, sentry_tauri_capabilities: CapabilityResult | None
) -> None:
    """Tauri v2 repositories grant the Sentry plugin its permission (sentry:default)."""
    result = sentry_tauri_capabilities
    if result is None:
        sentry_check.not_applicable(messages.NOT_TAURI.format(root=sentry_repo_root))
    sentry_check.record(**result.evidence())
    for risk in result.risks:
        sentry_check.risk(risk)
    if (unread := result.unread_failure) is not None:
        sentry_check.fail(result.message, reason=unread.reason)
    if not result.found:
        sentry_check.fail(
            result.message,
            reason="capability_not_enabled" if result.not_enabled else "capability_missing",
            next_commands=(sentry_check.rerun,),
            fixes=(result.fix,) if result.fix else (),
        )
    sentry_check.passed(result.message)


def test_sentry_privacy(
    sentry_check: Check,
    sentry_repo_root: Path,
    sentry_tauri_repo: bool,
    sentry_privacy_scan: PrivacyScan,
) -> None:
    """The app's Sentry init sends no default PII, scrubs events, reads its DSN from the env."""
    scan = sentry_privacy_scan
    sentry_check.record(**scan.evidence())
    if not scan.inits and not scan.failures:
        if not sentry_tauri_repo:
            sentry_check.not_applicable(messages.NO_INIT_FOUND.format(root=sentry_repo_root))
        sentry_check.fail(
            messages.INIT_MISSING,
            reason="sentry_init_missing",
            next_commands=(sentry_check.rerun,),
            fixes=(messages.INIT_FIX,),
        )
    for finding in scan.risks:
        sentry_check.risk(finding.message)
    if scan.failures:
        sentry_check.fail(
            "; ".join(finding.message for finding in scan.failures),
            reason=messages.privacy_reason(scan.failures),
            next_commands=(sentry_check.rerun,),
            fixes=tuple(dict.fromkeys(f.fix for f in scan.failures if f.fix)),
        )
    sentry_check.passed(messages.privacy_ok(scan))


def test_wiring_markers(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_release: ReleaseTarget,
    sentry_wiring_results: tuple[WiringResult, ...],
) -> None:
    """The repository's Sentry wiring (ini sentry_wiring: file + expected text) is in place."""
    if not sentry_settings.wiring:
        sentry_check.not_applicable(messages.NO_WIRING)
    results = sentry_wiring_results
    sentry_check.record(markers=[r.evidence() for r in results], release=sentry_release.name)
    for skipped in (r for r in results if not r.present_file):
        sentry_check.risk(skipped.describe())
    missing = [r for r in results if r.present_file and not r.found]
    if missing:
        notes = "; ".join(r.describe() for r in missing)
        sentry_check.fail(messages.WIRING_NOT_FOUND.format(notes=notes), reason="wiring_missing")
    sentry_check.passed(messages.wiring_found(results))
