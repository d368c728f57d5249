"""The ``sentry-gate`` command: the old script's flags, pytest's verdicts and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_sentry_gate.cli import parser, pytest_args
from pytest_sentry_gate.report import SCHEMA_PATH
from pytest_sentry_gate.settings import ROWS
from tests.conftest import CANARY_TOKEN, assert_no_secret

ROOT = Path(__file__).resolve().parent.parent


def run_cli(cwd: Path, *args: str, token: str = CANARY_TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["SENTRY_AUTH_TOKEN"] = token
    # The package under test, not whichever copy is installed (a worktree shares the venv).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest_sentry_gate.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_old_flags_map_to_pytest_options() -> None:
    ns = parser().parse_args(
        [
            "--mode",
            "verify-loop",
            "--org",
            "acme",
            "--project",
            "a,b",
            "--repo-root",
            "/r",
            "--require-host-network",
            "--",
            "-x",
        ]
    )
    assert pytest_args(ns, Path("r.json")) == [
        "-m",
        "verify_loop",
        "--sentry-org",
        "acme",
        "--sentry-project",
        "a,b",
        "--sentry-repo-root",
        "/r",
        "--require-host-network",
        "--sentry-gate-report",
        "r.json",
        "-x",
    ]


def test_json_prints_the_report_and_exit_code_follows_the_verdict(
    tmp_path: Path, simulator: Any
) -> None:
    # Given the simulator and the old script's flags
    # When run with --json
    done = run_cli(
        tmp_path,
        "--mode",
        "setup-preflight",
        "--org",
        "acme",
        "--project",
        "codictate",
        "--url",
        simulator.url,
        "--json",
    )
    # Then stdout is exactly the agent report, and the exit code is 0 for PASS
    report = json.loads(done.stdout)
    assert report["schema"] == "pytest-sentry-gate/report@1"
    assert report["overall_status"] == "PASS"
    assert done.returncode == 0
    assert "sentry-gate" in done.stderr  # pytest's own output went to stderr
    assert_no_secret(done.stdout, done.stderr)
    # And a FAIL exits 1 (the old script's --json always exited 0)
    failed = run_cli(
        tmp_path, "--mode", "setup-preflight", "--org", "nope", "--url", simulator.url, "--json"
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["overall_status"] == "FAIL"


def test_cli_flags_derive_from_the_settings_table() -> None:
    # Given every sentry-gate flag that a settings row declares
    pairs = [
        (name, row, cli, flag)
        for name, row in ROWS.items()
        for cli, flag in zip(row.cli, row.all_flags, strict=False)
        if name != "report"
    ]
    assert {cli for *_, cli, _ in pairs} >= {
        "--org",
        "--project",
        "--repo-root",
        "--url",
        "--release",
        "--environment",
        "--require-host-network",
        "--strict-network",
        "--send-test-event",
        "--auto-slug-discovery",
        "--no-auto-slug-discovery",
    }
    for _name, row, cli, flag in pairs:
        # When the flag is given
        value = [] if row.switch else ["v"]
        args = pytest_args(parser().parse_args(["--mode", "setup-preflight", cli, *value]), None)
        # Then pytest gets the row's own flag
        assert args == ["-m", "setup_preflight", flag, *value], cli


@pytest.mark.parametrize("spelling", ["release-gate", "release_gate"])
def test_mode_takes_either_spelling(spelling: str) -> None:
    ns = parser().parse_args(["--mode", spelling])
    assert pytest_args(ns, None) == ["-m", "release_gate"]


def test_unknown_mode_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--mode", "release_gates")
    assert done.returncode == 2
    assert "invalid choice: 'release_gates'" in done.stderr
    assert done.stdout == ""


def error_document(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON document on stdout, valid against the report schema, with status ERROR."""
    document: dict[str, Any] = json.loads(done.stdout)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["overall_status"] == "ERROR"
    assert [r["status"] for r in document["results"]] == ["ERROR"]
    return document


def test_json_after_a_bad_flag_is_one_error_document(tmp_path: Path) -> None:
    # Given a flag sentry-gate does not know, with --json
    done = run_cli(tmp_path, "--mode", "release_gate", "--bogus", "--json")
    # Then stdout is one report with status ERROR and argparse's message, and the exit code is 2
    assert done.returncode == 2
    document = error_document(done)
    assert document["mode"] == "release-gate"
    assert document["results"][0]["message"] == (
        "sentry-gate: error: unrecognized arguments: --bogus"
    )


def test_json_after_a_bad_value_is_one_error_document(tmp_path: Path) -> None:
    # Given a value pytest refuses at start-up, with --json
    done = run_cli(
        tmp_path, "--mode", "release-gate", "--repo-root", str(tmp_path / "nope"), "--json"
    )
    # Then stdout is one report with status ERROR and pytest's message, and the exit code is 2
    assert done.returncode == 2
    message = error_document(done)["results"][0]["message"]
    assert message == (
        f"Invalid repository root '{tmp_path / 'nope'}' from --sentry-repo-root: an existing "
        "directory"
    )
    assert "Invalid repository root" in done.stderr  # pytest's own output is still on stderr


def test_json_error_never_shows_url_credentials(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path, "--mode", "setup-preflight", "--url", "https://bob:pw-xyzzy@h.example/", "--json"
    )
    assert done.returncode == 2
    message = error_document(done)["results"][0]["message"]
    assert message.startswith("Invalid Sentry URL 'https://***@h.example/' from --sentry-url")
    assert "pw-xyzzy" not in done.stdout + done.stderr


def test_a_mode_without_checks_is_not_a_pass(tmp_path: Path) -> None:
    # Given a mode whose checks are all switched off (no bundled checks, none of one's own)
    done = run_cli(
        tmp_path,
        "--mode",
        "prod-health",
        "--json",
        "--url",
        "http://127.0.0.1:9",
        "--",
        "-o",
        "sentry_bundled_checks=false",
    )
    report = json.loads(done.stdout)
    assert report["checks"] == []
    assert report["overall_status"] == "PARTIAL"
