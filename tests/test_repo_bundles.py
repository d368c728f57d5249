"""Tests of pytest_sentry_gate.repo.bundles: built bundles, source maps, debug ids, names."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.repo import files
from pytest_sentry_gate.repo.bundles import (
    INLINE_MAP,
    MAP_BAD_VERSION,
    MAP_NO_SOURCES,
    MAP_URL_MISSING,
    NO_MAP,
    BundleFile,
    expected_artifact_names,
    join_url,
    scan_bundles,
    split_prefix,
    tilde_form,
)

DEMO_DIST = Path(__file__).resolve().parent.parent / "examples" / "codictate" / "dist" / "assets"
DEBUG_ID = "c3a4f2b1-7d6e-4f5a-9b8c-1d2e3f4a5b6c"


def copy_dist(tmp_path: Path) -> Path:
    """A writable copy of the demo's built assets."""
    dist = tmp_path / "assets"
    shutil.copytree(DEMO_DIST, dist)
    return dist


def main_bundle(dist: Path) -> Path:
    [path] = dist.glob("main-*.js")
    return path


def strip_map_comment(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if "sourceMappingURL" not in line]
    path.write_text("\n".join(lines) + "\n")


def find(bundles: tuple[BundleFile, ...], prefix: str) -> BundleFile:
    [bundle] = [b for b in bundles if b.name.startswith(prefix)]
    return bundle


def test_demo_dist_is_ok() -> None:
    # Given the demo's esbuild output / When scanned
    scan = scan_bundles(DEMO_DIST)
    # Then every bundle has a valid map beside it and a hashed name
    assert scan.exists
    assert scan.ok
    assert [b.name.split("-")[0] for b in scan.bundles] == ["chunk", "main", "settings"]
    for bundle in scan.bundles:
        assert bundle.map_name == f"{bundle.name}.map"
        assert bundle.hashed
        assert bundle.debug_id is None
        assert bundle.problems == ()


def test_expected_artifact_names_of_demo() -> None:
    # Given the demo's scan / When the artifact names are asked
    scan = scan_bundles(DEMO_DIST)
    names = expected_artifact_names(scan)
    # Then each bundle and its map appear under the default prefix
    main = find(scan.bundles, "main").name
    assert f"app://localhost/assets/{main}" in names
    assert f"app://localhost/assets/{main}.map" in names
    assert len(names) == 6
    assert expected_artifact_names(scan, "~/assets/")[0].startswith("~/assets/chunk-")


def test_map_missing_for_one_bundle(tmp_path: Path) -> None:
    # Given main's map is deleted (its sourceMappingURL comment still points to it)
    dist = copy_dist(tmp_path)
    main = main_bundle(dist)
    Path(f"{main}.map").unlink()
    # When scanned
    scan = scan_bundles(dist)
    # Then only main has a problem, naming the file and the URL
    assert not scan.ok
    assert scan.problems == (MAP_URL_MISSING.format(name=main.name, url=f"{main.name}.map"),)


def test_no_map_and_no_comment(tmp_path: Path) -> None:
    # Given main has neither a map nor a comment nor a debug id
    dist = copy_dist(tmp_path)
    main = main_bundle(dist)
    Path(f"{main}.map").unlink()
    strip_map_comment(main)
    # When scanned / Then it is named as having no source map
    assert scan_bundles(dist).problems == (NO_MAP.format(name=main.name),)


def test_map_beside_without_comment(tmp_path: Path) -> None:
    # Given main has no comment but its map is beside it
    dist = copy_dist(tmp_path)
    main = main_bundle(dist)
    strip_map_comment(main)
    # When scanned / Then the map beside it is used
    bundle = find(scan_bundles(dist).bundles, "main")
    assert (bundle.map_name, bundle.problems) == (f"{main.name}.map", ())


def test_map_not_version_3(tmp_path: Path) -> None:
    # Given main's map says version 2 and has no sources
    dist = copy_dist(tmp_path)
    map_path = Path(f"{main_bundle(dist)}.map")
    data = json.loads(map_path.read_text())
    data["version"] = 2
    del data["sources"]
    map_path.write_text(json.dumps(data))
    # When scanned / Then both problems name the map
    assert find(scan_bundles(dist).bundles, "main").problems == (
        MAP_BAD_VERSION.format(map=map_path.name, version=2),
        MAP_NO_SOURCES.format(map=map_path.name),
    )


