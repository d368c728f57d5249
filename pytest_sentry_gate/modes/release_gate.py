"""The release_gate mode, declared once (its checks: ``checks/test_release_gate.py``).

Is this build the release Sentry knows, with its source maps, symbolicating?
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from pytest_sentry_gate.modes.mode import Mode

if TYPE_CHECKING:
    from pytest_sentry_gate.release_rules import MissingUpload
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.repo.wiring import WiringResult
    from pytest_sentry_gate.sentry.release_facts import SymbolicationFacts
    from pytest_sentry_gate.settings import Settings

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {
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
    "version_spelling": "the same version is spelled differently and the release takes the raw one",
    "release_files_other_project": (
        "the built files are uploaded only for a release of other projects: unused by this project"
    ),
}

# -- the messages of its checks (``checks/test_release_gate.py``) and their words ---------------

VERSION_MISMATCH: Final = "Versions disagree: {sources}. Make every file say the same version."
UNPARSEABLE: Final = "version {value!r} is not PEP 440/semver-like: compared as text"
VERSIONS_ALIGNED: Final = "version {version}: {sources}"
VERSION_SPELLING: Final = (
    "Versions are spelled differently: {sources}. The release name is built from the raw string "
    "({template}) and Sentry compares release names as text, so {names} are different releases. "
    "Write {spellings} the same way in every file."
)
SPELLING_RISK: Final = (
    "{spellings} are spelled differently; harmless for {release} ({source}), but any wiring "
    "that builds the release from a file's raw version publishes another release."
)
FROM_RELEASE: Final = "--sentry-release/SENTRY_RELEASE"
FROM_TEMPLATE: Final = "template {template}"
RELEASE_NAMED: Final = "release {name} ({source})"
NO_RELEASE_WIRING: Final = "no sentry_release_wiring markers and not a Tauri repository"
NO_WIRING_FILES: Final = "none of the release wiring files exist: {notes}"
WIRING_FOUND: Final = "{count} release wiring marker(s) found"
RELEASE_WIRING_MISSING: Final = "The release wiring does not use {release}: {problems}."
RELEASE_WIRING_FIX: Final = " To fix: {fixes}."
NO_BUILD: Final = "no built bundles in {dist_dir}: build first ({build}), then rerun."
NO_BUILD_TO_COMPARE: Final = "no built bundles in {dist_dir} to compare with Sentry"
MAPS_VALID: Final = "{count} bundle(s) with valid source maps"
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
NOT_THE_VERSION: Final = (
    "the release given ({name}, from {source}) does not name the repository's version {version}: "
    "the built files and the wiring checked against it are {version}'s"
)
RELEASE_MISSING: Final = (
    "Release {name!r} does not exist in organization {org}. Newest releases of {project}: {latest}."
)
RELEASE_OTHER_PROJECT: Final = (
    "Release {name!r} exists but belongs to {projects}, not to {project}."
)
RELEASE_VISIBLE: Final = "release {name} exists for {project}"
#: What a list of names says when it names none.
NONE: Final = "none"
FILES_OTHER_PROJECT: Final = (
    "{count} built file(s) are uploaded as release files of {release} (first: {first}), but the "
    "release belongs to {projects}, not to {project}: Sentry looks an event's release up within "
    "the event's project, so these files serve none of {project}'s events. Add {project} to the "
    "release (sentry-cli releases new does so for a release that exists), then rerun.{rest}"
)
FILES_OTHER_PROJECT_REST: Final = " {count} other built file(s) are not uploaded at all."
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
FOUND_BUT_CAPPED: Final = "every built file was found, but {capped}"
UPLOADED: Final = "{count} bundle(s) uploaded for {release} under {prefix}"
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
SOURCES_CONTENT: Final = (
    "{issue} (event {event_id}): lines resolve but the source context is missing "
    "(js_missing_sources_content: the maps have no sourcesContent). Build the maps with "
    "sourcesContent and upload them again."
)
NO_APP_FRAME: Final = (
    "{issue} (event {event_id}) has no frame of the app ({prefix}) to judge; frames not judged: "
    "{others}."
)
DOES_NOT_SYMBOLICATE: Final = "{issue} (event {event_id}) does not symbolicate: {failures}"
SYMBOLICATES: Final = (
    "event {event_id} of {release} symbolicates ({resolved} of {judged} app frame(s) resolved)"
)
DEBUG_UNAVAILABLE: Final = "source-map debug unavailable: {why}"
NO_EVENT: Final = (
    "No event with a JavaScript stack trace for {release} yet{others}: trigger one controlled "
    "frontend event on this release, then rerun."
)
#: The message of an event that did not symbolicate, by its cause (``unresolved_cause``).
UNRESOLVED: Final = {
    "event_predates_uploads": PREDATES_UPLOADS,
    "dist_mismatch": DIST_MISMATCH,
    "not_processed": NOT_PROCESSED,
}
INVALID_RELEASE: Final = "the release name is not valid in Sentry (see test_release_name)"
UPLOAD: Final = (
    "sentry-cli sourcemaps upload --org {org} --project {project} --release {release} "
    "--url-prefix {prefix} --validate --wait{dist_flag} {dist}"
)


def listed(names: Sequence[str]) -> str:
    """Names joined by commas, or ``none``."""
    return ", ".join(names) or NONE


def spelled(report: VersionReport) -> str:
    """The spellings of the one version, quoted: ``'1.4' and '1.4.0'``."""
    return " and ".join(repr(value) for value in report.spellings)


def spelling_risk(conf: Settings, report: VersionReport) -> str:
    """Spellings differ, but the release name does not take the raw version (a RISK)."""
    template = conf.release_template
    source = FROM_RELEASE if conf.release else FROM_TEMPLATE.format(template=template)
    release = conf.release or template
    return SPELLING_RISK.format(spellings=spelled(report), release=release, source=source)


def version_spelling(report: VersionReport, sources: str, template: str, project: str) -> str:
    """Spellings differ and the release name takes the raw version: each spelling's release."""
    names = " and ".join(
        template.replace("{project}", project).replace("{version}", value)
        for value in report.spellings
    )
    return VERSION_SPELLING.format(
        sources=sources, template=template, names=names, spellings=spelled(report)
    )


