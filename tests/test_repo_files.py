"""Every repository file is read bounded (issue 15 items 2, 8, 14; issue 14 item 14).

A link to ``/dev/zero`` or a sparse file above its kind's cap, under every name the tool reads,
ends in a verdict naming the file, never a ``MemoryError``. The caps are lowered here (the
readers look them up when they read) so that a file "above the cap" costs kilobytes. The module
also lowers this process's address-space limit while a test runs: a regression fails with
``MemoryError`` here instead of eating the machine.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_sentry_gate.repo import (
    bundles,
    capabilities,
    codeowners,
    dsn,
    files,
    privacy,
    versions,
    wiring,
)
from pytest_sentry_gate.repo.build import build_hint
from pytest_sentry_gate.repo.owner_glob import MAX_PATH_CHARS, MAX_PATTERN_CHARS
from sentry_simulator import Simulator
from tests.conftest import CANARY_TOKEN, check, demo_target, run_mode

CAPABILITY = "src-tauri/capabilities/default.json"
SMALL = 1024


@pytest.fixture(autouse=True)
def bounded_memory() -> Iterator[None]:
    """At most ~1.5 GB more address space while the test runs (restored after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as handle:  # pages: size resident ...
        size = int(handle.read().split()[0]) * resource.getpagesize()
    limit = size + 1536 * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cap at 1 KB: a "file above the cap" is a 1 KB + 1 sparse file."""
    for name in ("CAP_CONFIG", "CAP_MANIFEST", "CAP_BUNDLE"):
        monkeypatch.setattr(files, name, SMALL)
    monkeypatch.setattr(privacy, "MAX_FILE_BYTES", SMALL)


def hostile(path: Path, kind: str) -> Path:
    """``path`` as a link to ``/dev/zero``, or a sparse file one byte above the 1 KB cap."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        with path.open("wb") as handle:
            handle.truncate(SMALL + 1)
    return path


WHY = {"zero": "a character device, not a regular file: not read", "sparse": "above the 1,024"}
KINDS = pytest.mark.parametrize("kind", ["zero", "sparse"])


# -- each reader, each kind --------------------------------------------------------------------


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_a_version_file_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / "package.json", kind)
    with pytest.raises(files.FileRefused) as caught:
        versions.read_versions(tmp_path, ["package.json"])
    assert caught.value.reason == "file_refused"
    assert str(caught.value).startswith(f"{tmp_path / 'package.json'}: ")
    assert WHY[kind] in str(caught.value)


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_a_bundle_or_its_map_is_a_problem_naming_it(tmp_path: Path, kind: str) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "ok-12345678.js").write_text("x\n//# sourceMappingURL=ok-12345678.js.map\n")
    hostile(dist / "ok-12345678.js.map", kind)
    hostile(dist / "main-12345678.js", kind)
    scan = bundles.scan_bundles(dist)
    assert [b.name for b in scan.bundles] == ["main-12345678.js", "ok-12345678.js"]
    main, ok = scan.problems
    assert main.startswith("main-12345678.js: cannot be read (")
    assert WHY[kind] in main
    assert ok.startswith("ok-12345678.js.map: cannot be read (")
    assert WHY[kind] in ok


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_dotenv_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / ".env", kind)
    with pytest.raises(files.FileRefused, match=WHY[kind]):
        dsn.read_dotenv(tmp_path / ".env")
    with pytest.raises(files.FileRefused, match=WHY[kind]):
        dsn.kill_switch("APP_DISABLE_SENTRY", {}, tmp_path)


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_cargo_toml_of_the_privacy_scan_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / privacy.TAURI_CARGO, kind)
    with pytest.raises(files.FileRefused, match=WHY[kind]):
        privacy.scan_privacy(tmp_path)


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_a_source_file_is_left_unread(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / "src" / "main.ts", kind)
    (tmp_path / "src" / "ok.ts").write_text('import * as Sentry from "@sentry/browser";\n')
    assert privacy.scan_privacy(tmp_path).files_read == 1


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_a_wiring_marker_file_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / "vite.config.ts", kind)
    (marker,) = wiring.parse_markers(["vite.config.*: sentryVitePlugin"])
    with pytest.raises(files.FileRefused, match=WHY[kind]):
        wiring.check_marker(tmp_path, marker, release="r", project="p", version="1")


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_the_build_hint_says_package_json_was_not_read(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / "package.json", kind)
    hint = build_hint(tmp_path, "dist").text
    assert hint.startswith("build the app so that its bundles land in")
    assert f"{tmp_path / 'package.json'}: " in hint
    assert WHY[kind] in hint


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_codeowners_refused_leaves_every_owner_undecided(tmp_path: Path, kind: str) -> None:
    hostile(tmp_path / ".github" / "CODEOWNERS", kind)
    owners = codeowners.read_owners(tmp_path)
    said = owners.describe("src/a.ts")
    assert said.startswith("owner not decided: .github/CODEOWNERS not read: ")
    assert WHY[kind] in said


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_sentryclirc_is_a_usage_error_naming_it(tmp_path: Path, kind: str) -> None:
    from pytest_sentry_gate import sentryclirc

    rc = hostile(tmp_path / ".sentryclirc", kind)
    with pytest.raises(pytest.UsageError, match=f"Invalid .sentryclirc {rc}: .*{WHY[kind]}"):
        sentryclirc.load(home=None, start=tmp_path)


