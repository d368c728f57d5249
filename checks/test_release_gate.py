"""release_gate: is this build the release Sentry knows, with its source maps, symbolicating?"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Final, TypeVar

import pytest

from pytest_sentry_gate.repo import bundles, wiring
from pytest_sentry_gate.repo.release_name import release_name_problems
from pytest_sentry_gate.repo.versions import describe_sources
from pytest_sentry_gate.verdict import first_of

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.sentry.release_facts import (
        ReleaseLookup,
        SymbolicationFacts,
        Uploaded,
    )
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.release_gate

VERSION_MISMATCH: Final = "Versions disagree: {sources}. Make every file say the same version."
NO_RELEASE: Final = (
    "No release to check: the version files give no single version (see test_versions_aligned) "
    "and --sentry-release/SENTRY_RELEASE is not set. Name it: {command} --sentry-release=<name>"
)
VERSION_NOT_FOUND: Final = (
    "sentry_version_files ({source}) names where the version lives, but {where}. Fix the entry "
    "(file, or file:dotted.key) so that it points at the version."
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
INVALID_RELEASE: Final = "the release name is not valid in Sentry (see test_release_name)"
_F = TypeVar("_F")
UPLOAD: Final = (
    "sentry-cli sourcemaps upload --org {org} --project {project} --release {release} "
    "--url-prefix {prefix} --validate --wait {dist}"
)


def _require_release(sentry_check: Check, target: ReleaseTarget) -> str:
    """The release under check, or PARTIAL when it cannot be named: a release gate that checked
    no release has not passed."""
    if target.name is None:
        sentry_check.partial(NO_RELEASE.format(command=sentry_check.rerun), reason="no_release")
    return target.name


def _require_fact(sentry_check: Check, fact: _F | None) -> _F:
    """A release fact, or "not applicable" when the release name is not valid in Sentry."""
    if fact is None:
        sentry_check.not_applicable(INVALID_RELEASE)
    return fact


def test_versions_aligned(
    sentry_check: Check, sentry_settings: Settings, sentry_app_version: VersionReport
) -> None:
    """Versions agree across tauri.conf.json, Cargo.toml and package.json (or the ini list)."""
    report = sentry_app_version
    configured = bool(sentry_settings.version_files)
    source = sentry_settings.sources.get("version_files", "sentry_version_files")
    if report.error is not None:
        sentry_check.fail(report.error, reason="repo_file")
    sentry_check.record(
        versions={s.file: s.value for s in report.sources},
        notes=[*(f"{s.file}: {s.note}" for s in report.sources if s.note), *report.notes],
        unparseable=list(report.unparseable),
        missing_files=list(report.missing_files),
    )
    if not report.sources:
        where = "no such file: " + ", ".join(report.missing_files)
        if configured:
            sentry_check.fail(
                VERSION_NOT_FOUND.format(source=source, where=where), reason="version_not_found"
            )
        sentry_check.not_applicable(
            "no version file found (" + ", ".join(report.missing_files) + ")"
        )
    if not any(s.value for s in report.sources):
        where = "no version in " + describe_sources(report.sources)
        if configured:
            sentry_check.fail(
                VERSION_NOT_FOUND.format(source=source, where=where), reason="version_not_found"
            )
        sentry_check.not_applicable(where)
    for value in report.unparseable:
        sentry_check.risk(f"version {value!r} is not PEP 440/semver-like: compared as text")
    if report.mismatches or not report.aligned:
        sentry_check.fail(
            VERSION_MISMATCH.format(sources=describe_sources(report.sources)),
            reason="version_mismatch",
        )
    sentry_check.passed(f"version {report.version}: {describe_sources(report.sources)}")


def test_release_name(sentry_check: Check, sentry_release: ReleaseTarget) -> None:
    """The release name follows the template and is a valid Sentry release name."""
    sentry_check.record(
        release=sentry_release.name, source=sentry_release.source, version=sentry_release.version
    )
    release_name = _require_release(sentry_check, sentry_release)
    problems = release_name_problems(release_name)
    if problems:
        sentry_check.fail(
            BAD_RELEASE_NAME.format(
                name=release_name, source=sentry_release.source, problems=" ".join(problems)
            ),
            reason="release_name_invalid",
        )
    sentry_check.passed(f"release {release_name} ({sentry_release.source})")


def test_release_wiring(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_repo_root: Path,
    sentry_release: ReleaseTarget,
) -> None:
    """The repository's release wiring (Vite plugin, CI SENTRY_RELEASE, ...) uses that name."""
    if sentry_settings.release_wiring:
        markers = wiring.parse_markers(sentry_settings.release_wiring)
    elif wiring.is_tauri_repo(sentry_repo_root):
        markers = list(wiring.DEFAULT_TAURI_RELEASE_MARKERS)
    else:
        sentry_check.not_applicable("no sentry_release_wiring markers and not a Tauri repository")
    release_name = _require_release(sentry_check, sentry_release)
    results = wiring.check_markers(
        sentry_repo_root,
        markers,
        release=release_name,
        project=sentry_settings.project or "",
        version=sentry_release.version or "",
    )
    sentry_check.record(release=release_name, markers=[r.evidence() for r in results])
    present = [r for r in results if r.present_file]
    for result in results:
        if not result.present_file:
            sentry_check.risk(result.describe())
    if not present:
        sentry_check.not_applicable(
            "none of the release wiring files exist: " + "; ".join(r.describe() for r in results)
        )
    missing = [r for r in present if not r.found]
    if missing:
        sentry_check.fail(
            "release wiring does not use "
            + repr(release_name)
            + ": "
            + "; ".join(r.describe() for r in missing),
            reason="release_wiring",
        )
    sentry_check.passed(f"{len(present)} release wiring marker(s) found")


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
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_repo_root: Path,
    sentry_bundle_scan: bundles.BundleScan,
) -> None:
    """Every built bundle has its source map (or a debug id); maps are valid version-3 JSON."""
    scan = sentry_bundle_scan
    sentry_check.record(
        dist_dir=sentry_settings.dist_dir,
        exists=scan.exists,
        bundles=[b.name for b in scan.bundles],
        hashed=[b.name for b in scan.bundles if b.hashed],
        debug_ids={b.name: b.debug_id for b in scan.bundles if b.debug_id},
    )
    if not scan.exists or not scan.bundles:
        build = _build_command(sentry_repo_root, sentry_settings.dist_dir)
        sentry_check.next(build)
        sentry_check.partial(
            f"no built bundles in {sentry_settings.dist_dir}: build first ({build}), then rerun.",
            reason="no_build",
        )
    if scan.problems:
        sentry_check.fail("; ".join(scan.problems), reason="source_map_invalid")
    sentry_check.passed(f"{len(scan.bundles)} bundle(s) with valid source maps")


