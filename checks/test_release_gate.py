"""release_gate: is this build the release Sentry knows, with its source maps, symbolicating?"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn, TypeVar

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate.modes import release_gate as messages
from pytest_sentry_gate.release_rules import (
    UploadMatch,
    match_uploads,
    missing_version,
    names_version,
    symbolication_failures,
    unresolved_cause,
    version_evidence,
)
from pytest_sentry_gate.repo import bundles
from pytest_sentry_gate.repo.release_name import FROM_EXPLICIT, release_name_problems
from pytest_sentry_gate.repo.versions import describe_sources
from pytest_sentry_gate.text import first_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pytest_sentry_gate.repo.build import BuildHint
    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.repo.wiring import WiringResult
    from pytest_sentry_gate.sentry.release_facts import ReleaseLookup, SymbolicationFacts
    from pytest_sentry_gate.sentry.uploads import Uploaded
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.verdict import Check

pytestmark = pytest.mark.release_gate

_F = TypeVar("_F")


def _require_release(sentry_check: Check, target: ReleaseTarget) -> str:
    """The release under check, or PARTIAL when it cannot be named: a release gate that checked
    no release has not passed."""
    if target.name is None:
        sentry_check.partial(
            messages.NO_RELEASE.format(command=sentry_check.rerun), reason="no_release"
        )
    return target.name


def _require_fact(sentry_check: Check, fact: _F | None) -> _F:
    """A release fact, or "not applicable" when the release name is not valid in Sentry."""
    if fact is None:
        sentry_check.not_applicable(messages.INVALID_RELEASE)
    return fact


def test_versions_aligned(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_app_version: VersionReport,
    sentry_project_slug: Callable[[Iterable[str]], str],
) -> None:
    """Versions agree across tauri.conf.json, Cargo.toml and package.json (or the ini list)."""
    report, configured = sentry_app_version, sentry_settings.sources.get("version_files")
    if report.error is not None:
        sentry_check.fail(report.error, reason=report.error_reason)
    sentry_check.record(**version_evidence(report))
    absent = missing_version(report)
    if absent is not None:
        where, shown = absent
        if configured not in (None, "default"):
            not_found = messages.VERSION_NOT_FOUND.format(source=configured, where=where)
            sentry_check.fail(not_found, reason="version_not_found")
        sentry_check.not_applicable(shown)
    for value in report.unparseable:
        sentry_check.risk(messages.UNPARSEABLE.format(value=value))
    if report.mismatches or not report.aligned:
        sentry_check.fail(
            messages.VERSION_MISMATCH.format(sources=describe_sources(report.sources)),
            reason="version_mismatch",
        )
    if len(report.spellings) > 1:
        _judge_spellings(sentry_check, sentry_settings, report, sentry_project_slug)
    sources = describe_sources(report.sources)
    sentry_check.passed(messages.VERSIONS_ALIGNED.format(version=report.version, sources=sources))


def _judge_spellings(
    sentry_check: Check,
    conf: Settings,
    report: VersionReport,
    project_slug: Callable[[Iterable[str]], str],
) -> None:
    """Same version, different strings: a FAIL when the release name takes the raw string."""
    template = conf.release_template
    if conf.release or "{version}" not in template:
        sentry_check.risk(messages.spelling_risk(conf, report))
        return
    try:  # the configured project, else the discovered one (discovery asks Sentry)
        project = project_slug([template]) or "{project}"
    except errors.SentryGateError:  # Sentry cannot say: the names keep the placeholder
        project = "{project}"
    sources = describe_sources(report.sources)
    sentry_check.fail(
        messages.version_spelling(report, sources, template, project), reason="version_spelling"
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
            messages.BAD_RELEASE_NAME.format(
                name=release_name, source=sentry_release.source, problems=" ".join(problems)
            ),
            reason="release_name_invalid",
        )
    version, given = sentry_release.version, sentry_release.source == FROM_EXPLICIT
    if given and version and not names_version(release_name, version):
        sentry_check.risk(
            messages.NOT_THE_VERSION.format(
                name=release_name, source=sentry_release.source, version=version
            )
        )
    sentry_check.passed(
        messages.RELEASE_NAMED.format(name=release_name, source=sentry_release.source)
    )


def test_release_wiring(
    sentry_check: Check,
    sentry_release: ReleaseTarget,
    sentry_release_wiring_results: tuple[WiringResult, ...] | None,
) -> None:
    """The repository's release wiring (Vite plugin, CI SENTRY_RELEASE, ...) uses that name."""
    results = sentry_release_wiring_results
    if results is None:
        sentry_check.not_applicable(messages.NO_RELEASE_WIRING)
    release_name = _require_release(sentry_check, sentry_release)
    sentry_check.record(release=release_name, markers=[r.evidence() for r in results])
    present = [r for r in results if r.present_file]
    for result in results:
        if not result.present_file:
            sentry_check.risk(result.describe())
    if not present:
        notes = "; ".join(r.describe() for r in results)
        sentry_check.not_applicable(messages.NO_WIRING_FILES.format(notes=notes))
    missing = [r for r in present if not r.found]
    if missing:
        fixes = tuple(r.fix for r in missing if r.fix)
        message = messages.wiring_missing(release_name, missing, fixes)
        again = (sentry_check.rerun,)
        sentry_check.fail(message, reason="release_wiring", next_commands=again, fixes=fixes)
    sentry_check.passed(messages.WIRING_FOUND.format(count=len(present)))


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
            messages.NO_BUILD.format(dist_dir=sentry_settings.dist_dir, build=build),
            reason="no_build",
        )
    if scan.capped:
        sentry_check.risk(messages.BUNDLES_CAPPED.format(cap=bundles.MAX_BUNDLES))
    if scan.problems:
        sentry_check.fail("; ".join(scan.problems), reason="source_map_invalid")
    sentry_check.passed(messages.MAPS_VALID.format(count=len(scan.bundles)))


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
    create = messages.create_command(sentry_org, sentry_project, name)
    sentry_check.record(release=name, **lookup.evidence())
    if not lookup.exists:
        latest = messages.listed(lookup.latest)
        missing = messages.RELEASE_MISSING.format(
            name=name, org=sentry_org, project=sentry_project, latest=latest
        )
        sentry_check.fail(missing, reason="release_missing", next_commands=(create,))
    if sentry_project not in lookup.projects:
        sentry_check.fail(
            messages.RELEASE_OTHER_PROJECT.format(
                name=name, projects=messages.listed(lookup.projects), project=sentry_project
            ),
            reason="release_other_project",
            next_commands=(create,),
        )
    sentry_check.passed(messages.RELEASE_VISIBLE.format(name=name, project=sentry_project))


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
    release = _require_release(sentry_check, sentry_release)
    held = _require_fact(sentry_check, sentry_uploads)
    conf, scan, prefix = sentry_settings, sentry_bundle_scan, sentry_settings.url_prefix
    upload = messages.upload_command(conf, sentry_org, sentry_project, release)
    if not scan.bundles:
        no_build = messages.NO_BUILD_TO_COMPARE.format(dist_dir=conf.dist_dir)
        sentry_check.partial(no_build, reason="no_build")
    matched = match_uploads(scan.bundles, held, prefix, conf.dist)
    missing = [messages.missing_text(m, release, prefix, conf.dist) for m in matched.missing]
    _record_uploads(sentry_check, conf, release, scan, held, matched)
    if missing and held.unsupported:
        why = messages.UPLOADS_UNSUPPORTED.format(missing=len(missing), why=held.unsupported)
        sentry_check.partial(why, reason="uploads_unsupported")
    if matched.outside:
        _unserved(sentry_check, sentry_org, sentry_project, release, matched, held, upload)
    if missing:
        first = first_of(missing, sep=" ")
        sentry_check.fail(first, reason="artifact_missing", next_commands=(upload,))
    if matched.by_wildcard:
        tilde = bundles.split_prefix(matched.by_wildcard[0])[0]
        sentry_check.next(upload)
        wildcard = messages.TILDE_ONLY.format(
            count=len(matched.by_wildcard), found=tilde, expected=prefix
        )
        sentry_check.partial(wildcard, reason="artifact_prefix_wildcard")
    if held.capped:
        found_all = messages.FOUND_BUT_CAPPED.format(capped="; ".join(held.capped))
        sentry_check.partial(found_all, reason="listing_capped")
    uploaded = messages.UPLOADED.format(count=len(scan.bundles), release=release, prefix=prefix)
    sentry_check.passed(uploaded)


