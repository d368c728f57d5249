"""release_gate: is this build the release Sentry knows, with its source maps, symbolicating?"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_sentry_gate import releases
from pytest_sentry_gate.repo import bundles, wiring
from pytest_sentry_gate.repo.release import ReleaseTarget, release_name_problems
from pytest_sentry_gate.repo.versions import VersionReport, describe_sources
from pytest_sentry_gate.settings import Settings
from pytest_sentry_gate.verdict import Gate

if TYPE_CHECKING:
    from pytest_sentry_gate.client import SentryClient

pytestmark = pytest.mark.release_gate

VERSION_MISMATCH: Final = "Versions disagree: {sources}. Make every file say the same version."
NO_RELEASE: Final = (
    "No release to check: the version files give no single version (see test_versions_aligned) "
    "and --sentry-release/SENTRY_RELEASE is not set."
)
BAD_RELEASE_NAME: Final = (
    "Release name {name!r} ({source}) is not valid in Sentry: {problems} Fix the value, or "
    "sentry_release_template in the ini file."
)
RELEASE_MISSING: Final = (
    "Release {name!r} does not exist in organization {org}. Newest releases of {project}: {latest}."
)
RELEASE_OTHER_PROJECT: Final = (
    "Release {name!r} exists but belongs to {projects}, not to {project}."
)
BUNDLE_MISSING: Final = "{file} is not uploaded for {release} under {expected}{found}."
TILDE_ONLY: Final = (
    "{count} artifact(s) are uploaded under {found}, not {expected}: Sentry's ~ stands for any "
    "scheme and host, so they should still resolve, but the upload does not match "
    "sentry_url_prefix. Upload under {expected}, or set sentry_url_prefix = {found}."
)
FOUND_ELSEWHERE: Final = " (found under {prefixes})"
NO_EVENT: Final = (
    "No event with a JavaScript stack trace for {release} yet{others}: trigger one controlled "
    "frontend event on this release, then rerun."
)
UPLOAD: Final = (
    "sentry-cli sourcemaps upload --org {org} --project {project} --release {release} "
    "--url-prefix {prefix} --validate --wait {dist}"
)


def _require_release(gate: Gate, target: ReleaseTarget) -> str:
    """The release under check, or "not applicable" when it cannot be named."""
    if target.name is None:
        gate.not_applicable(NO_RELEASE)
    return target.name


def test_versions_aligned(gate: Gate, app_version: VersionReport) -> None:
    """Versions agree across tauri.conf.json, Cargo.toml and package.json (or the ini list)."""
    report = app_version
    if report.error is not None:
        gate.fail(report.error, reason="repo_file")
    gate.record(
        versions={s.file: s.value for s in report.sources},
        notes=[*(f"{s.file}: {s.note}" for s in report.sources if s.note), *report.notes],
        unparseable=list(report.unparseable),
        missing_files=list(report.missing_files),
    )
    if not report.sources:
        gate.not_applicable("no version file found (" + ", ".join(report.missing_files) + ")")
    if not any(source.value for source in report.sources):
        gate.not_applicable("no version in " + describe_sources(report.sources))
    for value in report.unparseable:
        gate.risk(f"version {value!r} is not PEP 440/semver-like: compared as text")
    if report.mismatches or not report.aligned:
        gate.fail(
            VERSION_MISMATCH.format(sources=describe_sources(report.sources)),
            reason="version_mismatch",
        )
    gate.passed(f"version {report.version}: {describe_sources(report.sources)}")


def test_release_name(gate: Gate, sentry_release: ReleaseTarget) -> None:
    """The release name follows the template and is a valid Sentry release name."""
    gate.record(
        release=sentry_release.name, source=sentry_release.source, version=sentry_release.version
    )
    release_name = _require_release(gate, sentry_release)
    problems = release_name_problems(release_name)
    if problems:
        gate.fail(
            BAD_RELEASE_NAME.format(
                name=release_name, source=sentry_release.source, problems=" ".join(problems)
            ),
            reason="release_name_invalid",
        )
    gate.passed(f"release {release_name} ({sentry_release.source})")


def test_release_wiring(
    gate: Gate, sentry_settings: Settings, repo_root: Path, sentry_release: ReleaseTarget
) -> None:
    """The repository's release wiring (Vite plugin, CI SENTRY_RELEASE, ...) uses that name."""
    if sentry_settings.release_wiring:
        markers = wiring.parse_markers(sentry_settings.release_wiring)
    elif wiring.is_tauri_repo(repo_root):
        markers = list(wiring.DEFAULT_TAURI_RELEASE_MARKERS)
    else:
        gate.not_applicable("no sentry_release_wiring markers and not a Tauri repository")
    release_name = _require_release(gate, sentry_release)
    results = wiring.check_markers(
        repo_root,
        markers,
        release=release_name,
        project=sentry_settings.project or "",
        version=sentry_release.version or "",
    )
    gate.record(release=release_name, markers=[r.evidence() for r in results])
    present = [r for r in results if r.present_file]
    for result in results:
        if not result.present_file:
            gate.risk(result.describe())
    if not present:
        gate.not_applicable(
            "none of the release wiring files exist: " + "; ".join(r.describe() for r in results)
        )
    missing = [r for r in present if not r.found]
    if missing:
        gate.fail(
            "release wiring does not use "
            + repr(release_name)
            + ": "
            + "; ".join(r.describe() for r in missing),
            reason="release_wiring",
        )
    gate.passed(f"{len(present)} release wiring marker(s) found")