def test_release_visible(
    sentry_check: Check,
    sentry_org: str,
    sentry_project: str,
    sentry_release: ReleaseTarget,
    sentry_release_lookup: ReleaseLookup | None,
) -> None:
    """The release exists in Sentry and is associated with this project."""
    name = _require_release(sentry_check, sentry_release)
    lookup = _require_fact(sentry_check, sentry_release_lookup)
    create = f"sentry-cli releases new --org {sentry_org} --project {sentry_project} {name}"
    if not lookup.exists:
        sentry_check.record(release=name, exists=False, latest_releases=list(lookup.latest))
        sentry_check.fail(
            RELEASE_MISSING.format(
                name=name,
                org=sentry_org,
                project=sentry_project,
                latest=", ".join(lookup.latest) or "none",
            ),
            reason="release_missing",
            next_commands=(create,),
        )
    sentry_check.record(
        release=name,
        exists=True,
        projects=list(lookup.projects),
        date_created=lookup.date_created,
        new_groups=lookup.new_groups,
    )
    if sentry_project not in lookup.projects:
        sentry_check.fail(
            RELEASE_OTHER_PROJECT.format(
                name=name, projects=", ".join(lookup.projects) or "none", project=sentry_project
            ),
            reason="release_other_project",
            next_commands=(create,),
        )
    sentry_check.passed(f"release {name} exists for {sentry_project}")