def _unserved(
    sentry_check: Check,
    org: str,
    project: str,
    release: str,
    matched: UploadMatch,
    held: Uploaded,
    upload: str,
) -> NoReturn:
    """FAIL: built files uploaded only as files of a release of other projects. Adding the
    project to the release is the fix; the upload command only for files not uploaded at all."""
    projects = held.outside.projects if held.outside else ()
    count = len(matched.missing)
    words = messages.files_other_project(matched.outside, count, release, projects, project)
    associate = messages.create_command(org, project, release)
    again = (associate, upload) if count > len(matched.outside) else (associate,)
    sentry_check.fail(words, reason="release_files_other_project", next_commands=again)


def _record_uploads(
    sentry_check: Check,
    conf: Settings,
    release: str,
    scan: bundles.BundleScan,
    held: Uploaded,
    matched: UploadMatch,
) -> None:
    sentry_check.record(
        release=release,
        url_prefix=conf.url_prefix,
        expected=bundles.expected_artifact_names(scan, conf.url_prefix),
        uploaded_count=len(held.names),
        matched_by_debug_id=list(matched.by_debug_id),
        matched_by_tilde=list(matched.by_wildcard),
        listing_capped=list(held.capped),
        dist=conf.dist,
        debug_id_lookup=held.debug_lookup,
        **held.sources,
    )
    if held.outside is not None:
        sentry_check.record(
            release_projects=list(held.outside.projects),
            release_files_outside_project=len(held.outside.files),
        )