# -- capabilities (issue 14 item 14, and refused files) ----------------------------------------


@KINDS
@pytest.mark.usefixtures("small_caps")
def test_an_unreadable_capability_beside_a_granting_one_is_a_risk(
    tmp_path: Path, kind: str
) -> None:
    (tmp_path / CAPABILITY).parent.mkdir(parents=True)
    (tmp_path / CAPABILITY).write_text('{"identifier": "d", "permissions": ["sentry:default"]}')
    hostile(tmp_path / "src-tauri/capabilities/other.json", kind)
    result = wiring.tauri_capability_check(tmp_path)
    assert result.granted_by == (CAPABILITY,)
    (risk,) = result.risks
    assert "src-tauri/capabilities/other.json" in risk
    assert WHY[kind] in risk
    # and alone, the unread file is the failure (it might have granted the permission)
    (tmp_path / CAPABILITY).unlink()
    alone = wiring.tauri_capability_check(tmp_path)
    assert not alone.granted
    assert alone.unread_failure is not None
    assert alone.unread_failure.reason == "file_refused"


def test_capabilities_are_bounded_in_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / wiring.CAPABILITIES_DIR
    directory.mkdir(parents=True)
    (directory / "a.json").write_text('{"permissions": ["sentry:default"]}')
    for index in range(12):
        (directory / f"z{index:02}.json").write_text("{}")
    monkeypatch.setattr(capabilities, "MAX_CAPABILITY_FILES", 5)
    result = wiring.tauri_capability_check(tmp_path)
    assert len(result.files) == 5
    assert result.capped
    assert any("more than 5 capability files" in risk for risk in result.risks)


def test_an_unrelated_bad_capability_passes_the_preflight_with_a_risk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the demo (default.json grants sentry:default) and an unrelated file with bad JSON
    (repo / "src-tauri/capabilities/desktop.json").write_text('{"permissions": [,]}')
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    # When the preflight runs
    _, report = run_mode(pytester, "setup_preflight", *demo_target(sim.url, repo))
    # Then the capability check passes, and the bad file is a risk naming it
    capability = check(report, "test_tauri_capability")
    assert (capability["status"], capability["reason"]) == ("PASS", "ok")
    assert any(r.startswith("src-tauri/capabilities/desktop.json:1:") for r in capability["risks"])


# -- end to end: the headline cases ------------------------------------------------------------


