"""Tests of pytest_sentry_gate.repo.wiring: release wiring markers and the Tauri capability."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_sentry_gate.repo.wiring import (
    CAPABILITY_GRANTED,
    CAPABILITY_MISSING,
    CAPABILITY_NO_FILES,
    DEFAULT_TAURI_RELEASE_MARKERS,
    NOTE_NO_FILE,
    CapabilityFileError,
    WiringMarker,
    WiringResult,
    check_markers,
    is_tauri_repo,
    parse_markers,
    tauri_capability_check,
)

DEMO = Path(__file__).resolve().parent.parent / "examples" / "codictate"
VALUES = {"release": "codictate@1.4.2", "project": "codictate", "version": "1.4.2"}
WORKFLOW = ".github/workflows/release.yml"
CAPABILITY = "src-tauri/capabilities/default.json"


def copy_demo(tmp_path: Path) -> Path:
    """A writable copy of the demo app."""
    root = tmp_path / "codictate"
    shutil.copytree(DEMO, root)
    return root


def set_workflow_release(root: Path, value: str) -> None:
    path = root / WORKFLOW
    lines = [
        f"          SENTRY_RELEASE: {value}" if "SENTRY_RELEASE:" in line else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


def test_parse_markers() -> None:
    # Given ini lines with a comment, a blank line, a literal and a regex marker
    lines = ["# comment", "", "src/main.ts: release: RELEASE", r"ci.yml: re:^\s*SENTRY_RELEASE"]
    # When parsed
    markers = parse_markers(lines)
    # Then the path is split at the first colon only
    assert markers == [
        WiringMarker("src/main.ts", "release: RELEASE"),
        WiringMarker("ci.yml", r"re:^\s*SENTRY_RELEASE"),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("src/main.ts", "missing ':'"),
        (": text", "empty path"),
        ("src/main.ts:   ", "empty text"),
        ("ci.yml: re:SENTRY_RELEASE(", "bad regex"),
    ],
)
def test_parse_bad_marker_names_the_line(line: str, reason: str) -> None:
    # Given a bad line / When parsed / Then the error names the line and the reason
    with pytest.raises(ValueError, match=reason) as caught:
        parse_markers([line])
    assert repr(line) in str(caught.value)


def test_default_markers_found_in_demo() -> None:
    # Given the demo app / When the default Tauri release markers are checked
    results = check_markers(DEMO, DEFAULT_TAURI_RELEASE_MARKERS, **VALUES)
    # Then every marker is found, with its file and line
    assert [(r.file, r.found, r.present_file) for r in results] == [
        ("vite.config.ts", True, True),
        ("vite.config.ts", True, True),
        (WORKFLOW, True, True),
    ]
    workflow_lines = (DEMO / WORKFLOW).read_text().splitlines()
    line = results[2].line
    assert line is not None
    assert "SENTRY_RELEASE: codictate@${{" in workflow_lines[line - 1]


def test_workflow_with_literal_release(tmp_path: Path) -> None:
    # Given the workflow sets the rendered release literally
    root = copy_demo(tmp_path)
    set_workflow_release(root, '"codictate@1.4.2"')
    # When checked / Then the marker is found
    assert check_markers(root, DEFAULT_TAURI_RELEASE_MARKERS[2:], **VALUES)[0].found


def test_workflow_with_wrong_release(tmp_path: Path) -> None:
    # Given the workflow sets the old script's release name
    root = copy_demo(tmp_path)
    set_workflow_release(root, "handy-app@1.4.2")
    # When checked
    [result] = check_markers(root, DEFAULT_TAURI_RELEASE_MARKERS[2:], **VALUES)
    # Then the marker is missing in a file that exists
    assert (result.found, result.present_file, result.line) == (False, True, None)
    assert "codictate@1\\.4\\.2" in result.expected


def test_placeholders_are_rendered() -> None:
    # Given a literal marker with placeholders
    markers = parse_markers(['src/release.ts: SENTRY_PROJECT = "{project}"'])
    # When checked against the demo
    [result] = check_markers(DEMO, markers, **VALUES)
    # Then the rendered text is reported and found on line 2
    assert result == WiringResult(
        "src/release.ts",
        'SENTRY_PROJECT = "codictate"',
        True,
        True,
        2,
        "src/release.ts:2 contains 'SENTRY_PROJECT = \"codictate\"'",
    )


def test_marker_missing_text_and_missing_file(tmp_path: Path) -> None:
    # Given a marker whose text is absent, and one whose file is absent
    markers = parse_markers(["src/main.ts: release: {release}", "sentry.properties: {project}"])
    # When checked
    absent_text, absent_file = check_markers(DEMO, markers, **VALUES)
    # Then the first is not found in an existing file, the second is skipped with a note
    assert (absent_text.found, absent_text.present_file) == (False, True)
    assert absent_text.expected == "release: codictate@1.4.2"
    assert (absent_file.found, absent_file.present_file) == (False, False)
    assert absent_file.note == NOTE_NO_FILE.format(file="sentry.properties")


def test_is_tauri_repo(tmp_path: Path) -> None:
    # Given the demo and an empty directory / When asked / Then only the demo is Tauri
    assert is_tauri_repo(DEMO)
    assert not is_tauri_repo(tmp_path)


def test_capability_present() -> None:
    # Given the demo's capability file / When checked / Then it grants sentry:default
    result = tauri_capability_check(DEMO)
    assert result.granted
    assert result.files == (CAPABILITY,)
    assert result.granted_by == (CAPABILITY,)


def test_capability_as_object_entry(tmp_path: Path) -> None:
    # Given the permission given as an object with an identifier
    root = copy_demo(tmp_path)
    data = json.loads((root / CAPABILITY).read_text())
    data["permissions"] = ["core:default", {"identifier": "sentry:default", "allow": []}]
    (root / CAPABILITY).write_text(json.dumps(data))
    # When checked / Then it counts
    assert tauri_capability_check(root).granted


def test_capability_absent(tmp_path: Path) -> None:
    # Given a capability file without the Sentry permission, and a second unrelated file
    root = copy_demo(tmp_path)
    data = json.loads((root / CAPABILITY).read_text())
    data["permissions"] = ["core:default", "sentry:allow-breadcrumb"]
    (root / CAPABILITY).write_text(json.dumps(data))
    (root / "src-tauri/capabilities/extra.json").write_text('{"identifier": "x"}')
    # When checked
    result = tauri_capability_check(root)
    # Then both files were read and none grants it
    assert not result.granted
    assert result.files == (CAPABILITY, "src-tauri/capabilities/extra.json")


def test_no_capabilities_dir(tmp_path: Path) -> None:
    # Given no capabilities directory / When checked / Then nothing is granted
    result = tauri_capability_check(tmp_path)
    assert (result.files, result.granted) == ((), False)


def test_capability_malformed(tmp_path: Path) -> None:
    # Given a capability file with a trailing comma
    root = copy_demo(tmp_path)
    (root / CAPABILITY).write_text('{\n  "permissions": ["sentry:default",]\n}\n')
    # When checked
    result = tauri_capability_check(root)
    # Then nothing readable grants the permission: the failure is the error naming file and position
    caught = result.unread_failure
    assert isinstance(caught, CapabilityFileError)
    assert str(caught).startswith(f"{CAPABILITY}:2:36: ")
    assert result.message.startswith(f"{CAPABILITY}:2:36: ")
    assert not result.granted


def test_capability_message_fix_and_evidence(tmp_path: Path) -> None:
    # Given the demo (granted) and an empty repository (no capability file)
    granted = tauri_capability_check(DEMO)
    missing = tauri_capability_check(tmp_path)
    # When / Then the sentences, the fix and the evidence say so
    assert granted.found
    assert granted.message == CAPABILITY_GRANTED.format(files=CAPABILITY)
    assert granted.fix is None
    assert granted.evidence() == {
        "permission": "sentry:default",
        "capability_files": [CAPABILITY],
        "granted_by": [CAPABILITY],
    }
    assert not missing.found
    assert missing.message == CAPABILITY_NO_FILES.format(
        glob="src-tauri/capabilities/**/*.{json,toml}"
    )
    assert missing.fix == f'add "sentry:default" to "permissions" in {CAPABILITY}'


def test_capability_missing_message_lists_files(tmp_path: Path) -> None:
    # Given a capability file without the permission
    root = copy_demo(tmp_path)
    (root / CAPABILITY).write_text('{"permissions": ["core:default"]}')
    # When checked / Then the message lists the files read
    assert tauri_capability_check(root).message == CAPABILITY_MISSING.format(files=CAPABILITY)


def test_wiring_result_describe_and_evidence() -> None:
    # Given a marker that is found / When described / Then note and evidence carry file and line
    [result] = check_markers(DEMO, parse_markers(["vite.config.ts: sentryVitePlugin"]), **VALUES)
    assert result.describe() == "vite.config.ts:1 contains 'sentryVitePlugin'"
    assert result.evidence() == {
        "file": "vite.config.ts",
        "expected": "sentryVitePlugin",
        "found": True,
        "present_file": True,
        "line": 1,
        "note": "vite.config.ts:1 contains 'sentryVitePlugin'",
        "fix": "",
    }


def test_default_markers_catch_the_old_scripts_release_name(tmp_path: Path) -> None:
    # Given the Vite config and the workflow build the release from package.json's name
    root = copy_demo(tmp_path)
    vite = root / "vite.config.ts"
    vite.write_text(vite.read_text().replace("`codictate@${version}`", "`handy-app@${version}`"))
    set_workflow_release(root, "handy-app@${{ steps.version.outputs.version }}")
    # When the default Tauri release markers are checked
    results = check_markers(root, DEFAULT_TAURI_RELEASE_MARKERS, **VALUES)
    # Then the plugin is still found, but both release names are reported missing
    assert [r.found for r in results] == [True, False, False]


# --- Tauri v2 capability layouts (issue 7, item 10) -------------------------------------------


def write_conf_capabilities(root: Path, capabilities: list[object]) -> None:
    conf = root / "src-tauri/tauri.conf.json"
    data = json.loads(conf.read_text())
    data["app"]["security"]["capabilities"] = capabilities
    conf.write_text(json.dumps(data, indent=2))


def test_capability_in_a_toml_file(tmp_path: Path) -> None:
    # Given the capability written in TOML, in a subdirectory, and no JSON capability
    root = copy_demo(tmp_path)
    (root / CAPABILITY).unlink()
    nested = root / "src-tauri/capabilities/desktop"
    nested.mkdir()
    (nested / "main.toml").write_text(
        'identifier = "main"\nwindows = ["main"]\n'
        'permissions = ["core:default", "sentry:default"]\n'
    )
    # When checked / Then it counts
    result = tauri_capability_check(root)
    assert result.granted_by == ("src-tauri/capabilities/desktop/main.toml",)


def test_capability_inline_in_tauri_conf(tmp_path: Path) -> None:
    # Given no capabilities directory and the capability inline in tauri.conf.json
    root = copy_demo(tmp_path)
    shutil.rmtree(root / "src-tauri/capabilities")
    inline = {"identifier": "main", "windows": ["main"], "permissions": ["sentry:default"]}
    write_conf_capabilities(root, [inline])
    # When checked / Then the inline entry grants it
    result = tauri_capability_check(root)
    assert result.granted_by == ("src-tauri/tauri.conf.json (app.security.capabilities[0])",)
    assert result.evidence()["listed_in_tauri_conf"] == ["main"]


def test_unlisted_capability_file_does_not_count(tmp_path: Path) -> None:
    # Given tauri.conf.json listing only "main", and the Sentry permission in "default"
    root = copy_demo(tmp_path)
    (root / "src-tauri/capabilities/main.json").write_text(
        '{"identifier": "main", "permissions": ["core:default"]}'
    )
    write_conf_capabilities(root, ["main"])
    # When checked
    result = tauri_capability_check(root)
    # Then it is not granted, and the message and the fix say why and what to add
    assert not result.granted
    assert result.not_enabled == ((CAPABILITY, "default"),)
    assert "does not name 'default'" in result.message
    assert result.fix == 'add "default" to app.security.capabilities in src-tauri/tauri.conf.json'
    # When the list names it, it counts
    write_conf_capabilities(root, ["main", "default"])
    assert tauri_capability_check(root).granted_by == (CAPABILITY,)


def test_capability_file_holding_a_list(tmp_path: Path) -> None:
    # Given a capability file in Tauri's list forms (a JSON array, or {"capabilities": [...]})
    root = copy_demo(tmp_path)
    entry = {"identifier": "default", "permissions": ["sentry:default"]}
    (root / CAPABILITY).write_text(json.dumps([entry]))
    assert tauri_capability_check(root).granted
    (root / CAPABILITY).write_text(json.dumps({"capabilities": [entry]}))
    assert tauri_capability_check(root).granted


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"permissions": ["sentry:d\xe9fault"]}', "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'identifier = "x"\npermissions = [', "not valid TOML"),
    ],
    ids=["latin1", "deep", "bad-toml"],
)
def test_unreadable_capability_file_names_it(tmp_path: Path, content: bytes, expected: str) -> None:
    # Given a capability file that is not UTF-8, too deep for the parser, or bad TOML
    root = copy_demo(tmp_path)
    name = "src-tauri/capabilities/x." + ("toml" if "TOML" in expected else "json")
    (root / name).write_bytes(content)
    # When checked
    result = tauri_capability_check(root)
    # Then default.json still grants the permission, and the unread file is a risk naming it
    assert result.granted_by == (CAPABILITY,)
    assert result.unread_failure is None
    (risk,) = result.risks
    assert risk.startswith(name)
    assert expected in risk
    assert "another enabled capability grants sentry:default" in risk


# --- Markers: paths and words (issue 7, items 12 and 14) --------------------------------------


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.txt", "src/../../x"])
def test_marker_path_outside_the_repository_is_refused(path: str) -> None:
    # Given a marker whose path is absolute or climbs out / When parsed / Then a ValueError says so
    with pytest.raises(ValueError, match="must be relative to the repository root"):
        parse_markers([f"{path}: text"])


def test_default_release_markers_say_in_words_what_is_missing(tmp_path: Path) -> None:
    # Given a Handy-like repository: the Vite plugin and CI name another release
    root = copy_demo(tmp_path)
    vite = root / "vite.config.ts"
    vite.write_text(vite.read_text().replace("`codictate@${version}`", "`handy-app@${version}`"))
    set_workflow_release(root, "handy-app@${{ steps.version.outputs.version }}")
    # When the default markers are checked
    _, vite_release, workflow = check_markers(root, DEFAULT_TAURI_RELEASE_MARKERS, **VALUES)
    # Then each sentence names the file, the release, and no regular expression
    assert vite_release.describe() == (
        "vite.config.ts names no release that is codictate@1.4.2 or starts with codictate@ "
        "(the release the Vite plugin uploads to is not the one under check)"
    )
    assert workflow.describe() == (
        "no workflow in .github/workflows/release.yml sets SENTRY_RELEASE to codictate@1.4.2 or to "
        "codictate@${{ … }}"
    )
    for result in (vite_release, workflow):
        assert "\\" not in result.describe()
        assert "re:" not in result.describe()
    # And the fix is the line to add
    assert vite_release.fix.endswith("release: { name: `codictate@${version}` }")
    assert workflow.fix.endswith("SENTRY_RELEASE: codictate@${{ steps.version.outputs.version }}")


def test_configured_regex_marker_is_shown_as_written(tmp_path: Path) -> None:
    # Given an ini regex marker that is not found
    (tmp_path / "app.py").write_text("sentry_sdk.init()\n")
    [marker] = parse_markers([r"app.py: re:release=[\"']{release}"])
    # When checked / Then the note quotes the ini marker, not the escaped rendered pattern
    [result] = check_markers(tmp_path, [marker], **VALUES)
    assert result.describe() == (
        "no line of app.py matches the marker " + repr(r"re:release=[\"']{release}")
    )


def test_marker_with_a_bad_glob_is_refused() -> None:
    # Given a marker path that pathlib cannot glob / When parsed / Then a ValueError names it
    with pytest.raises(ValueError, match=r"'src/\*\*x.ts: text': bad glob: Invalid pattern"):
        parse_markers(["src/**x.ts: text"])