def dist_name(dist: str | None) -> str:
    return repr(dist) if dist else "none"


def create_command(org: str, project: str, release: str) -> str:
    """Create the release for the project, or associate an existing one with it (Sentry's
    release creation adds the project to a release that exists)."""
    return shlex.join(
        ["sentry-cli", "releases", "new", "--org", org, "--project", project, release]
    )


def upload_command(conf: Settings, org: str, project: str, release: str) -> str:
    return UPLOAD.format(
        org=org,
        project=project,
        release=shlex.quote(release),
        prefix=shlex.quote(conf.url_prefix),
        dist=shlex.quote(conf.dist_dir),
        dist_flag=f" --dist {shlex.quote(conf.dist)}" if conf.dist else "",
    )


def missing_text(missing: MissingUpload, release: str, prefix: str, dist: str | None) -> str:
    if missing.dists:
        found = ", ".join(dist_name(d) for d in missing.dists)
        return WRONG_DIST.format(
            file=missing.file, release=release, found=found, expected=dist_name(dist)
        )
    elsewhere = ", ".join(missing.elsewhere)
    found = FOUND_ELSEWHERE.format(prefixes=elsewhere) if missing.elsewhere else ""
    return BUNDLE_MISSING.format(file=missing.file, release=release, expected=prefix, found=found)


def files_other_project(
    unused: Sequence[str], missing: int, release: str, projects: Sequence[str], project: str
) -> str:
    """Built files uploaded only as files of a release of other projects (``UploadMatch.outside``):
    the words of the FAIL, with a count of the built files not uploaded at all."""
    rest = missing - len(unused)
    return FILES_OTHER_PROJECT.format(
        count=len(unused),
        release=release,
        first=unused[0],
        projects=", ".join(projects) or "no project",
        project=project,
        rest=FILES_OTHER_PROJECT_REST.format(count=rest) if rest else "",
    )


def wiring_missing(release: str, missing: Sequence[WiringResult], fixes: Sequence[str]) -> str:
    """The release wiring that does not use the release, and the lines that would."""
    problems = "; ".join(r.describe() for r in missing)
    message = RELEASE_WIRING_MISSING.format(release=release, problems=problems)
    return message + (RELEASE_WIRING_FIX.format(fixes="; ".join(fixes)) if fixes else "")


def no_event(release: str, other_releases: Sequence[str]) -> str:
    """No JavaScript event of the release yet, naming the releases the newest events came from."""
    others = f" (the newest events of its issues come from {', '.join(other_releases)})"
    return NO_EVENT.format(release=release, others=others if other_releases else "")


def unresolved_message(cause: str, facts: SymbolicationFacts, conf: Settings, **fields: str) -> str:
    """The message of an event that did not symbolicate, for its cause (``unresolved_cause``)."""
    return UNRESOLVED[cause].format(**unresolved_words(facts, conf), **fields)


def unresolved_words(facts: SymbolicationFacts, conf: Settings) -> dict[str, str | None]:
    """Every field the messages of an unresolved event name (each template takes its own)."""
    result = facts.analysis
    assert result is not None
    why = NO_RAW_STACK if result.raw_missing else SAME_FRAMES.format(count=result.judged_frames)
    return {
        "event_date": result.date_created,
        "uploaded": facts.uploads_newest,
        "event_dist": dist_name(result.event_dist),
        "expected": dist_name(conf.dist),
        "why": why,
        "prefix": conf.url_prefix,
    }


MODE: Final = Mode(
    name="release_gate",
    order=30,
    help="versions, release name, release visibility, source maps, symbolication",
    in_loop=True,
    summary=(
        "versions agree across version files; release name valid and used by the release "
        "wiring; built bundles have valid source maps; the release exists for this project; "
        "bundles and maps uploaded under the URL prefix (or matched by debug id); the newest "
        "JavaScript event of the release symbolicates"
    ),
    reasons=REASONS,
    settings=(
        "release",
        "release_template",
        "dist",
        "version_files",
        "release_wiring",
        "dist_dir",
        "url_prefix",
    ),
    endpoints=(
        "release list",
        "release",
        "release files",
        "organization release files",
        "artifact bundles",
        "artifact bundle files",
        "issue list",
        "latest event of an issue",
        "source-map debug",
    ),
    prefetch=("bundle_scan", "release_side"),
    repository_checks=("test_versions_aligned", "test_release_name", "test_release_wiring"),
)
