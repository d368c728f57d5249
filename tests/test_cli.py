"""The ``sentry-gate`` command: the old script's flags, pytest's verdicts and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import jsonschema
import pytest

from pytest_sentry_gate import cli_text, plugin
from pytest_sentry_gate.cli import ALL_EXPRESSION, exit_code, parse, pytest_args, rerun_command
from pytest_sentry_gate.modes import command_for
from pytest_sentry_gate.modes.issue_triage import URGENT_FIX
from pytest_sentry_gate.report import SCHEMA_PATH
from pytest_sentry_gate.settings import ROWS
from tests.conftest import CANARY_TOKEN, assert_no_secret, demo_simulator

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
    ns = parse(
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
        "--sentry-org=acme",
        "--sentry-project=a,b",
        "--sentry-repo-root=/r",
        "--require-host-network",
        "--sentry-gate-report=r.json",
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
        "--state-file",
    }
    for _name, row, cli, flag in pairs:
        # When the flag is given
        value = [] if row.switch else ["v"]
        args = pytest_args(parse(["--mode", "setup-preflight", cli, *value]), None)
        # Then pytest gets the row's own flag, its value in the same word
        assert args == ["-m", "setup_preflight", flag if row.switch else f"{flag}=v"], cli


@pytest.mark.parametrize("spelling", ["release-gate", "release_gate"])
def test_mode_takes_either_spelling(spelling: str) -> None:
    ns = parse(["--mode", spelling])
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
    assert done.returncode == 0  # PARTIAL exits 0 (pytest itself said 5: nothing collected)


# -- the old script's defaults and pass-through ------------------------------------------------


def test_mode_all_is_the_default_and_runs_the_old_scripts_modes() -> None:
    # Given no --mode (the old script's default) and an explicit --mode all
    for argv in ([], ["--mode", "all"]):
        ns = parse(argv)
        # Then the five modes run, and -m does not select verify_loop (no checkpoint written)
        assert ns.mode == "all"
        assert pytest_args(ns, None) == ["-m", ALL_EXPRESSION]
    assert ALL_EXPRESSION == (
        "setup_preflight or local_smoke or release_gate or prod_health or issue_triage"
    )


def test_plugin_options_pass_through_and_others_are_refused() -> None:
    # Given the plugin's own options before "--" (as a rerun hint appends them)
    ns = parse(["--mode", "prod-health", "--sentry-record-mode=none", "--sentry-cassette-dir", "c"])
    # Then pytest gets them in order
    assert pytest_args(ns, None) == [
        "-m",
        "prod_health",
        "--sentry-record-mode=none",
        "--sentry-cassette-dir=c",
    ]
    # And anything else sentry-gate does not know is a usage error
    with pytest.raises(Exception, match="unrecognized arguments: --bogus x"):
        parse(["--mode", "prod-health", "--bogus", "x"])


@pytest.mark.parametrize(
    ("pytest_code", "overall", "expected"),
    [
        (0, "PASS", 0),
        (0, "PARTIAL", 0),
        (5, "PARTIAL", 0),  # a mode without checks: PARTIAL, not an error
        (1, "FAIL", 1),
        (1, "PASS", 1),  # one's own non-runbook test failed
        (2, "PARTIAL", 1),  # interrupted (collection errors): not finished, not a usage error
        (4, "ERROR", 2),
    ],
)
def test_exit_code(pytest_code: int, overall: str, expected: int) -> None:
    assert exit_code(pytest_code, overall) == expected


# -- next commands: exact, for the way the user ran it -------------------------------------------


def test_sentry_gate_rerun_is_the_users_command_without_secrets() -> None:
    ns = parse(
        [
            "--mode",
            "release_gate",
            "--org",
            "acme",
            "--url",
            "https://bob:pw-xyzzy@sentry.example/",
            "--strict-network",
            "--no-auto-slug-discovery",
            "--json",
            "--sentry-record-mode=none",
            "--",
            "-k",
            "release visible",
        ]
    )
    # Then the rerun keeps the network flag and asks Sentry again (no replay of the cassette)
    assert rerun_command(ns) == (
        "sentry-gate --mode release-gate --org acme --url 'https://***@sentry.example/' "
        "--strict-network --no-auto-slug-discovery --json -- -k 'release visible'"
    )


def test_pytest_rerun_masks_url_credentials() -> None:
    # Given a pytest command line with credentials in a URL and a temporary report path
    args = ["-m", "prod_health", "--sentry-url=https://bob:pw@h.example/", "--sentry-gate-report"]
    config = SimpleNamespace(invocation_params=SimpleNamespace(args=[*args, "r.json"], plugins=()))
    # Then the rerun keeps the command, masks the credentials, drops the report
    assert plugin.rerun_command(cast(pytest.Config, config)) == (
        "pytest -m prod_health '--sentry-url=https://***@h.example/'"
    )


@pytest.mark.parametrize(
    ("rerun", "expected"),
    [
        ("pytest -m verify_loop --sentry-org acme", "pytest -m issue_triage --sentry-org acme"),
        ("pytest", "pytest -m issue_triage"),
        (
            "sentry-gate --mode all --org acme -- -m x",
            "sentry-gate --mode issue-triage --org acme -- -m x",
        ),
        ("sentry-gate --mode=all --json", "sentry-gate --mode=issue-triage --json"),
        ("sentry-gate --org acme", "sentry-gate --mode issue-triage --org acme"),
    ],
)
def test_command_for_another_mode_keeps_the_users_options(rerun: str, expected: str) -> None:
    assert command_for(rerun, "issue_triage") == expected


# -- the old script's consumers ------------------------------------------------------------------

OLD_FIELDS = ("mode", "status", "message", "evidence", "risks", "next_commands")


def _demo_run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path, str]:
    """``sentry-gate --mode verify-loop`` against the demo story (a fatal issue, a regression)."""
    from sentry_simulator.scenarios import demo_data

    repo = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "codictate", repo)
    sim = demo_simulator(repo)
    sim.data = demo_data(repo, health_story=True)
    state = tmp_path / "state.json"
    with sim:
        url = sim.url
        done = run_cli(
            tmp_path,
            "--mode",
            "verify-loop",
            "--org",
            "acme",
            "--project",
            "codictate",
            "--repo-root",
            str(repo),
            "--url",
            sim.url,
            "--state-file",
            str(state),
            *extra,
        )
    return done, state, url


def test_verify_loop_json_reads_with_the_old_scripts_field_names(tmp_path: Path) -> None:
    # Given the demo story in the simulator, and the old script's command line
    done, state, url = _demo_run(tmp_path, "--json")
    # Then stdout is one JSON document a consumer of the old output reads unchanged
    document = json.loads(done.stdout)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(document)
    assert document["mode"] == "verify-loop"
    assert document["overall_status"] == "FAIL"  # the demo's fatal issue
    assert done.returncode == 1
    rows = {row["mode"]: row for row in document["results"]}
    assert list(rows) == [
        "setup-preflight",
        "local-smoke",
        "release-gate",
        "prod-health",
        "issue-triage",
        "verify-loop",  # the old script's own loop row, after the five modes
    ]
    for row in document["results"]:
        assert set(OLD_FIELDS) <= set(row)
        assert all(isinstance(row[name], str) for name in OLD_FIELDS)
        # evidence is key=value; …, never JSON dumped into a string
        assert not row["evidence"].startswith(("{", "["))
        assert all("=" in pair for pair in row["evidence"].split("; ")), row["evidence"]
    health = rows["prod-health"]
    assert health["status"] == "FAIL"
    assert "high-severity" in health["message"]
    # the old script's evidence keys (sentry_monitor.sh's prod-health row), not dotted ones
    for pair in ("unresolved_count=5", "high_severity_count=2", "release_regression_count=1"):
        assert pair in health["evidence"].split("; ")
    assert "high_severity.count=" not in health["evidence"]
    loop = rows["verify-loop"]
    assert loop["status"] == "FAIL"
    assert loop["evidence"].split("; ") == [
        "unresolved_count=5",
        "new_since_last=0",
        "resolved_since_last=0",
        "high_severity_snapshot=2",
        "release_regression_snapshot=1",
        f"state_file={state}",
        f"checked_at={document['verify_loop']['checked_at']}",
        "previous_check=none (baseline established)",
    ]
    assert loop["next_commands"].startswith("Rerun failed modes individually")
    issues = next(p for p in health["evidence"].split("; ") if p.startswith("issues="))
    assert "CODICTATE-6" in issues.removeprefix("issues=").split(",")  # records by their ids
    # And every rerun is the user's own sentry-gate command, one per line, no secret
    commands = [c for row in document["results"][:-1] for c in row["next_commands"].splitlines()]
    assert commands
    assert rows["prod-health"]["next_commands"].splitlines() == [
        f"sentry-gate --mode issue-triage --org acme --project codictate --url {url} "
        f"--repo-root {tmp_path / 'app'} --state-file {state} --json"
    ]
    # And triage does not send the user back to triage: it shows the urgent issues' events
    triage = rows["issue-triage"]["next_commands"].splitlines()
    assert triage
    assert all(c.startswith("curl ") and "/events/latest/" in c for c in triage), triage
    assert rows["issue-triage"]["fixes"] == [URGENT_FIX]
    assert_no_secret(done.stdout, done.stderr)
    # And the checkpoint was written where --state-file said
    assert state.is_file()


def test_text_output_has_the_old_scripts_shape(tmp_path: Path) -> None:
    # Given the same run without --json
    done, _, _ = _demo_run(tmp_path)
    out = done.stdout
    # Then stdout holds the old script's blocks, and pytest's own output went to stderr
    assert out.startswith(
        "Sentry Monitoring Summary\nMode: verify-loop\n\n[setup-preflight]\nStatus: PASS\n"
    )
    blocks = out.split("\n\n")[1:]
    assert [b.splitlines()[0] for b in blocks[:-1]] == [
        "[setup-preflight]",
        "[local-smoke]",
        "[release-gate]",
        "[prod-health]",
        "[issue-triage]",
        "[verify-loop]",
    ]
    for block in blocks[:-1]:
        headers = [line for line in block.splitlines() if not line.startswith("  ")]
        assert [h.split(":")[0].strip("[]") for h in headers][1:] == [
            "Status",
            "Message",
            "Evidence",
            "Risks",
            "Next commands",
            *(["Fixes"] if "\nFixes:\n" in block else []),
        ]
    assert "  unresolved_count=5" in out.splitlines()
    assert "  high_severity_count=2" in out.splitlines()
    assert out.endswith("Overall: FAIL\n")
    assert done.returncode == 1
    assert "short test summary" in done.stderr
    assert "short test summary" not in out
    assert_no_secret(out, done.stderr)


def test_text_rendering_says_none_where_a_row_is_empty() -> None:
    document = {
        "overall_status": "PASS",
        "mode": "release-gate",
        "results": [
            {
                "mode": "release-gate",
                "status": "PASS",
                "message": "7 pass",
                "evidence": 'release=app@1; title="a; b"',
                "risks": "",
                "next_commands": "",
            }
        ],
    }
    assert cli_text.render(document) == (
        "Sentry Monitoring Summary\nMode: release-gate\n\n"
        "[release-gate]\nStatus: PASS\nMessage: 7 pass\nEvidence:\n  release=app@1\n"
        '  title="a; b"\nRisks:\n  (none)\nNext commands:\n  (none)\n\nOverall: PASS\n'
    )


def test_json_after_a_bad_flag_without_mode_names_the_default(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--bogus", "--json")
    assert done.returncode == 2
    assert error_document(done)["mode"] == "all"


def test_help_lists_the_old_flags(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "-h")
    assert done.returncode == 0
    for flag in ("--mode", "--state-file", "--strict-network", "--no-auto-slug-discovery"):
        assert flag in done.stdout
    assert "all (default: all)" in " ".join(done.stdout.split())


def test_network_rerun_hint_is_a_sentry_gate_command_that_parses(tmp_path: Path) -> None:
    # Given a Sentry that cannot be reached, run through sentry-gate: a refusal on the default
    # port of an address that is not loopback stays inconclusive (a named port would be FAIL
    # connection_refused), and 0.0.0.0 keeps the connection on this machine
    done = run_cli(
        tmp_path,
        "--mode",
        "setup-preflight",
        "--org",
        "acme",
        "--url",
        "http://0.0.0.0",
        "--json",
    )
    document = json.loads(done.stdout)
    assert document["overall_status"] == "PARTIAL"
    assert done.returncode == 0
    # Then the hint is the user's own command plus --require-host-network, and sentry-gate takes it
    hint = "sentry-gate --mode setup-preflight --org acme --url http://0.0.0.0 --json"
    hint += " --require-host-network"
    commands = document["results"][0]["next_commands"].splitlines()
    assert hint in commands
    ns = parse(hint.split()[1:])
    assert ns.require_host_network
    assert pytest_args(ns, None) == [
        "-m",
        "setup_preflight",
        "--sentry-org=acme",
        "--sentry-url=http://0.0.0.0",
        "--require-host-network",
    ]