@pytest.fixture(scope="module")
def bundle_scan(sentry_settings: Settings, repo_root: Path) -> bundles.BundleScan:
    """The built bundles under the dist directory."""
    return bundles.scan_bundles(repo_root / sentry_settings.dist_dir)


def _build_command(repo_root: Path, dist_dir: str) -> str:
    package = repo_root / "package.json"
    try:
        scripts = json.loads(package.read_text(encoding="utf-8")).get("scripts", {})
    except (OSError, ValueError, AttributeError):
        scripts = {}
    if isinstance(scripts, dict) and "build" in scripts:
        return f"npm --prefix {shlex.quote(str(repo_root))} run build"
    return f"build the app so that its bundles land in {repo_root / dist_dir}"


def test_built_bundles(
    gate: Gate, sentry_settings: Settings, repo_root: Path, bundle_scan: bundles.BundleScan
) -> None:
    """Every built bundle has its source map (or a debug id); maps are valid version-3 JSON."""
    scan = bundle_scan
    gate.record(
        dist_dir=sentry_settings.dist_dir,
        exists=scan.exists,
        bundles=[b.name for b in scan.bundles],
        hashed=[b.name for b in scan.bundles if b.hashed],
        debug_ids={b.name: b.debug_id for b in scan.bundles if b.debug_id},
    )
    if not scan.exists or not scan.bundles:
        build = _build_command(repo_root, sentry_settings.dist_dir)
        gate.next(build)
        gate.partial(
            f"no built bundles in {sentry_settings.dist_dir}: build first ({build}), then rerun.",
            reason="no_build",
        )
    if scan.problems:
        gate.fail("; ".join(scan.problems), reason="source_map_invalid")
    gate.passed(f"{len(scan.bundles)} bundle(s) with valid source maps")


@pytest.fixture(scope="module")
def sentry_side(
    sentry_client: SentryClient, sentry_org: str, sentry_project: str, sentry_release: ReleaseTarget
) -> None:
    """The Sentry-side checks' independent requests, fetched concurrently once."""
    if sentry_release.name is not None:
        releases.prefetch(sentry_client, sentry_org, sentry_project, sentry_release.name)


@pytest.mark.usefixtures("sentry_side")
def test_release_visible(
    gate: Gate,
    sentry_client: SentryClient,
    sentry_org: str,
    sentry_project: str,
    sentry_release: ReleaseTarget,
) -> None:
    """The release exists in Sentry and is associated with this project."""
    name = _require_release(gate, sentry_release)
    detail = releases.release_detail(sentry_client, sentry_org, name)
    create = f"sentry-cli releases new --org {sentry_org} --project {sentry_project} {name}"
    if detail is None:
        pid = releases.project_id(sentry_client, sentry_org, sentry_project)
        latest = releases.latest_releases(sentry_client, sentry_org, pid)
        gate.record(release=name, exists=False, latest_releases=latest)
        gate.fail(
            RELEASE_MISSING.format(
                name=name,
                org=sentry_org,
                project=sentry_project,
                latest=", ".join(latest) or "none",
            ),
            reason="release_missing",
            next_commands=(create,),
        )
    projects = [str(p.get("slug")) for p in detail.get("projects") or ()]
    gate.record(
        release=name,
        exists=True,
        projects=projects,
        date_created=detail.get("dateCreated"),
        new_groups=detail.get("newGroups"),
    )
    if sentry_project not in projects:
        gate.fail(
            RELEASE_OTHER_PROJECT.format(
                name=name, projects=", ".join(projects) or "none", project=sentry_project
            ),
            reason="release_other_project",
            next_commands=(create,),
        )
    gate.passed(f"release {name} exists for {sentry_project}")