def test_a_sentryclirc_linked_to_dev_zero_is_a_usage_error(
    pytester: pytest.Pytester, repo: Path, sim: Simulator
) -> None:
    # Given the app repository's .sentryclirc is a link to /dev/zero (git stores links)
    (repo / ".sentryclirc").symlink_to("/dev/zero")
    # When any mode runs
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_inprocess("-m", "setup_preflight", *demo_target(sim.url, repo))
    # Then it stops with a usage error naming the file, without reading it
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"Invalid .sentryclirc {repo / '.sentryclirc'}: a character device" in err
    assert "MemoryError" not in err + result.stdout.str()


def test_a_package_json_linked_to_dev_zero_fails_the_version_check_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    (repo / "package.json").unlink()
    (repo / "package.json").symlink_to("/dev/zero")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    _, report = run_mode(pytester, "release_gate", *demo_target(sim.url, repo))
    versions_check = check(report, "test_versions_aligned")
    assert (versions_check["status"], versions_check["reason"]) == ("FAIL", "file_refused")
    assert versions_check["message"].startswith(f"{repo / 'package.json'}: a character device")


# -- version files stay inside the repository (issue 15 item 14) -------------------------------


@pytest.mark.parametrize("spec", ["../package.json", "a/../../package.json", "..\\x.json"])
def test_a_version_spec_with_dotdot_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=r"must stay inside the repository \(no '\.\.'\)"):
        versions.parse_spec(spec)


def test_a_version_file_linked_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "package.json").write_text('{"version": "9.9.9"}')
    root = tmp_path / "repo"
    root.mkdir()
    (root / "package.json").symlink_to(outside / "package.json")
    with pytest.raises(files.FileRefused, match="resolves outside the repository root"):
        versions.read_versions(root, ["package.json"])


def test_a_wiring_marker_file_linked_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.ts"
    outside.write_text("sentryVitePlugin\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "vite.config.ts").symlink_to(outside)
    (marker,) = wiring.parse_markers(["vite.config.*: sentryVitePlugin"])
    with pytest.raises(files.FileRefused, match="resolves outside the repository root"):
        wiring.check_marker(root, marker, release="r", project="p", version="1")


# -- CODEOWNERS matching is bounded (issue 15 item 8) ------------------------------------------


def test_a_backtracking_pattern_against_a_long_path_is_decided_quickly(tmp_path: Path) -> None:
    # Given the pattern that held a run past 300 s with the codeowners package's regex
    pattern = "*a" * (MAX_PATTERN_CHARS // 2 - 1) + "*b"
    (tmp_path / "CODEOWNERS").write_text(f"* @everyone\n{pattern} @evil\n")
    owners = codeowners.read_owners(tmp_path)
    start = time.monotonic()
    said = owners.describe("a" * MAX_PATH_CHARS)
    # Then the answer is exact, and decided in seconds, not the minutes the backtracking took
    # (a bound five times below 300 s, so that a loaded machine does not fail it)
    assert time.monotonic() - start < 60
    assert said == "@everyone"


def test_an_owner_that_cannot_be_decided_says_why(tmp_path: Path) -> None:
    too_long = "x" * (MAX_PATTERN_CHARS + 1)
    (tmp_path / "CODEOWNERS").write_text(f"src/a.ts @first\n{too_long} @second\n")
    owners = codeowners.read_owners(tmp_path)
    said = owners.describe("src/a.ts")
    assert said == f"owner not decided: line 2: longer than {MAX_PATTERN_CHARS} characters"
    long_path = "src/" + "a" * MAX_PATH_CHARS
    assert owners.describe(long_path) == (
        f"owner not decided: the path is longer than {MAX_PATH_CHARS} characters"
    )


def test_a_rule_past_its_budget_leaves_the_owner_undecided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_sentry_gate.repo import owner_glob

    monkeypatch.setattr(owner_glob.Budget, "__init__", lambda self: setattr(self, "left", 100))
    (tmp_path / "CODEOWNERS").write_text("* @all\n" + "*a" * 20 + "*b @evil\n")
    said = codeowners.read_owners(tmp_path).describe("a" * 200)
    assert said.startswith("owner not decided: matching took more than")
