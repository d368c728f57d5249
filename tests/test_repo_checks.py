"""The repository-side checks end to end (preflight and release gate) on edited Tauri v2 copies.

Each run is a real ``pytest -m <mode>`` against the simulator's demo story on 127.0.0.1; the
repositories are the demo app copied to a temporary directory and edited into the layouts real
Tauri v2 apps use (no real repository can be cloned here).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.modes.release_gate import VERSION_SPELLING
from pytest_sentry_gate.repo.build import build_command as _build_command
from sentry_simulator import Simulator
from tests.conftest import (
    CANARY_TOKEN,
    check,
    demo_target,
    edit_json,
    load_report,
    run_mode,
)

CAPABILITY = "src-tauri/capabilities/default.json"
RUST = "src-tauri/src/main.rs"


def run_mode_on(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    repo: Path,
    sim: Simulator,
    *args: str,
    ini: str = "",
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """``pytest -m <mode>`` on ``repo``: no traceback, no secret, a valid report."""
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    return run_mode(
        pytester, mode, *demo_target(sim.url, repo), *args, ini="sentry_http_timeout = 2\n" + ini
    )


# -- item 9: the privacy check -------------------------------------------------------------------


def test_demo_privacy_passes_with_the_frontend_scrubber_risk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the demo / When the preflight runs
    result, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    # Then privacy passes, naming both inits, with the frontend's missing beforeSend as a risk
    assert result.ret == 0
    privacy = check(report, "test_sentry_privacy")
    assert (privacy["status"], privacy["reason"]) == ("PASS", "ok")
    assert privacy["evidence"]["sentry_init"] == ["src/main.ts:5", "src-tauri/src/main.rs:3"]
    assert privacy["evidence"]["tauri_plugin_registered"] == ["src-tauri/src/main.rs:18"]
    assert [r.split(":")[0] for r in privacy["risks"]] == ["src/main.ts"]


def test_pii_on_and_scrubber_removed_fails_the_preflight(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given codictate with send_default_pii: true and its before_send removed (the case)
    rust = repo / RUST
    text = rust.read_text().replace("send_default_pii: false", "send_default_pii: true")
    rust.write_text(
        text[: text.index("            // Scrub")] + text[text.index("  ..Default") - 10 :]
    )
    # When the preflight runs
    result, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    # Then it fails, naming the file and line, with the fix; the missing scrubber is a risk
    assert result.ret == 1
    privacy = check(report, "test_sentry_privacy")
    assert (privacy["status"], privacy["reason"]) == ("FAIL", "privacy_pii")
    assert privacy["message"].startswith("src-tauri/src/main.rs:7: send_default_pii: true sends")
    assert privacy["fixes"][0] == "set send_default_pii to false in src-tauri/src/main.rs:7"
    assert any(
        r.startswith("src-tauri/src/main.rs:3: Sentry is initialised without")
        for r in privacy["risks"]
    )


def test_plugin_not_registered_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the Rust builder without .plugin(tauri_plugin_sentry::init(&client))
    rust = repo / RUST
    rust.write_text(
        rust.read_text().replace("        .plugin(tauri_plugin_sentry::init(&client))\n", "")
    )
    # When the preflight runs / Then privacy fails with the line to add
    _, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    privacy = check(report, "test_sentry_privacy")
    assert (privacy["status"], privacy["reason"]) == ("FAIL", "privacy_plugin_unregistered")
    assert privacy["fixes"][0] == (
        f"add .plugin(tauri_plugin_sentry::init(&client)) to tauri::Builder in {RUST}"
    )


def test_tauri_repository_without_any_init_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a Tauri app whose source initialises no Sentry client
    shutil.rmtree(repo / "src")
    (repo / RUST).write_text("fn main() { tauri::Builder::default(); }\n")
    (repo / "src-tauri" / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "1.4.2"\n')
    # When the preflight runs / Then privacy fails: nothing to judge is not a pass
    _, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    assert check(report, "test_sentry_privacy")["reason"] == "sentry_init_missing"


# -- item 10: capability layouts -----------------------------------------------------------------


def test_toml_capability_and_explicit_list_end_to_end(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the Sentry permission in a TOML capability, and tauri.conf.json listing only "main"
    (repo / CAPABILITY).write_text('{"identifier": "main", "permissions": ["core:default"]}')
    (repo / "src-tauri/capabilities/sentry.toml").write_text(
        'identifier = "sentry"\nwindows = ["main"]\npermissions = ["sentry:default"]\n'
    )
    conf = repo / "src-tauri" / "tauri.conf.json"
    data = json.loads(conf.read_text())
    data["app"]["security"]["capabilities"] = ["main"]
    conf.write_text(json.dumps(data))
    # When the preflight runs / Then the unlisted TOML file does not count, and the fix says so
    _, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    capability = check(report, "test_tauri_capability")
    assert (capability["status"], capability["reason"]) == ("FAIL", "capability_not_enabled")
    assert capability["fixes"][0] == (
        'add "sentry" to app.security.capabilities in src-tauri/tauri.conf.json'
    )
    # When the list names it / Then it passes
    data["app"]["security"]["capabilities"] = ["main", "sentry"]
    conf.write_text(json.dumps(data))
    _, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    assert check(report, "test_tauri_capability")["status"] == "PASS"


def test_capability_not_utf8_fails_naming_the_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a capability file in Latin-1
    (repo / CAPABILITY).write_bytes(
        b'{"description": "caf\xe9", "permissions": ["sentry:default"]}'
    )
    # When the preflight runs / Then the capability check fails naming the file, no traceback
    _, report = run_mode_on(pytester, monkeypatch, "setup_preflight", repo, sim)
    capability = check(report, "test_tauri_capability")
    assert (capability["status"], capability["reason"]) == ("FAIL", "repo_file")
    assert capability["message"].startswith(f"{CAPABILITY}: not UTF-8 text")


# -- item 12: markers with absolute paths ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/etc/hostname", "../../outside.ts"])
def test_wiring_marker_outside_the_repository_is_a_usage_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    sim: Simulator,
    path: str,
) -> None:
    # Given a sentry_wiring marker with an absolute path / When the preflight runs
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makeini(f"[pytest]\nsentry_wiring =\n    {path}: Sentry.init(\n")
    result = pytester.runpytest_inprocess(
        "-m", "setup_preflight", f"--sentry-url={sim.url}", f"--sentry-repo-root={repo}"
    )
    # Then it is a usage error naming the line and the setting, never a traceback
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"Invalid wiring marker line '    {path}: Sentry.init('" in err or path in err
    assert "must be relative to the repository root" in err
    assert "Traceback" not in err + result.stdout.str()


# -- items 12 and 15: version files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('["1.4.2"]', "package.json: the document is an array, not a JSON object with a version"),
        ('{"version": null}', "package.json: version is null"),
        ("[" * 50_000 + "]" * 50_000, "package.json: nested too deeply to be read"),
    ],
    ids=["array", "null", "deep"],
)
def test_bad_package_json_fails_naming_the_file(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    sim: Simulator,
    content: str,
    message: str,
) -> None:
    # Given a package.json that is an array, has a null version, or is nested too deeply
    (repo / "package.json").write_text(content)
    # When the release gate runs
    result, report = run_mode_on(pytester, monkeypatch, "release_gate", repo, sim)
    # Then the versions check fails naming the file: not "no version", not a traceback
    assert result.ret == 1
    versions = check(report, "test_versions_aligned")
    assert (versions["status"], versions["reason"]) == ("FAIL", "repo_file")
    assert versions["message"].startswith(message)
    # And the build hint does not crash on it either
    assert check(report, "test_built_bundles")["status"] == "PASS"


def test_v_prefix_is_a_mismatch_when_the_release_takes_the_raw_string(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given package.json says v1.4.2, the Tauri files 1.4.2, and the default template
    edit_json(repo / "package.json", version="v1.4.2")
    # When the release gate runs
    result, report = run_mode_on(pytester, monkeypatch, "release_gate", repo, sim)
    # Then the versions check fails: codictate@v1.4.2 and codictate@1.4.2 are two releases
    assert result.ret == 1
    versions = check(report, "test_versions_aligned")
    assert (versions["status"], versions["reason"]) == ("FAIL", "version_spelling")
    assert versions["message"] == VERSION_SPELLING.format(
        sources=(
            "src-tauri/tauri.conf.json=1.4.2, src-tauri/Cargo.toml=1.4.2 (inherited from "
            "Cargo.toml [workspace.package]), package.json=v1.4.2"
        ),
        template="{project}@{version}",
        names="codictate@1.4.2 and codictate@v1.4.2",
        spellings="'1.4.2' and 'v1.4.2'",
    )
    # When the release is given explicitly / Then the spelling is a risk, not a failure
    _, report = run_mode_on(
        pytester, monkeypatch, "release_gate", repo, sim, "--sentry-release=codictate@1.4.2"
    )
    versions = check(report, "test_versions_aligned")
    assert versions["status"] == "PASS"
    assert "'1.4.2' and 'v1.4.2' are spelled differently" in versions["risks"][0]


# -- item 14: release wiring in words --------------------------------------------------------------


def test_handy_like_release_wiring_fails_in_words_with_the_lines_to_add(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a Handy-like repository: Vite and CI publish handy-app@<version>
    vite = repo / "vite.config.ts"
    vite.write_text(vite.read_text().replace("`codictate@${version}`", "`handy-app@${version}`"))
    workflow = repo / ".github" / "workflows" / "release.yml"
    workflow.write_text(
        workflow.read_text().replace("SENTRY_RELEASE: codictate@", "SENTRY_RELEASE: handy-app@")
    )
    # When the release gate runs
    _, report = run_mode_on(pytester, monkeypatch, "release_gate", repo, sim)
    # Then the message says what is missing and where, with no regular expression in it
    wiring = check(report, "test_release_wiring")
    assert (wiring["status"], wiring["reason"]) == ("FAIL", "release_wiring")
    message = wiring["message"]
    assert message.startswith(
        "The release wiring does not use codictate@1.4.2: vite.config.ts names no release that is "
        "codictate@1.4.2 or starts with codictate@"
    )
    assert "no workflow in .github/workflows/release.yml sets SENTRY_RELEASE" in message
    assert "\\" not in message
    assert "re:" not in message
    # And the next commands are the lines to add
    assert wiring["fixes"][:2] == [
        "add to the sentryVitePlugin({ … }) options in vite.config.ts: "
        "release: { name: `codictate@${version}` }",
        "add to the env of the build step in .github/workflows/release.yml: "
        "SENTRY_RELEASE: codictate@${{ steps.version.outputs.version }}",
    ]


# -- item 11: the build hint -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "npm --prefix"),
        ({"package-lock.json": "{}"}, "npm --prefix"),
        ({"yarn.lock": ""}, "yarn --cwd"),
        ({"pnpm-lock.yaml": ""}, "pnpm --dir"),
        ({"bun.lock": ""}, "bun --cwd"),
        ({"bun.lockb": ""}, "bun --cwd"),
        ({"bun.lockb": "", "package-lock.json": "{}"}, "bun --cwd"),
    ],
)
def test_build_hint_uses_the_lock_files_package_manager(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    # Given a repository with a build script and a lock file
    (tmp_path / "package.json").write_text('{"scripts": {"build": "vite build"}}')
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    # When / Then the hint runs that package manager's build in the repository, as one command
    # (its own option for the directory: no ``cd``, which only a person's shell would keep)
    assert _build_command(tmp_path, "dist/assets") == f"{expected} {tmp_path} run build"


def test_build_hint_prefers_package_manager_field_and_survives_bad_json(tmp_path: Path) -> None:
    # Given "packageManager": "pnpm@9.1.0" beside a yarn.lock
    (tmp_path / "package.json").write_text(
        '{"packageManager": "pnpm@9.1.0+sha512.abc", "scripts": {"build": "vite build"}}'
    )
    (tmp_path / "yarn.lock").write_text("")
    assert _build_command(tmp_path, "dist/assets") == f"pnpm --dir {tmp_path} run build"
    # Given a package.json that is an array, or nested too deeply / Then no command (the check
    # says it in words, as a fix)
    for content in ('["x"]', "[" * 50_000 + "]" * 50_000):
        (tmp_path / "package.json").write_text(content)
        assert _build_command(tmp_path, "dist/assets") is None


# -- item 12: unexpected exceptions are never reason "ok" ------------------------------------------


def test_unexpected_exception_in_a_check_is_reason_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a check of the user's own that breaks after taking sentry_check
    pytester.makepyfile(
        test_own="""
        import pytest

        @pytest.mark.release_gate
        def test_own(sentry_check):
            sentry_check.record(step=1)
            raise RuntimeError("reader broke")
        """
    )
    # When the gate runs it
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makeini("[pytest]\nsentry_bundled_checks = false\n")
    pytester.runpytest_inprocess(
        "-m",
        "release_gate",
        f"--sentry-url={sim.url}",
        f"--sentry-repo-root={repo}",
        "--sentry-gate-report=report.json",
        "-p",
        "no:cacheprovider",
        str(pytester.path / "test_own.py"),
    )
    # Then its verdict is FAIL with reason "error", never "ok"
    own = check(load_report(pytester.path / "report.json"), "test_own")
    assert (own["status"], own["reason"]) == ("FAIL", "error")
