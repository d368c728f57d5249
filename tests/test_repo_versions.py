"""Tests of pytest_sentry_gate.repo.versions: version files parsed and compared."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_sentry_gate.errors import SentryGateError
from pytest_sentry_gate.repo import versions
from pytest_sentry_gate.repo.versions import (
    DEFAULT_VERSION_FILES,
    NOTE_DYNAMIC,
    NOTE_TAURI_ABSENT,
    NOTE_TAURI_PATH,
    NOTE_WORKSPACE,
    VersionFileError,
    VersionReport,
    VersionSource,
    describe_sources,
    parse_spec,
    read_versions,
)
from tests.conftest import edit_json

DEMO = Path(__file__).resolve().parent.parent / "examples" / "codictate"


def copy_demo(tmp_path: Path) -> Path:
    """A writable copy of the demo app."""
    root = tmp_path / "codictate"
    shutil.copytree(DEMO, root)
    return root


def test_demo_versions_are_aligned() -> None:
    # Given the demo app, whose Cargo.toml inherits the workspace version
    # When its versions are read
    report = read_versions(DEMO)
    # Then all three agree on 1.4.2
    assert report.aligned
    assert report.version == "1.4.2"
    assert [s.file for s in report.sources] == list(DEFAULT_VERSION_FILES)
    assert [s.value for s in report.sources] == ["1.4.2", "1.4.2", "1.4.2"]
    assert report.mismatches == ()
    assert report.missing_files == ()


def test_cargo_version_inherited_from_workspace(tmp_path: Path) -> None:
    # Given the workspace version differs from the other files
    root = copy_demo(tmp_path)
    cargo = root / "Cargo.toml"
    cargo.write_text(cargo.read_text().replace('version = "1.4.2"', 'version = "1.5.0"'))
    # When the versions are read
    report = read_versions(root)
    # Then Cargo.toml's value comes from the workspace, and it is the one mismatch
    source = report.sources[1]
    assert source == VersionSource(
        "src-tauri/Cargo.toml", "1.5.0", NOTE_WORKSPACE.format(file="Cargo.toml")
    )
    assert not report.aligned
    assert report.mismatches == (source,)
    assert report.version is None


def test_one_file_off_is_named_with_its_value(tmp_path: Path) -> None:
    # Given package.json says 1.4.3
    root = copy_demo(tmp_path)
    edit_json(root / "package.json", version="1.4.3")
    # When the versions are read
    report = read_versions(root)
    # Then only package.json is a mismatch, and the evidence names every file and value
    assert not report.aligned
    assert report.mismatches == (VersionSource("package.json", "1.4.3"),)
    text = describe_sources(report.sources)
    assert "src-tauri/tauri.conf.json=1.4.2" in text
    assert "src-tauri/Cargo.toml=1.4.2 (inherited from Cargo.toml [workspace.package])" in text
    assert "package.json=1.4.3" in text


def test_two_way_tie_lists_every_valued_source(tmp_path: Path) -> None:
    # Given only two files, disagreeing
    root = copy_demo(tmp_path)
    edit_json(root / "package.json", version="2.0.0")
    # When read with a two-file list
    report = read_versions(root, ["src-tauri/tauri.conf.json", "package.json"])
    # Then there is no majority: both are mismatches
    assert [s.file for s in report.mismatches] == ["src-tauri/tauri.conf.json", "package.json"]


def test_tauri_conf_without_version_uses_cargo(tmp_path: Path) -> None:
    # Given tauri.conf.json has no version
    root = copy_demo(tmp_path)
    edit_json(root / "src-tauri" / "tauri.conf.json", version=None)
    # When the versions are read
    report = read_versions(root)
    # Then it is reported as absent and not counted as a mismatch
    assert report.sources[0] == VersionSource("src-tauri/tauri.conf.json", None, NOTE_TAURI_ABSENT)
    assert report.aligned
    assert report.version == "1.4.2"


def test_tauri_version_as_path_to_package_json(tmp_path: Path) -> None:
    # Given tauri.conf.json points at ../package.json, which says 1.4.3
    root = copy_demo(tmp_path)
    edit_json(root / "src-tauri" / "tauri.conf.json", version="../package.json")
    edit_json(root / "package.json", version="1.4.3")
    # When the versions are read
    report = read_versions(root)
    # Then tauri.conf.json reports package.json's version, with a note
    assert report.sources[0] == VersionSource(
        "src-tauri/tauri.conf.json", "1.4.3", NOTE_TAURI_PATH.format(path="../package.json")
    )
    assert report.mismatches == (report.sources[1],)


def test_tauri_version_path_that_does_not_exist(tmp_path: Path) -> None:
    # Given tauri.conf.json points at a file that is not there
    root = copy_demo(tmp_path)
    edit_json(root / "src-tauri" / "tauri.conf.json", version="../app/package.json")
    # When / Then reading fails naming the file and the path
    with pytest.raises(VersionFileError, match=r"tauri\.conf\.json: version names \.\./app/"):
        read_versions(root)


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    # Given a tauri.conf.json with a missing comma on line 3
    root = copy_demo(tmp_path)
    (root / "src-tauri" / "tauri.conf.json").write_text('{\n  "a": 1\n  "version": "1.4.2"\n}\n')
    # When the versions are read
    with pytest.raises(VersionFileError) as caught:
        read_versions(root)
    # Then the error names the file, line and column
    assert str(caught.value) == "src-tauri/tauri.conf.json:3:3: Expecting ',' delimiter"
    assert (caught.value.line, caught.value.column) == (3, 3)
    assert isinstance(caught.value, SentryGateError)


def test_malformed_toml_names_file_and_position(tmp_path: Path) -> None:
    # Given a Cargo.toml whose second line is not a key/value pair
    root = copy_demo(tmp_path)
    (root / "src-tauri" / "Cargo.toml").write_text('[package]\nversion "1.4.2"\n')
    # When the versions are read
    with pytest.raises(VersionFileError) as caught:
        read_versions(root)
    # Then the error names the file and position, without tomllib's "(at line …)" suffix
    assert caught.value.file == "src-tauri/Cargo.toml"
    assert caught.value.line == 2
    assert str(caught.value).startswith("src-tauri/Cargo.toml:2:")
    assert "(at line" not in str(caught.value)


def test_toml_position_from_attributes_when_python_has_them() -> None:
    # Given a decode error carrying lineno/colno, as Python 3.14 sets them
    exc = tomllib.TOMLDecodeError("Invalid value")
    exc.lineno, exc.colno, exc.msg = 7, 9, "Invalid value"  # type: ignore[attr-defined]
    # When / Then the attributes are used
    assert versions._toml_position(exc) == (7, 9, "Invalid value")


def test_workspace_inheritance_without_workspace_fails(tmp_path: Path) -> None:
    # Given Cargo.toml inherits, but the only workspace is above the repository root
    (tmp_path / "Cargo.toml").write_text('[workspace.package]\nversion = "9.9.9"\n')
    root = tmp_path / "repo"
    (root / "src-tauri").mkdir(parents=True)
    (root / "src-tauri" / "Cargo.toml").write_text("[package]\nversion.workspace = true\n")
    # When / Then the walk stops at the repository root and says so
    with pytest.raises(VersionFileError, match=r"no Cargo.toml with \[workspace\]"):
        read_versions(root, ["src-tauri/Cargo.toml"])


def test_workspace_without_package_version_fails(tmp_path: Path) -> None:
    # Given a workspace root without [workspace.package] version
    root = copy_demo(tmp_path)
    (root / "Cargo.toml").write_text('[workspace]\nmembers = ["src-tauri"]\n')
    # When / Then the error names the file that inherits and the workspace file
    with pytest.raises(VersionFileError, match=r"Cargo.toml has no \[workspace.package\] version"):
        read_versions(root)


def test_pyproject_layout(tmp_path: Path) -> None:
    # Given a Python project and a frontend package
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2.1.0"\n')
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"version": "2.1"}')
    # When read with a configured list
    report = read_versions(tmp_path, ["pyproject.toml", "web/package.json:version"])
    # Then both are read and 2.1 equals 2.1.0, with the spellings noted
    assert [s.value for s in report.sources] == ["2.1.0", "2.1"]
    assert report.aligned
    assert report.version == "2.1.0"
    assert report.notes == (
        versions.NOTE_SAME_VERSION.format(values="'2.1.0' and '2.1'", normal="2.1.0"),
    )


def test_pyproject_dynamic_and_custom_key(tmp_path: Path) -> None:
    # Given a dynamic project version and a poetry version
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndynamic = ["version"]\n[tool.poetry]\nversion = "0.3.0"\n'
    )
    # When read twice, with the default and a custom key
    report = read_versions(tmp_path, ["pyproject.toml", "pyproject.toml:tool.poetry.version"])
    # Then the dynamic one is noted and does not count
    assert report.sources[0] == VersionSource("pyproject.toml", None, NOTE_DYNAMIC)
    assert report.sources[1].value == "0.3.0"
    assert report.aligned


def test_semver_prerelease_and_unparseable(tmp_path: Path) -> None:
    # Given a semver pre-release, its PEP 440 spelling, and a value that is no version
    (tmp_path / "a.json").write_text('{"version": "1.4.2-beta.1"}')
    (tmp_path / "b.json").write_text('{"version": "1.4.2b1"}')
    (tmp_path / "c.json").write_text('{"version": "nightly"}')
    # When read
    report = read_versions(tmp_path, ["a.json", "b.json", "c.json"])
    # Then the first two agree, the third is a mismatch compared as a raw string
    assert not report.aligned
    assert [s.file for s in report.mismatches] == ["c.json"]
    assert report.unparseable == ("nightly",)


def test_no_version_files(tmp_path: Path) -> None:
    # Given an empty repository
    # When read
    report = read_versions(tmp_path)
    # Then there are no sources, and every file is missing
    assert report.sources == ()
    assert not report.aligned
    assert report.version is None
    assert report.missing_files == DEFAULT_VERSION_FILES


def test_version_that_is_not_a_string(tmp_path: Path) -> None:
    # Given a package.json whose version is a number
    (tmp_path / "package.json").write_text('{"version": 1.4}')
    # When / Then the error says what it found
    with pytest.raises(VersionFileError, match=r"package.json: version is a float \(1.4\)"):
        read_versions(tmp_path, ["package.json"])


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("setup.cfg", "no default key"),
        ("/etc/app.json", "must be relative"),
        (":version", "path is empty"),
        ("app.toml:project..version", "bad key"),
    ],
)
def test_bad_specs(spec: str, reason: str) -> None:
    # Given a bad spec / When parsed / Then the error names the spec and the reason
    with pytest.raises(ValueError, match=reason) as caught:
        parse_spec(spec)
    assert repr(spec) in str(caught.value)


def test_default_keys_by_kind() -> None:
    # Given specs without keys / When parsed / Then the key follows the file kind
    assert parse_spec("pyproject.toml").key == "project.version"
    assert parse_spec("crates/app/Cargo.toml").key == "package.version"
    assert parse_spec("deno.json").key == "version"
    assert parse_spec("app.toml:tool.app.version").key == "tool.app.version"


def test_file_without_version_is_noted(tmp_path: Path) -> None:
    # Given a private package.json without a version, beside a versioned tauri.conf.json
    (tmp_path / "package.json").write_text('{"name": "handy-app", "private": true}')
    (tmp_path / "src-tauri").mkdir()
    (tmp_path / "src-tauri" / "tauri.conf.json").write_text('{"version": "1.4.2"}')
    # When read
    report = read_versions(tmp_path)
    # Then package.json is noted without a value and the other file decides
    assert report.sources[1] == VersionSource("package.json", None, "no version")
    assert (report.aligned, report.version) == (True, "1.4.2")
    assert report.missing_files == ("src-tauri/Cargo.toml",)


@pytest.mark.parametrize("name", ["package.json", "pyproject.toml"])
def test_file_that_is_not_utf8(tmp_path: Path, name: str) -> None:
    # Given a version file in Latin-1 / When read / Then the error names the file
    (tmp_path / name).write_bytes(b'version = "1.4.2" # \xe9t\xe9\n')
    with pytest.raises(VersionFileError, match=rf"^{name}: not UTF-8"):
        read_versions(tmp_path, [name])


def test_toml_error_at_end_of_document(tmp_path: Path) -> None:
    # Given a TOML file cut inside a string
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.4')
    # When / Then the message keeps tomllib's "(at end of document)" and has no line
    with pytest.raises(VersionFileError) as caught:
        read_versions(tmp_path, ["pyproject.toml"])
    assert caught.value.line is None
    assert str(caught.value) == "pyproject.toml: Unterminated string (at end of document)"


def test_tauri_version_path_outside_the_tauri_dir(tmp_path: Path) -> None:
    # Given tauri.conf.json points at a package.json in another folder of the repository
    (tmp_path / "src-tauri").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"version": "3.0.0"}')
    (tmp_path / "src-tauri" / "tauri.conf.json").write_text('{"version": "../web/package.json"}')
    # When read / Then that file's version is used
    [source] = read_versions(tmp_path, ["src-tauri/tauri.conf.json"]).sources
    assert source.value == "3.0.0"


def test_toml_without_the_key(tmp_path: Path) -> None:
    # Given a pyproject.toml with no [project] version and no dynamic version
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    # When read / Then the missing key is noted and there is no version
    report = read_versions(tmp_path, ["pyproject.toml"])
    assert report.sources == (VersionSource("pyproject.toml", None, "no project.version"),)
    assert (report.aligned, report.version) == (False, None)


# --- Manifests that are not what they seem (issue 7, items 12 and 15) -------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('["1.4.2"]', "package.json: the document is an array, not a JSON object with a version"),
        ('"1.4.2"', "package.json: the document is a string, not a JSON object with a version"),
        ("null", "package.json: the document is null, not a JSON object with a version"),
        (
            '{"version": null}',
            "package.json: version is null: set it to the app version (a string) or remove it",
        ),
    ],
    ids=["array", "string", "null-document", "null-version"],
)
def test_package_json_that_is_not_a_versioned_object_fails(
    tmp_path: Path, content: str, expected: str
) -> None:
    # Given a package.json that is an array, a string, null, or has "version": null
    (tmp_path / "package.json").write_text(content)
    # When read / Then it is an error naming the file, not "no version"
    with pytest.raises(VersionFileError) as caught:
        read_versions(tmp_path, ["package.json"])
    assert str(caught.value) == expected


def test_null_version_in_tauri_conf_is_absent(tmp_path: Path) -> None:
    # Given tauri.conf.json with "version": null (Tauri reads it as absent: Cargo.toml's applies)
    root = copy_demo(tmp_path)
    edit_json(root / "src-tauri" / "tauri.conf.json", version=None)
    conf = root / "src-tauri" / "tauri.conf.json"
    conf.write_text(conf.read_text().replace("{", '{\n  "version": null,', 1))
    # When read / Then it is noted as absent and the other files decide
    report = read_versions(root)
    assert report.sources[0] == VersionSource("src-tauri/tauri.conf.json", None, NOTE_TAURI_ABSENT)
    assert (report.aligned, report.version) == (True, "1.4.2")


def test_deeply_nested_package_json_names_the_file(tmp_path: Path) -> None:
    # Given a package.json nested deeper than the JSON parser's recursion allows
    (tmp_path / "package.json").write_text("[" * 100_000 + "]" * 100_000)
    # When read / Then the error names the file instead of a RecursionError
    with pytest.raises(VersionFileError, match=r"^package.json: nested too deeply to be read$"):
        read_versions(tmp_path, ["package.json"])


def test_v_prefix_is_the_same_version_spelled_differently(tmp_path: Path) -> None:
    # Given package.json says v1.4.2 and the Tauri files 1.4.2
    root = copy_demo(tmp_path)
    edit_json(root / "package.json", version="v1.4.2")
    # When read / Then they agree as versions, and both spellings are kept (first file first)
    report = read_versions(root)
    assert report.aligned
    assert report.spellings == ("1.4.2", "v1.4.2")


# --- Properties (Hypothesis) -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=json_values | st.dictionaries(st.just("version"), json_values, min_size=1))
def test_any_json_package_json_gives_a_version_or_an_error_naming_it(
    tmp_path: Path, document: object
) -> None:
    # Given any JSON document as package.json
    (tmp_path / "package.json").write_text(json.dumps(document))
    # When read
    outcome: VersionReport | VersionFileError
    try:
        outcome = read_versions(tmp_path, ["package.json"])
    except VersionFileError as exc:
        outcome = exc
    # Then either an error naming the file ...
    if isinstance(outcome, VersionFileError):
        assert str(outcome).startswith("package.json: ")
        return
    # ... or the string version it holds, or "no version" only when the key is absent
    [source] = outcome.sources
    assert isinstance(document, dict)
    if "version" in document:
        assert source.value == document["version"]
    else:
        assert source.value is None


release_parts = st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=release_parts, prefix=st.sampled_from(["", "v", "V"]), pad=st.booleans())
def test_spellings_of_one_version_agree_but_are_all_kept(
    tmp_path: Path, parts: list[int], prefix: str, pad: bool
) -> None:
    # Given two files with the same version, one maybe with a v prefix or a trailing .0
    plain = ".".join(map(str, parts))
    other = prefix + plain + (".0" if pad else "")
    (tmp_path / "a.json").write_text(json.dumps({"version": plain}))
    (tmp_path / "b.json").write_text(json.dumps({"version": other}))
    # When read
    report = read_versions(tmp_path, ["a.json", "b.json"])
    # Then they agree as versions, and every distinct raw spelling is reported
    assert report.aligned
    assert report.version == plain
    assert report.spellings == tuple(dict.fromkeys([plain, other]))