def test_map_not_json(tmp_path: Path) -> None:
    # Given main's map is cut short
    dist = copy_dist(tmp_path)
    map_path = Path(f"{main_bundle(dist)}.map")
    map_path.write_text('{\n  "version": 3,\n  "sources": [\n')
    # When scanned
    [problem] = find(scan_bundles(dist).bundles, "main").problems
    # Then the problem names the map, the line and the column
    assert problem.startswith(f"{map_path.name}: not JSON (line 4, column 1: ")


def test_map_not_an_object(tmp_path: Path) -> None:
    # Given a map that is a JSON list / When scanned / Then it is named
    dist = copy_dist(tmp_path)
    map_path = Path(f"{main_bundle(dist)}.map")
    map_path.write_text("[]")
    assert find(scan_bundles(dist).bundles, "main").problems == (
        f"{map_path.name}: not a JSON object",
    )


def test_debug_id_without_map_is_fine(tmp_path: Path) -> None:
    # Given main carries a debug id and its map was deleted after upload
    dist = copy_dist(tmp_path)
    main = main_bundle(dist)
    Path(f"{main}.map").unlink()
    strip_map_comment(main)
    main.write_text(main.read_text() + f"//# debugId={DEBUG_ID}\n")
    # When scanned
    scan = scan_bundles(dist)
    # Then the debug id is recorded and nothing is wrong
    bundle = find(scan.bundles, "main")
    assert (bundle.debug_id, bundle.map_name, bundle.problems) == (DEBUG_ID, None, ())
    assert scan.ok


def test_debug_id_checked_against_the_map(tmp_path: Path) -> None:
    # Given main's debug id comment and a map with another debug id
    dist = copy_dist(tmp_path)
    main = main_bundle(dist)
    text = main.read_text().replace(
        "//# sourceMappingURL", f"//# debugId={DEBUG_ID}\n//# sourceMappingURL"
    )
    main.write_text(text)
    map_path = Path(f"{main}.map")
    data = json.loads(map_path.read_text())
    data["debugId"] = "00000000-0000-0000-0000-000000000000"
    map_path.write_text(json.dumps(data))
    # When scanned
    [problem] = find(scan_bundles(dist).bundles, "main").problems
    # Then the mismatch is named
    assert f"differs from {main.name}'s {DEBUG_ID}" in problem


def test_bad_debug_id(tmp_path: Path) -> None:
    # Given a debug id that is not a UUID / When scanned / Then it is named
    dist = copy_dist(tmp_path)
    main = main_bundle(dist)
    main.write_text(main.read_text() + "//# debugId=not-a-uuid\n")
    [problem] = find(scan_bundles(dist).bundles, "main").problems
    assert problem == f"{main.name}: debugId 'not-a-uuid' is not a UUID"


def test_inline_map(tmp_path: Path) -> None:
    # Given a bundle with an inline base64 map, and one with an undecodable inline map
    good = base64.b64encode(b'{"version":3,"sources":["a.ts"],"mappings":""}').decode()
    (tmp_path / "app.js").write_text(
        f"x();\n//# sourceMappingURL=data:application/json;base64,{good}\n"
    )
    (tmp_path / "bad.js").write_text("y();\n//# sourceMappingURL=data:application/json;base64,@@\n")
    # When scanned
    app, bad = scan_bundles(tmp_path).bundles
    # Then the good one passes, unhashed, with no artifact name for its map
    assert (app.map_name, app.hashed, app.problems) == (INLINE_MAP, False, ())
    assert len(bad.problems) == 1
    assert "cannot be decoded" in bad.problems[0]