@pytest.mark.usefixtures("sentry_side")
def test_artifacts_uploaded(
    gate: Gate,
    sentry_settings: Settings,
    sentry_client: SentryClient,
    sentry_org: str,
    sentry_project: str,
    sentry_release: ReleaseTarget,
    bundle_scan: bundles.BundleScan,
) -> None:
    """The bundles and maps are uploaded for the release under the URL prefix (or by debug id)."""
    release_name = _require_release(gate, sentry_release)
    prefix = sentry_settings.url_prefix
    upload = UPLOAD.format(
        org=sentry_org,
        project=sentry_project,
        release=release_name,
        prefix=shlex.quote(prefix),
        dist=sentry_settings.dist_dir,
    )
    if not bundle_scan.bundles:
        gate.partial(
            f"no built bundles in {sentry_settings.dist_dir} to compare with Sentry",
            reason="no_build",
        )
    held = releases.uploaded(sentry_client, sentry_org, sentry_project, release_name)
    expected = bundles.expected_artifact_names(bundle_scan, prefix)
    index = held.by_basename()
    missing: list[str] = []
    by_debug_id: list[str] = []
    by_wildcard: list[str] = []
    for bundle in bundle_scan.bundles:
        if bundle.debug_id and bundle.debug_id.lower() in held.debug_ids:
            by_debug_id.append(bundle.name)
            continue
        for name in (bundle.name, bundle.map_name):
            if name is None or name == bundles.INLINE_MAP:
                continue
            url = bundles.join_url(prefix, name)
            if url in held.names:
                continue
            if bundles.tilde_form(url) in held.names:
                by_wildcard.append(bundles.tilde_form(url))
                continue
            others = sorted({bundles.split_prefix(n)[0] for n in index.get(name, [])})
            found = FOUND_ELSEWHERE.format(prefixes=", ".join(others)) if others else ""
            missing.append(
                BUNDLE_MISSING.format(file=name, release=release_name, expected=prefix, found=found)
            )
    gate.record(
        release=release_name,
        url_prefix=prefix,
        expected=expected,
        uploaded_count=len(held.names),
        matched_by_debug_id=by_debug_id,
        matched_by_tilde=by_wildcard,
        **held.sources,
    )
    if missing:
        gate.fail(" ".join(missing), reason="artifact_missing", next_commands=(upload,))
    if by_wildcard:
        tilde = bundles.split_prefix(by_wildcard[0])[0]
        gate.next(upload)
        gate.partial(
            TILDE_ONLY.format(count=len(by_wildcard), found=tilde, expected=prefix),
            reason="artifact_prefix_wildcard",
        )
    gate.passed(f"{len(bundle_scan.bundles)} bundle(s) uploaded for {release_name} under {prefix}")


@pytest.mark.usefixtures("sentry_side")
def test_release_symbolicates(
    gate: Gate,
    sentry_settings: Settings,
    sentry_client: SentryClient,
    sentry_org: str,
    sentry_project: str,
    sentry_release: ReleaseTarget,
) -> None:
    """The newest JS event of the release symbolicates: same release, prefix, no map errors."""
    name, prefix = _require_release(gate, sentry_release), sentry_settings.url_prefix
    pid = releases.project_id(sentry_client, sentry_org, sentry_project)
    found = releases.newest_js_event(
        sentry_client, sentry_org, pid, name, sentry_settings.stats_period
    )
    if found.event is None or found.issue is None:
        gate.record(
            release=name,
            window=sentry_settings.stats_period,
            newest_events_from=list(found.other_releases),
        )
        others = (
            f" (the newest events of its issues come from {', '.join(found.other_releases)})"
            if found.other_releases
            else ""
        )
        gate.partial(NO_EVENT.format(release=name, others=others), reason="no_event")
    result = releases.analyse(found.event, found.issue, prefix)
    gate.record(release=name, url_prefix=prefix, **result.evidence())
    failures = []
    if result.wrong_prefix:
        failures.append(
            f"frame URLs {', '.join(result.wrong_prefix[:3])} do not start with {prefix}"
        )
    failures.extend(f"{p.kind} at {p.frame}: {p.detail}" for p in result.problems)
    if failures and result.problems:
        _debug_first_frame(gate, sentry_client, sentry_org, sentry_project, result.event_id)
    if failures:
        gate.fail(
            f"{result.issue} (event {result.event_id}) does not symbolicate: "
            + "; ".join(failures),
            reason="not_symbolicated",
        )
    gate.passed(
        f"event {result.event_id} of {name} symbolicates "
        f"({result.resolved_frames} frame(s) resolved)"
    )


def _debug_first_frame(
    gate: Gate, client: SentryClient, org: str, project: str, event_id: str
) -> None:
    """Where the token may (project:read), ask Sentry's source-map debugger about the event."""
    from pytest_sentry_gate import errors

    try:
        verdict = releases.source_map_debug(client, org, project, event_id)
    except errors.ApiError as exc:
        gate.risk(f"source-map debug unavailable: {exc}")
        return
    gate.record(source_map_debug=verdict)
