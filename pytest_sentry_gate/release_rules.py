"""The release gate's rules as pure functions over its facts, tested alone (no Sentry, no pytest).

``match_uploads`` says which built files Sentry holds for the release (by debug id, under the URL
prefix with the build's dist, or only through Sentry's ``~`` wildcard) and which it does not, and
why, and which of the missing ones the release's own files hold when the release is not this
project's; ``symbolication_failures`` and ``unresolved_cause`` say what keeps an event from
symbolicating; ``names_version`` says whether a release given by name is the repository's
version. The checks of ``checks/test_release_gate.py`` turn their answers into verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from packaging.version import InvalidVersion, Version

from pytest_sentry_gate.repo import bundles, wiring
from pytest_sentry_gate.repo.versions import describe_sources

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pytest_sentry_gate.repo.bundles import BundleFile
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.repo.wiring import WiringMarker
    from pytest_sentry_gate.sentry.symbolication import Symbolication
    from pytest_sentry_gate.sentry.uploads import Uploaded

WRONG_PREFIX: Final = "frame URLs {urls} do not start with {prefix}"
PROCESSING_FAILED: Final = "{kind}: Sentry's symbolicator failed, frames stay minified"
FAILED_FRAME: Final = "{kind} at {frame}: {detail}"


@dataclass(frozen=True)
class MissingUpload:
    """A built file Sentry does not hold for the release under the prefix and the build's dist.

    ``dists``: the other dists it is uploaded under at that URL (empty: not uploaded there);
    ``elsewhere``: the prefixes under which a file of the same name is uploaded.
    """

    file: str
    dists: tuple[str | None, ...] = ()
    elsewhere: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadMatch:
    """Which built files the uploads hold, and how (``match_uploads``).

    ``outside``: the missing files that the release's own files hold while the release is not
    this project's (``Uploaded.outside``): uploaded, but serving none of the project's events.
    """

    missing: tuple[MissingUpload, ...]
    by_debug_id: tuple[str, ...]
    by_wildcard: tuple[str, ...]
    outside: tuple[str, ...] = ()


def match_uploads(
    built: Iterable[BundleFile], held: Uploaded, prefix: str, dist: str | None
) -> UploadMatch:
    """Each built bundle (and its map) against what Sentry holds for the release.

    A bundle whose debug id Sentry knows is matched by it (its map too). Otherwise each of the
    bundle and its external map must be uploaded under ``prefix`` with ``dist``; under the
    ``~/`` form of its URL it is matched "by wildcard"; under another dist, or only under
    other prefixes, it is missing and says where it was found. A missing file that the files of
    a release of other projects hold is also named in ``outside``.
    """
    built = tuple(built)
    missing: list[MissingUpload] = []
    by_debug_id: list[str] = []
    by_wildcard: list[str] = []
    index = held.by_basename()
    for bundle in built:
        if bundle.debug_id and bundle.debug_id.lower() in held.debug_ids:
            by_debug_id.append(bundle.name)
            continue
        for name in (bundle.name, bundle.map_name):
            if name is None or name == bundles.INLINE_MAP:
                continue
            url = bundles.join_url(prefix, name)
            tilde = bundles.tilde_form(url)
            if dist in held.dists_of(url):
                continue
            if dist in held.dists_of(tilde):
                by_wildcard.append(tilde)
                continue
            dists = held.dists_of(url) or held.dists_of(tilde)
            others = () if dists else _prefixes(index.get(name, []))
            missing.append(MissingUpload(name, dists, others))
    outside = _outside_project(built, held, missing, prefix, dist)
    return UploadMatch(tuple(missing), tuple(by_debug_id), tuple(by_wildcard), outside)


def _outside_project(
    built: tuple[BundleFile, ...],
    held: Uploaded,
    missing: list[MissingUpload],
    prefix: str,
    dist: str | None,
) -> tuple[str, ...]:
    """The missing files that match once the files of the release of other projects count."""
    if held.outside is None or not missing:
        return ()
    wider = replace(held, files=held.files + held.outside.files, outside=None)
    still = {m.file for m in match_uploads(built, wider, prefix, dist).missing}
    return tuple(m.file for m in missing if m.file not in still)


def _prefixes(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({bundles.split_prefix(name)[0] for name in names}))


def symbolication_failures(result: Symbolication, prefix: str) -> list[str]:
    """What fails the event outright: app frames under another prefix, the symbolicator's own
    failures, and processing errors that name a frame."""
    failures = []
    if result.wrong_prefix:
        failures.append(WRONG_PREFIX.format(urls=", ".join(result.wrong_prefix[:3]), prefix=prefix))
    failures.extend(PROCESSING_FAILED.format(kind=p.kind) for p in result.of("processing_failed"))
    failures.extend(
        FAILED_FRAME.format(kind=p.kind, frame=p.frame, detail=p.detail) for p in result.of("fail")
    )
    return failures


def unresolved_cause(result: Symbolication, *, predates_uploads: bool, dist: str | None) -> str:
    """Why an event that did not symbolicate did not, as its reason code: it predates the newest
    upload (the upload may be fine), its dist is not the build's, or it was never processed."""
    if predates_uploads:
        return "event_predates_uploads"
    if result.event_dist != dist:
        return "dist_mismatch"
    return "not_processed"


