"""The release gate's rules alone: matching built files against uploads, and why an event did
not symbolicate (no Sentry, no pytest run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.release_rules import (
    MissingUpload,
    match_uploads,
    missing_version,
    names_version,
    release_markers,
    symbolication_failures,
    unresolved_cause,
)
from pytest_sentry_gate.repo.bundles import INLINE_MAP, BundleFile
from pytest_sentry_gate.repo.versions import VersionReport, VersionSource
from pytest_sentry_gate.repo.wiring import DEFAULT_TAURI_RELEASE_MARKERS
from pytest_sentry_gate.sentry.symbolication import FrameProblem, Symbolication
from pytest_sentry_gate.sentry.uploads import OutsideProject, Uploaded

PREFIX = "app://localhost/assets"


def bundle(name: str, map_name: str | None = None, debug_id: str | None = None) -> BundleFile:
    return BundleFile(name=name, map_name=map_name, debug_id=debug_id, hashed=False)


def held(*files: tuple[str, str | None], debug_ids: frozenset[str] = frozenset()) -> Uploaded:
    return Uploaded(files=files, debug_ids=debug_ids)


def test_a_bundle_and_its_map_under_the_prefix_and_dist_are_matched() -> None:
    built = [bundle("main.js", "main.js.map"), bundle("inline.js", INLINE_MAP)]
    uploads = held(
        (f"{PREFIX}/main.js", "7"), (f"{PREFIX}/main.js.map", "7"), (f"{PREFIX}/inline.js", "7")
    )
    matched = match_uploads(built, uploads, PREFIX, "7")
    assert (matched.missing, matched.by_debug_id, matched.by_wildcard) == ((), (), ())


def test_a_known_debug_id_matches_the_bundle_whatever_its_name() -> None:
    built = [bundle("main.js", "main.js.map", debug_id="ABC-1")]
    matched = match_uploads(built, held(debug_ids=frozenset({"abc-1"})), PREFIX, None)
    assert matched.by_debug_id == ("main.js",)
    assert matched.missing == ()


def test_the_tilde_form_matches_by_wildcard_only() -> None:
    matched = match_uploads([bundle("main.js")], held(("~/assets/main.js", None)), PREFIX, None)
    assert matched.by_wildcard == ("~/assets/main.js",)
    assert matched.missing == ()


def test_another_dist_and_another_prefix_are_missing_and_say_where() -> None:
    built = [bundle("main.js", "main.js.map")]
    uploads = held((f"{PREFIX}/main.js", "7"), ("app://other/main.js.map", None))
    matched = match_uploads(built, uploads, PREFIX, None)
    assert matched.missing == (
        MissingUpload("main.js", dists=("7",)),
        MissingUpload("main.js.map", elsewhere=("app://other",)),
    )


def test_files_of_a_release_of_other_projects_are_told_apart_from_missing_ones() -> None:
    # Given a release of handy-web only whose own files hold main.js under the prefix and its
    # map under another one, and the settings bundle nowhere
    built = [bundle("main.js", "main.js.map"), bundle("settings.js")]
    files = ((f"{PREFIX}/main.js", None), ("app://other/main.js.map", None))
    uploads = Uploaded(
        files=(), debug_ids=frozenset(), outside=OutsideProject(("handy-web",), files)
    )
    matched = match_uploads(built, uploads, PREFIX, None)

    # Then all three are missing for the project, and only main.js is uploaded but unused
    assert [m.file for m in matched.missing] == ["main.js", "main.js.map", "settings.js"]
    assert matched.outside == ("main.js",)
    # And a release of this project has no such files
    mine = Uploaded(files=(), debug_ids=frozenset())
    assert match_uploads(iter(built), mine, PREFIX, None).outside == ()


def symbolication(**changes: Any) -> Symbolication:
    values: dict[str, Any] = {
        "event_id": "e1",
        "issue": "APP-1",
        "event_release": "app@1",
        "event_dist": None,
        "date_created": "2026-01-01T00:00:00Z",
        "frame_urls": (f"{PREFIX}/main.js",),
        "not_judged": (),
        "wrong_prefix": (),
        "problems": (),
        "judged_frames": 1,
        "resolved_frames": 0,
        "raw_missing": False,
        "failing": None,
        **changes,
    }
    return Symbolication(**values)


def test_failures_name_the_prefix_the_symbolicator_and_the_frame() -> None:
    result = symbolication(
        wrong_prefix=("http://x/a.js",),
        problems=(
            FrameProblem("", "js_scraping_disabled", "", "processing_failed"),
            FrameProblem("main.js:1:2", "js_no_source", "missing map", "fail"),
            FrameProblem("main.js:3:4", "js_missing_sources_content", "", "partial"),
        ),
    )
    assert symbolication_failures(result, PREFIX) == [
        f"frame URLs http://x/a.js do not start with {PREFIX}",
        "js_scraping_disabled: Sentry's symbolicator failed, frames stay minified",
        "js_no_source at main.js:1:2: missing map",
    ]
    assert symbolication_failures(symbolication(), PREFIX) == []


def test_an_unresolved_event_is_explained_by_its_age_its_dist_or_processing() -> None:
    event = symbolication(event_dist="9")
    assert unresolved_cause(event, predates_uploads=True, dist=None) == "event_predates_uploads"
    assert unresolved_cause(event, predates_uploads=False, dist=None) == "dist_mismatch"
    assert unresolved_cause(event, predates_uploads=False, dist="9") == "not_processed"


def test_no_version_says_where_it_was_looked_for() -> None:
    none_found = VersionReport(sources=(), aligned=False, version=None, missing_files=("a.json",))
    assert missing_version(none_found) == ("no such file: a.json", "no version file found (a.json)")
    empty = VersionReport(sources=(VersionSource("a.json", None),), aligned=False, version=None)
    where, shown = missing_version(empty) or ("", "")
    assert where == shown
    assert where.startswith("no version in ")
    found = VersionReport(sources=(VersionSource("a.json", "1.0"),), aligned=True, version="1.0")
    assert missing_version(found) is None


def test_release_markers_are_configured_or_tauri_defaults_or_none(tmp_path: Path) -> None:
    assert release_markers([], tmp_path) is None
    configured = release_markers(["vite.config.ts: sentryVitePlugin"], tmp_path)
    assert [(m.file, m.expected) for m in configured or []] == [
        ("vite.config.ts", "sentryVitePlugin")
    ]
    (tmp_path / "src-tauri").mkdir()
    assert release_markers([], tmp_path) == list(DEFAULT_TAURI_RELEASE_MARKERS)


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ("1.4.2", "1.4.2"),
        ("codictate@1.4.2", "1.4.2"),
        ("myapp@v1.4.2", "1.4.2"),  # a leading v on either side
        ("myapp@1.4.2", "v1.4.2"),
        ("my@app@1.4.2", "1.4.2"),  # the version follows the last @
        ("1.4.2+abc", "1.4.2"),  # the build of 1.4.2, as Sentry's package@version+build
        ("myapp@1.4.2+build.7", "1.4.2"),
        ("myapp@1.4.2+abc", "1.4.2+abc"),
        ("myapp@1.4", "1.4.0"),  # the same version, as packaging compares them
        ("myapp@1.4.2-beta.1", "1.4.2b1"),
        ("myapp@nightly", "nightly"),  # no version on either side: the same string
    ],
)
def test_a_release_that_names_the_version(release: str, version: str) -> None:
    assert names_version(release, version)


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ("myapp@1.4.25", "1.4.2"),  # holds "1.4.2", names another version
        ("1.4.25", "1.4.2"),
        ("myapp@1.4.1", "1.4.2"),
        ("myapp@21.4.2", "1.4.2"),
        ("myapp@1.4.2+abc", "1.4.2+def"),  # the repository names its build: another build
        ("myapp@1.4.2", "1.4.2+abc"),
        ("myapp@1.4.2-beta.1", "1.4.2"),  # a pre-release of it
        ("1.4.2@myapp", "1.4.2"),
        ("myapp-1.4.2", "1.4.2"),  # no @: the whole name is no version
        ("myapp@nightly", "1.4.2"),
    ],
)
def test_a_release_that_does_not_name_the_version(release: str, version: str) -> None:
    assert not names_version(release, version)