def test_absolute_source_mapping_url(tmp_path: Path) -> None:
    # Given a sourceMappingURL that is a full URL whose file is beside the bundle
    (tmp_path / "app-ABCDEFGH.js").write_text(
        "x();\n//# sourceMappingURL=app://localhost/assets/app-ABCDEFGH.js.map?v=1\n"
    )
    (tmp_path / "app-ABCDEFGH.js.map").write_text('{"version": 3, "sources": []}')
    # When scanned / Then the file beside it is used
    [bundle] = scan_bundles(tmp_path).bundles
    assert (bundle.map_name, bundle.hashed, bundle.problems) == ("app-ABCDEFGH.js.map", True, ())


def test_no_dist_dir(tmp_path: Path) -> None:
    # Given no dist directory / When scanned / Then it does not exist and is not ok
    scan = scan_bundles(tmp_path / "dist" / "assets")
    assert (scan.exists, scan.bundles, scan.ok) == (False, (), False)


def test_empty_dist_dir_is_not_ok(tmp_path: Path) -> None:
    # Given an empty dist directory / When scanned / Then it exists but is not ok
    scan = scan_bundles(tmp_path)
    assert (scan.exists, scan.ok) == (True, False)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app://localhost/assets/main-abc.js", ("app://localhost/assets", "main-abc.js")),
        ("~/assets/main.js", ("~/assets", "main.js")),
        ("main.js", ("", "main.js")),
    ],
)
def test_split_prefix(name: str, expected: tuple[str, str]) -> None:
    # Given a name / When split / Then prefix and basename come apart at the last slash
    assert split_prefix(name) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("app://localhost/assets/main-abc.js", "~/assets/main-abc.js"),
        ("https://example.com/static/js/a.js", "~/static/js/a.js"),
        ("~/assets/a.js", "~/assets/a.js"),
        ("/assets/a.js", "~/assets/a.js"),
    ],
)
def test_tilde_form(url: str, expected: str) -> None:
    # Given a URL / When put in tilde form / Then scheme and host are dropped
    assert tilde_form(url) == expected


def test_join_url() -> None:
    # Given prefixes with and without trailing slashes, and a relative path with ..
    # When joined / Then the result has one slash and .. is resolved below the host
    assert join_url("app://localhost/assets/", "a.js") == "app://localhost/assets/a.js"
    assert join_url("app://localhost/assets", "../maps/a.js.map") == "app://localhost/maps/a.js.map"
    assert join_url("~/assets", "a.js") == "~/assets/a.js"


def test_inline_map_percent_encoded(tmp_path: Path) -> None:
    # Given an inline map that is percent-encoded rather than base64, with version 2
    payload = "%7B%22version%22%3A2%2C%22sources%22%3A%5B%5D%7D"
    (tmp_path / "app.js").write_text(
        f"x();\n//# sourceMappingURL=data:application/json,{payload}\n"
    )
    # When scanned / Then it is decoded and its version is checked
    [bundle] = scan_bundles(tmp_path).bundles
    assert bundle.problems == (MAP_BAD_VERSION.format(map=INLINE_MAP, version=2),)


def test_map_nested_too_deeply_is_a_problem_not_a_recursion_error(tmp_path: Path) -> None:
    # Given a bundle whose source map is nested deeper than the JSON parser allows
    (tmp_path / "main-ABCDEFGH.js").write_text("x()\n//# sourceMappingURL=main-ABCDEFGH.js.map\n")
    (tmp_path / "main-ABCDEFGH.js.map").write_text("[" * 100_000 + "]" * 100_000)
    # When scanned / Then it is a problem naming the map
    scan = scan_bundles(tmp_path)
    assert scan.problems == ("main-ABCDEFGH.js.map: nested too deeply to be read as JSON",)


def test_unreadable_map_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a map whose read fails (permissions, faked since tests may run as root)
    (tmp_path / "main-ABCDEFGH.js").write_text("x()\n")
    (tmp_path / "main-ABCDEFGH.js.map").write_text("{}")
    real = files.read_bytes

    def read_bytes(path: Path, **kwargs: Any) -> bytes:
        if path.suffix == ".map":
            raise PermissionError(13, "Permission denied")
        return real(path, **kwargs)

    monkeypatch.setattr(files, "read_bytes", read_bytes)
    # When scanned / Then the map is named with the reason
    assert scan_bundles(tmp_path).problems == (
        "main-ABCDEFGH.js.map: cannot be read (Permission denied)",
    )