def test_artifacts_uploaded(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_org: str,
    sentry_project: str,
    sentry_release: ReleaseTarget,
    sentry_bundle_scan: bundles.BundleScan,
    sentry_uploads: Uploaded | None,
) -> None:
    """The bundles and maps are uploaded for the release under the URL prefix (or by debug id)."""
    release_name = _require_release(sentry_check, sentry_release)
    held = _require_fact(sentry_check, sentry_uploads)
    prefix = sentry_settings.url_prefix
    upload = UPLOAD.format(
        org=sentry_org,
        project=sentry_project,
        release=release_name,
        prefix=shlex.quote(prefix),
        dist=sentry_settings.dist_dir,
    )
    scan = sentry_bundle_scan
    if not scan.bundles:
        sentry_check.partial(
            f"no built bundles in {sentry_settings.dist_dir} to compare with Sentry",
            reason="no_build",
        )
    expected = bundles.expected_artifact_names(scan, prefix)
    index = held.by_basename()
    missing: list[str] = []
    by_debug_id: list[str] = []
    by_wildcard: list[str] = []
    for bundle in scan.bundles:
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
    sentry_check.record(
        release=release_name,
        url_prefix=prefix,
        expected=expected,
        uploaded_count=len(held.names),
        matched_by_debug_id=by_debug_id,
        matched_by_tilde=by_wildcard,
        listing_capped=list(held.capped),
        **held.sources,
    )
    if missing:
        sentry_check.fail(
            first_of(missing, sep=" "), reason="artifact_missing", next_commands=(upload,)
        )
    if by_wildcard:
        tilde = bundles.split_prefix(by_wildcard[0])[0]
        sentry_check.next(upload)
        sentry_check.partial(
            TILDE_ONLY.format(count=len(by_wildcard), found=tilde, expected=prefix),
            reason="artifact_prefix_wildcard",
        )
    if held.capped:
        sentry_check.partial(
            "every built file was found, but " + "; ".join(held.capped), reason="listing_capped"
        )
    sentry_check.passed(f"{len(scan.bundles)} bundle(s) uploaded for {release_name} under {prefix}")


def test_release_symbolicates(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_release: ReleaseTarget,
    sentry_symbolication: SymbolicationFacts | None,
) -> None:
    """The newest JS event of the release symbolicates: same release, prefix, no map errors."""
    name, prefix = _require_release(sentry_check, sentry_release), sentry_settings.url_prefix
    facts = _require_fact(sentry_check, sentry_symbolication)
    found, result = facts.newest, facts.analysis
    if result is None:
        sentry_check.record(
            release=name,
            window=sentry_settings.stats_period,
            newest_events_from=list(found.other_releases),
        )
        others = (
            f" (the newest events of its issues come from {', '.join(found.other_releases)})"
            if found.other_releases
            else ""
        )
        sentry_check.partial(NO_EVENT.format(release=name, others=others), reason="no_event")
    sentry_check.record(release=name, url_prefix=prefix, **result.evidence())
    if facts.source_map_debug is not None:
        sentry_check.record(source_map_debug=facts.source_map_debug)
    if facts.debug_unavailable is not None:
        sentry_check.risk(f"source-map debug unavailable: {facts.debug_unavailable}")
    failures = []
    if result.wrong_prefix:
        failures.append(
            f"frame URLs {', '.join(result.wrong_prefix[:3])} do not start with {prefix}"
        )
    failures.extend(f"{p.kind} at {p.frame}: {p.detail}" for p in result.problems)
    if failures:
        sentry_check.fail(
            f"{result.issue} (event {result.event_id}) does not symbolicate: "
            + "; ".join(failures),
            reason="not_symbolicated",
        )
    sentry_check.passed(
        f"event {result.event_id} of {name} symbolicates "
        f"({result.resolved_frames} frame(s) resolved)"
    )
