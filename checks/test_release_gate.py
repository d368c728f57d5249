"""release_gate: is this build the release Sentry knows, with its source maps, symbolicating?"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Final, TypeVar

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.repo import bundles, wiring
from pytest_sentry_gate.repo.release_name import release_name_problems
from pytest_sentry_gate.repo.versions import describe_sources
from pytest_sentry_gate.text import first_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from pytest_sentry_gate.repo.build import BuildHint
    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.sentry.release_facts import ReleaseLookup, SymbolicationFacts
    from pytest_sentry_gate.sentry.uploads import Uploaded
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.release_gate

VERSION_MISMATCH: Final = "Versions disagree: {sources}. Make every file say the same version."
VERSION_SPELLING: Final = (
    "Versions are spelled differently: {sources}. The release name is built from the raw string "
    "({template}) and Sentry compares release names as text, so {names} are different releases. "
    "Write {spellings} the same way in every file."
)
SPELLING_RISK: Final = (
    "{spellings} are spelled differently; harmless for {release} ({source}), but any wiring "
    "that builds the release from a file's raw version publishes another release."
)
RELEASE_WIRING_MISSING: Final = "The release wiring does not use {release}: {problems}."
RELEASE_WIRING_FIX: Final = " To fix: {fixes}."
BUNDLES_CAPPED: Final = "more than {cap} bundles: only the first {cap} (by name) were scanned"
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
WRONG_DIST: Final = (
    "{file} is uploaded for {release} only under dist {found}, but the build carries dist "
    "{expected} (sentry_dist): Sentry matches release and dist."
)
UPLOADS_UNSUPPORTED: Final = "{missing} files not found, and {why}."
NOT_PROCESSED: Final = (
    "{issue} (event {event_id}) was never symbolicated: {why}. Upload the source maps for "
    "{release} under {prefix}, then trigger a new event."
)
NO_RAW_STACK: Final = (
    "it has no rawStacktrace, so Sentry's JavaScript processing did not run or failed"
)
SAME_FRAMES: Final = "none of its {count} app frame(s) differs from its minified frame"
PREDATES_UPLOADS: Final = (
    "{issue} (event {event_id}, {event_date}) was not symbolicated, but it predates the newest "
    "upload ({uploaded}): trigger one controlled frontend event on {release}, then rerun."
)
DIST_MISMATCH: Final = (
    "{issue} (event {event_id}) was not symbolicated: the event carries dist {event_dist}, the "
    "build dist {expected} (sentry_dist); Sentry matches release and dist."
)
PROCESSING_FAILED: Final = "{kind}: Sentry's symbolicator failed, frames stay minified"
SOURCES_CONTENT: Final = (
    "{issue} (event {event_id}): lines resolve but the source context is missing "
    "(js_missing_sources_content: the maps have no sourcesContent). Build the maps with "
    "sourcesContent and upload them again."
)
NO_APP_FRAME: Final = (
    "{issue} (event {event_id}) has no frame of the app ({prefix}) to judge; frames not judged: "
    "{others}."
)
NO_EVENT: Final = (
    "No event with a JavaScript stack trace for {release} yet{others}: trigger one controlled "
    "frontend event on this release, then rerun."
)
INVALID_RELEASE: Final = "the release name is not valid in Sentry (see test_release_name)"
_F = TypeVar("_F")
UPLOAD: Final = (
    "sentry-cli sourcemaps upload --org {org} --project {project} --release {release} "
    "--url-prefix {prefix} --validate --wait{dist_flag} {dist}"
)


def _dist_name(dist: str | None) -> str:
    return repr(dist) if dist else "none"


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
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_app_version: VersionReport,
    sentry_project_slug: Callable[[Iterable[str]], str],
) -> None:
    """Versions agree across tauri.conf.json, Cargo.toml and package.json (or the ini list)."""
    report = sentry_app_version
    configured = sentry_settings.sources.get("version_files", "default") != "default"
    source = sentry_settings.sources.get("version_files", "sentry_version_files")
    if report.error is not None:
        sentry_check.fail(report.error, reason=report.error_reason)
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
    if len(report.spellings) > 1:
        _judge_spellings(sentry_check, sentry_settings, report, sentry_project_slug)
    sentry_check.passed(f"version {report.version}: {describe_sources(report.sources)}")


def _judge_spellings(
    sentry_check: Check,
    conf: Settings,
    report: VersionReport,
    project_slug: Callable[[Iterable[str]], str],
) -> None:
    """Same version, different strings: a FAIL when the release name takes the raw string."""
    spellings = " and ".join(repr(value) for value in report.spellings)
    template = conf.release_template
    if conf.release or "{version}" not in template:
        source = "--sentry-release/SENTRY_RELEASE" if conf.release else f"template {template}"
        release = conf.release or template
        sentry_check.risk(SPELLING_RISK.format(spellings=spellings, release=release, source=source))
        return
    try:  # the configured project, else the discovered one (discovery asks Sentry)
        project = project_slug([template]) or "{project}"
    except errors.SentryGateError:  # Sentry cannot say: the names keep the placeholder
        project = "{project}"
    names = " and ".join(
        template.replace("{project}", project).replace("{version}", value)
        for value in report.spellings
    )
    sentry_check.fail(
        VERSION_SPELLING.format(
            sources=describe_sources(report.sources),
            template=template,
            names=names,
            spellings=spellings,
        ),
        reason="version_spelling",
    )


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
    sentry_project_slug: Callable[[Iterable[str]], str],
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
        project=sentry_project_slug(m.expected for m in markers),
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
        fixes = [r.fix for r in missing if r.fix]
        message = RELEASE_WIRING_MISSING.format(
            release=release_name, problems="; ".join(r.describe() for r in missing)
        )
        if fixes:
            message += RELEASE_WIRING_FIX.format(fixes="; ".join(fixes))
        sentry_check.fail(
            message,
            reason="release_wiring",
            next_commands=(sentry_check.rerun,),
            fixes=tuple(fixes),
        )
    sentry_check.passed(f"{len(present)} release wiring marker(s) found")


def test_built_bundles(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_bundle_scan: bundles.BundleScan,
    sentry_build_command: BuildHint,
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
        build = sentry_build_command.text
        if sentry_build_command.command is None:
            sentry_check.fix(build)
        else:
            sentry_check.next(build)
        sentry_check.partial(
            f"no built bundles in {sentry_settings.dist_dir}: build first ({build}), then rerun.",
            reason="no_build",
        )
    if scan.capped:
        sentry_check.risk(BUNDLES_CAPPED.format(cap=bundles.MAX_BUNDLES))
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
    create = shlex.join(
        ["sentry-cli", "releases", "new", "--org", sentry_org, "--project", sentry_project, name]
    )
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
        release=shlex.quote(release_name),
        prefix=shlex.quote(prefix),
        dist=shlex.quote(sentry_settings.dist_dir),
        dist_flag=f" --dist {shlex.quote(sentry_settings.dist)}" if sentry_settings.dist else "",
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
            tilde = bundles.tilde_form(url)
            if sentry_settings.dist in held.dists_of(url):
                continue
            if sentry_settings.dist in held.dists_of(tilde):
                by_wildcard.append(tilde)
                continue
            dists = held.dists_of(url) or held.dists_of(tilde)
            if dists:
                missing.append(
                    WRONG_DIST.format(
                        file=name,
                        release=release_name,
                        found=", ".join(_dist_name(d) for d in dists),
                        expected=_dist_name(sentry_settings.dist),
                    )
                )
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
        dist=sentry_settings.dist,
        debug_id_lookup=held.debug_lookup,
        **held.sources,
    )
    if missing and held.unsupported:
        sentry_check.partial(
            UPLOADS_UNSUPPORTED.format(missing=len(missing), why=held.unsupported),
            reason="uploads_unsupported",
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
    """The newest JS event of the release symbolicates: its app frames resolved, no map errors."""
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
    sentry_check.record(uploads_newest=facts.uploads_newest, dist=sentry_settings.dist)
    if facts.source_map_debug is not None:
        sentry_check.record(source_map_debug=facts.source_map_debug)
    if facts.debug_unavailable is not None:
        sentry_check.record(source_map_debug_unavailable=facts.debug_unavailable)
        sentry_check.risk(f"source-map debug unavailable: {facts.debug_unavailable}")
    fields = {"issue": result.issue, "event_id": result.event_id, "release": name}
    if not result.judged_frames:
        others = ", ".join(result.not_judged[:5]) or "none"
        sentry_check.partial(
            NO_APP_FRAME.format(prefix=prefix, others=others, **fields), reason="no_app_frame"
        )
    failures = []
    if result.wrong_prefix:
        failures.append(
            f"frame URLs {', '.join(result.wrong_prefix[:3])} do not start with {prefix}"
        )
    failures.extend(PROCESSING_FAILED.format(kind=p.kind) for p in result.of("processing_failed"))
    failures.extend(f"{p.kind} at {p.frame}: {p.detail}" for p in result.of("fail"))
    if failures:
        sentry_check.fail(
            f"{result.issue} (event {result.event_id}) does not symbolicate: "
            + "; ".join(failures),
            reason="not_symbolicated",
        )
    if not result.resolved:
        if facts.predates_uploads:
            sentry_check.partial(
                PREDATES_UPLOADS.format(
                    event_date=result.date_created, uploaded=facts.uploads_newest, **fields
                ),
                reason="event_predates_uploads",
            )
        if result.event_dist != sentry_settings.dist:
            sentry_check.fail(
                DIST_MISMATCH.format(
                    event_dist=_dist_name(result.event_dist),
                    expected=_dist_name(sentry_settings.dist),
                    **fields,
                ),
                reason="dist_mismatch",
            )
        why = NO_RAW_STACK if result.raw_missing else SAME_FRAMES.format(count=result.judged_frames)
        sentry_check.fail(
            NOT_PROCESSED.format(why=why, prefix=prefix, **fields), reason="not_processed"
        )
    if result.of("partial"):
        sentry_check.partial(SOURCES_CONTENT.format(**fields), reason="sources_content_missing")
    sentry_check.passed(
        f"event {result.event_id} of {name} symbolicates "
        f"({result.resolved_frames} of {result.judged_frames} app frame(s) resolved)"
    )