def test_release_symbolicates(
    sentry_check: Check,
    sentry_settings: Settings,
    sentry_release: ReleaseTarget,
    sentry_symbolication: SymbolicationFacts | None,
) -> None:
    """The newest JS event of the release symbolicates: its app frames resolved, no map errors."""
    name, prefix = _require_release(sentry_check, sentry_release), sentry_settings.url_prefix
    facts = _require_fact(sentry_check, sentry_symbolication)
    result = facts.analysis
    if result is None:
        _no_event(sentry_check, name, facts, sentry_settings.stats_period)
    _record_symbolication(sentry_check, name, prefix, facts, sentry_settings.dist)
    fields = {"issue": result.issue, "event_id": result.event_id, "release": name}
    if not result.judged_frames:
        others = messages.listed(result.not_judged[:5])
        no_frame = messages.NO_APP_FRAME.format(prefix=prefix, others=others, **fields)
        sentry_check.partial(no_frame, reason="no_app_frame")
    failures = symbolication_failures(result, prefix)
    if failures:
        broken = messages.DOES_NOT_SYMBOLICATE.format(failures="; ".join(failures), **fields)
        sentry_check.fail(broken, reason="not_symbolicated")
    if not result.resolved:
        cause = unresolved_cause(
            result, predates_uploads=facts.predates_uploads, dist=sentry_settings.dist
        )
        message = messages.unresolved_message(cause, facts, sentry_settings, **fields)
        judge = sentry_check.partial if cause == "event_predates_uploads" else sentry_check.fail
        judge(message, reason=cause)
    if result.of("partial"):
        sentry_check.partial(
            messages.SOURCES_CONTENT.format(**fields), reason="sources_content_missing"
        )
    resolved, judged = result.resolved_frames, result.judged_frames
    sentry_check.passed(messages.SYMBOLICATES.format(resolved=resolved, judged=judged, **fields))


def _no_event(sentry_check: Check, name: str, facts: SymbolicationFacts, window: str) -> NoReturn:
    found = facts.newest
    sentry_check.record(release=name, window=window, newest_events_from=list(found.other_releases))
    sentry_check.partial(messages.no_event(name, found.other_releases), reason="no_event")


def _record_symbolication(
    sentry_check: Check, name: str, prefix: str, facts: SymbolicationFacts, dist: str | None
) -> None:
    assert facts.analysis is not None
    sentry_check.record(release=name, url_prefix=prefix, **facts.analysis.evidence())
    sentry_check.record(uploads_newest=facts.uploads_newest, dist=dist)
    if facts.source_map_debug is not None:
        sentry_check.record(source_map_debug=facts.source_map_debug)
    if facts.debug_unavailable is not None:
        sentry_check.record(source_map_debug_unavailable=facts.debug_unavailable)
        sentry_check.risk(messages.DEBUG_UNAVAILABLE.format(why=facts.debug_unavailable))
