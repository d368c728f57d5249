"""The ``sentry-gate`` command: the old script's flags, pytest's verdicts and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytest_sentry_gate.cli import parser, pytest_args
from tests.conftest import CANARY_TOKEN, assert_no_secret


def run_cli(cwd: Path, *args: str, token: str = CANARY_TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["SENTRY_AUTH_TOKEN"] = token
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


def test_unknown_mode_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--mode", "release_gate")
    assert done.returncode == 2
    assert "invalid choice: 'release_gate'" in done.stderr


def test_json_after_a_usage_error_is_still_one_json_document(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path, "--mode", "release-gate", "--repo-root", str(tmp_path / "nope"), "--json"
    )
    assert done.returncode == 4
    document = json.loads(done.stdout)
    assert document["overall_status"] == "FAIL"
    assert document["exit_code"] == 4
    assert "Invalid repository root" in done.stderr


def test_a_mode_without_checks_is_not_a_pass(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--mode", "prod-health", "--json", "--url", "http://127.0.0.1:9")
    report = json.loads(done.stdout)
    assert report["checks"] == []
    assert report["overall_status"] == "PARTIAL"