def version_evidence(report: VersionReport) -> dict[str, object]:
    """The version files' values, notes, unparseable values and missing files, as evidence."""
    notes = [f"{s.file}: {s.note}" for s in report.sources if s.note]
    return {
        "versions": {s.file: s.value for s in report.sources},
        "notes": [*notes, *report.notes],
        "unparseable": list(report.unparseable),
        "missing_files": list(report.missing_files),
    }


def missing_version(report: VersionReport) -> tuple[str, str] | None:
    """``(where, shown)`` when the version files give no version (no file, or no value in any),
    ``None`` when at least one does: ``where`` completes "sentry_version_files names where the
    version lives, but ...", ``shown`` is the not-applicable note of the default files."""
    if not report.sources:
        files = ", ".join(report.missing_files)
        return f"no such file: {files}", f"no version file found ({files})"
    if not any(s.value for s in report.sources):
        where = "no version in " + describe_sources(report.sources)
        return where, where
    return None


def release_markers(lines: Sequence[str], root: Path) -> list[WiringMarker] | None:
    """The release wiring markers: the configured lines, else Tauri's defaults in a Tauri
    repository, else ``None`` (nothing to check)."""
    if lines:
        return wiring.parse_markers(lines)
    if wiring.is_tauri_repo(root):
        return list(wiring.DEFAULT_TAURI_RELEASE_MARKERS)
    return None


def names_version(release: str, version: str) -> bool:
    """Whether the release name ``release`` names the repository's ``version``.

    The version in a name is what follows its last ``@`` (Sentry's ``package@version+build``),
    without a leading ``v``. Both are compared as versions (``packaging``: ``1.4`` is ``1.4.0``,
    ``1.4.2-beta.1`` is ``1.4.2b1``, and ``1.4.25`` is not ``1.4.2``). A ``+build`` on the release
    is the build of that version: it is left out when the repository's version has none
    (``app@1.4.2+abc`` names ``1.4.2``) and compared when it has one. When either is not a
    version, the two strings must be equal.
    """
    named, wanted = _without_v(release.rpartition("@")[2]), _without_v(version)
    try:
        named_version, wanted_version = Version(named), Version(wanted)
    except InvalidVersion:
        return named == wanted
    if wanted_version.local is None:
        return Version(named_version.public) == wanted_version
    return named_version == wanted_version


def _without_v(version: str) -> str:
    version = version.strip()
    return version[1:] if version[:1] in ("v", "V") else version
