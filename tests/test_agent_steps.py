"""Agents: next steps as data, the compact report, and sentry-gate's exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_sentry_gate.cli import exit_code
from pytest_sentry_gate.error_verdicts import SET_TOKEN
from pytest_sentry_gate.report import SCHEMA_PATH
from pytest_sentry_gate.steps import steps
from tests.test_cli import _demo_run, run_cli


def test_next_commands_and_fixes_become_structured_steps() -> None:
    # Given a check's next commands (shell lines) and fixes (words)
    commands = [
        "sentry-gate --mode issue-triage --repo-root '/a dir' --json",
        "python -m pytest -m prod_health",
        "sentry-cli sourcemaps upload dist",
        "curl -H 'Authorization: Bearer $SENTRY_AUTH_TOKEN' https://sentry.io/api/0/x/",
    ]
    # When they become steps
    found = steps(commands, ["Set SENTRY_RELEASE in the build"], "2 high-severity issues")
    # Then each command is its argv (quotes honoured), with its kind; a fix has no argv
    assert [s["argv"][:4] for s in found[:1]] == [
        ["sentry-gate", "--mode", "issue-triage", "--repo-root"]
    ]
    assert found[0]["argv"][4] == "/a dir"
    assert [s["kind"] for s in found] == ["rerun", "rerun", "fix", "human", "fix"]
    assert found[-1] == {"argv": [], "kind": "fix", "why": "Set SENTRY_RELEASE in the build"}
    assert found[0]["why"] == "2 high-severity issues"
    # And a line only a shell can run (it reads a variable) runs through one, as it stands
    assert found[3]["argv"] == ["sh", "-c", commands[3]]


def test_the_set_token_line_is_for_the_persons_own_shell() -> None:
    # Given the next command of a missing token: it reads the token and exports it
    (step,) = steps([SET_TOKEN], [], "No token.")
    # Then it is no program to run (dash has no read -s; a child shell's export is lost)
    assert step == {
        "argv": [],
        "kind": "human",
        "why": f"No token. (run in your own shell: {SET_TOKEN})",
    }


@pytest.mark.parametrize(
    "line",
    [
        "cd /app && pytest -m release_gate",
        "export SENTRY_ORG=acme",
        "pytest -m local_smoke; cd ..",
        ". .venv/bin/activate && pytest",
        "source .env",
        "set -e && sentry-gate --mode release-gate",
        "SENTRY_ORG=acme",
        "true | read -r x",
    ],
)
def test_a_line_that_changes_the_callers_shell_has_no_argv(line: str) -> None:
    (step,) = steps([line], [], "why")
    assert (step["argv"], step["kind"]) == ([], "human")
    assert step["why"].endswith(f"(run in your own shell: {line})")


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        # a pipeline, a redirect, an operator without spaces: the shell runs them, as they stand
        ("sentry-cli releases list | grep 1.4.2", None),
        ("pytest -m release_gate 2>&1", None),
        ("pytest -m local_smoke;pytest -m prod_health", None),
        ("SENTRY_ORG=acme pytest -m prod_health", None),
        # a program's words, quoted words and a URL's fragment kept; "cd" only as an argument
        (
            "python -m webbrowser https://x.test/#frag",
            ["python", "-m", "webbrowser", "https://x.test/#frag"],
        ),
        ("grep -r 'cd x && y' src", ["grep", "-r", "cd x && y", "src"]),
        ("git log --format=%H", ["git", "log", "--format=%H"]),
    ],
)
def test_a_shell_line_runs_under_sh_c_and_a_program_as_its_words(
    line: str, argv: list[str] | None
) -> None:
    (step,) = steps([line], [], "why")
    assert step["argv"] == (argv or ["sh", "-c", line])
    assert step["why"] == "why"


def _schema_valid(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(document)


def test_the_summary_report_is_compact_and_keeps_the_decision(tmp_path: Path) -> None:
    # Given the demo's verify_loop run, with the full report and with the summary detail
    full_run, _, _ = _demo_run(tmp_path / "full", "--json")
    small_run, _, _ = _demo_run(tmp_path / "small", "--json", "--report-detail", "summary")
    full, small = json.loads(full_run.stdout), json.loads(small_run.stdout)
    _schema_valid(full)
    _schema_valid(small)
    # Then every check of the full report carries its steps, the old lists beside them
    blocking = [c for c in full["checks"] if c["status"] in ("FAIL", "PARTIAL")]
    assert blocking
    for check in full["checks"]:
        assert len(check["steps"]) == len(check["next_commands"]) + len(check["fixes"])
    assert any(s["kind"] == "rerun" for c in blocking for s in c["steps"])
    # And the summary keeps the verdicts, reasons, counts and steps, without evidence
    assert small["detail"] == "summary"
    assert small["overall_status"] == full["overall_status"] == "FAIL"
    assert small["counts"] == full["counts"]

    def decision(check: dict[str, Any]) -> tuple[Any, ...]:  # the runs' paths and URLs differ
        kinds = [s["kind"] for s in check["steps"]]
        return check["id"], check["status"], check["reason"], kinds

    assert [decision(c) for c in small["checks"]] == [decision(c) for c in full["checks"]]
    assert all(c["steps"] for c in small["checks"] if c["status"] == "FAIL")
    assert all(c["evidence"] == {} for c in small["checks"])
    assert all(r["evidence"] == "" for r in small["results"][:-1])
    assert "triage" not in small
    assert small["verify_loop"]["unresolved_count"] == 5
    # And it is much smaller (measured on the demo: see .notes/oldscript.md)
    assert len(small_run.stdout) < 0.6 * len(full_run.stdout), (
        len(small_run.stdout),
        len(full_run.stdout),
    )


def test_a_bad_report_detail_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--mode", "setup-preflight", "--report-detail", "short")
    assert done.returncode == 2
    assert "'short'" in done.stderr
    assert "full, summary" in done.stderr


@pytest.mark.parametrize(
    ("pytest_code", "overall", "by_signal", "expected"),
    [
        (0, "PASS", False, 0),
        (1, "FAIL", False, 1),
        (2, "ERROR", False, 1),  # collection errors: the run did not finish
        (2, "ERROR", True, 3),  # Ctrl-C or SIGTERM
        (4, "ERROR", False, 2),  # pytest's usage error is the old script's 2
    ],
)
def test_exit_codes(pytest_code: int, overall: str, by_signal: bool, expected: int) -> None:
    assert exit_code(pytest_code, overall, by_signal=by_signal) == expected


def test_an_interrupted_run_exits_3_with_an_error_report(tmp_path: Path) -> None:
    # Given a check of the mode that is stopped as Ctrl-C stops it
    (tmp_path / "test_stop.py").write_text(
        "import pytest\n\n\n@pytest.mark.setup_preflight\ndef test_stop():\n"
        "    raise KeyboardInterrupt\n"
    )
    # When sentry-gate runs the mode
    done = run_cli(
        tmp_path,
        *("--mode", "setup-preflight", "--url", "http://0.0.0.0:9", "--org", "a"),
        *("--project", "b", "--json", "--", "test_stop.py"),
    )
    # Then it exits 3 (not 1, a FAIL; not 2, a usage error), and the report says why
    assert done.returncode == 3, done.stderr[-2000:]
    document = json.loads(done.stdout)
    assert document["overall_status"] == "ERROR"
    assert "Ctrl-C" in document["error"]["message"]
