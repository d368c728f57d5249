"""What a run says: errors said once, reason codes, every mode's row, interruptions, the report
file, xdist and the collection scope."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import errors
from pytest_sentry_gate import report as report_module
from pytest_sentry_gate.settings import SLUG_OPTIONS
from pytest_sentry_gate.text import first_of
from pytest_sentry_gate.verdict import (
    NETWORK_PARTIAL,
    NOT_AVAILABLE_YET,
    REASONS,
    SCOPE_MISSING,
    SERVER_ERROR,
    TOKEN_REJECTED,
    Check,
    verdict_for_error,
)
from sentry_simulator import Fault
from tests.conftest import CANARY_TOKEN, load_report

#: The plugin's own tests never sleep through real backoff: the seam a user's conftest has too.
FAST_CLIENT = """
import dataclasses, pytest

@pytest.fixture(scope="session")
def sentry_client_config(sentry_client_config):
    return dataclasses.replace(
        sentry_client_config, backoff_base=0.0, backoff_cap=0.0, timeout=0.5, max_retries=1
    )
"""

CUSTOM_CHECKS = """
import pytest

@pytest.mark.release_gate
def test_release(sentry_check):
    sentry_check.passed("release ok")
"""
NO_BUNDLED = ("-o", "sentry_bundled_checks=false")


def _section(out: str, title: str) -> list[str]:
    """The lines of one ``=== title ===`` section of pytest's terminal output."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("=") and f" {title} " in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("="))
    return lines[start + 1 : end]


# -- errors said once -----------------------------------------------------------------------------

RERUN = (
    "pytest -m setup_preflight --sentry-url={url} --sentry-org=acme --sentry-project=codictate "
    "-p no:cacheprovider"
)
TOKEN_FIX = (
    "           next: python -m webbrowser {url}/settings/account/api/auth-tokens/",
    "           next: read -rs SENTRY_AUTH_TOKEN && export SENTRY_AUTH_TOKEN",
)
ORG = "/api/0/organizations/acme/"
FORBIDDEN = SCOPE_MISSING.format(
    scope="org:read or org:admin or org:write (from the endpoint table: this server does not "
    "name it)",
    endpoint=ORG,
)
BROKEN = SERVER_ERROR.format(endpoint=ORG, detail="Internal Error (after 2 attempts)")
HUNG = SERVER_ERROR.format(endpoint="/api/0/", detail="timed out after 0.5s (2 attempts)")
SHOW = (
    '           next: curl -sS -i -H "Authorization: Bearer $SENTRY_AUTH_TOKEN" '
    "{url}/api/0/organizations/acme/"
)


@pytest.mark.usefixtures("dns_fails")
@pytest.mark.parametrize(
    ("kind", "failures", "summary"),
    [
        (
            "401",
            ["test_token_accepted", "test_token_scopes"],
            [
                "  FAIL     test_token_accepted: " + TOKEN_REJECTED.format(endpoint="/api/0/"),
                *TOKEN_FIX,
                "           next: {rerun}",
                "  FAIL     test_token_scopes: (same as above)",
            ],
        ),
        (
            "403",
            ["test_organization_exists", "test_project_exists"],
            [
                "  FAIL     test_organization_exists: " + FORBIDDEN,
                *TOKEN_FIX,
                "           next: {rerun}",
                "  FAIL     test_project_exists: (same as above)",
            ],
        ),
        (
            "500",
            ["test_organization_exists", "test_project_exists"],
            [
                "  FAIL     test_organization_exists: " + BROKEN,
                SHOW,
                "           next: {rerun}",
                "  FAIL     test_project_exists: (same as above)",
            ],
        ),
        (
            # the API root hangs: both token checks fail with its error (the organization and
            # the project, read at the same time, were answered)
            "hang",
            ["test_token_accepted", "test_token_scopes"],
            [
                "  FAIL     test_token_accepted: " + HUNG,
                SHOW.replace("organizations/acme/", ""),
                "           next: {rerun}",
                "  FAIL     test_token_scopes: (same as above)",
            ],
        ),
        (
            "dns",
            [],
            [
                "  PARTIAL  test_token_accepted: "
                + NETWORK_PARTIAL.format(
                    host="sentry.invalid",
                    stage="dns",
                    detail="sentry.invalid did not resolve: gaierror: [Errno -2] Name or "
                    "service not known",
                    command="{rerun} --require-host-network",
                ),
                "  PARTIAL  test_token_scopes: (same as above)",
                "  PARTIAL  test_organization_exists: (same as above)",
                "  PARTIAL  test_project_exists: (same as above)",
            ],
        ),
    ],
)
def test_an_error_is_said_once(
    pytester: pytest.Pytester,
    simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    failures: list[str],
    summary: list[str],
) -> None:
    # Given a server that answers 401, 403, 500 forever, hangs, or a host that does not resolve
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    url = "https://sentry.invalid/" if kind == "dns" else simulator.url
    faults = {
        "401": Fault(path=r"^/api/0/$", status=401),
        "403": Fault(path=r"^/api/0/organizations/acme/$", status=403),
        "500": Fault(path=r"^/api/0/organizations/acme/$", status=500),
        "hang": Fault(path=r"^/api/0/$", hang=True),
    }
    if kind in faults:
        simulator.add_fault(faults[kind])
    pytester.makeconftest(FAST_CLIENT)
    # When the preflight runs
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight",
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        "-p",
        "no:cacheprovider",
    )
    out = result.stdout.str()
    rerun = RERUN.format(url=url.rstrip("/") if kind != "dns" else url)
    base = url.rstrip("/")
    # Then no chained exception and no traceback anywhere
    assert "During handling of the above exception" not in out
    assert "Traceback" not in out
    assert "ERROR at setup" not in out
    # and each failing check's section holds exactly its message, once
    if failures:
        section = _section(out, "FAILURES")
        message = summary[0].split(": ", 1)[1]
        expected: list[str] = []
        for name in failures:
            expected += [section[len(expected)], message]
            assert name in section[len(expected) - 2]
        assert section == expected
    else:
        assert "FAILURES" not in out
    # and the sentry-gate summary says it once with runnable next commands
    lines = _section(out, "sentry-gate")
    wanted = [line.format(rerun=rerun, url=base) for line in summary]
    start = lines.index(wanted[0])
    assert lines[start : start + len(wanted)] == wanted
    assert result.ret == (0 if kind == "dns" else 1)


# -- reason codes ------------------------------------------------------------------------------


def test_the_schema_enumerates_exactly_the_registered_reasons() -> None:
    schema = json.loads(report_module.SCHEMA_PATH.read_text(encoding="utf-8"))
    enum = schema["properties"]["checks"]["items"]["properties"]["reason"]["anyOf"][0]["enum"]
    assert sorted(enum) == sorted(REASONS)
    assert all(meaning for meaning in REASONS.values())


def test_every_reason_the_checks_use_is_registered() -> None:
    import re

    root = Path(__file__).resolve().parents[1]
    sources = [*(root / "checks").glob("*.py"), *(root / "pytest_sentry_gate").rglob("*.py")]
    used = {
        code
        for path in sources
        for code in re.findall(r'reason="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert used, "the scan found no reason codes"
    assert used <= set(REASONS), used - set(REASONS)


def test_check_refuses_an_unregistered_reason() -> None:
    check = Check(check_id="t::x", mode=None, rerun="pytest")
    with pytest.raises(ValueError, match="'made_up' is not registered"):
        check.passed("fine", reason="made_up")
    with pytest.raises(ValueError, match="REASONS"):
        check.fail("bad", reason="made_up")


# -- every selected mode gets its row ----------------------------------------------------------


def test_a_mode_without_checks_gets_a_partial_row(pytester: pytest.Pytester) -> None:
    # Given a selection where no check of prod_health runs (the bundled checks switched off)
    # When only that mode is selected
    result = pytester.runpytest_inprocess(
        "-m", "prod_health", "--sentry-gate-report=r.json", "-p", "no:cacheprovider", *NO_BUNDLED
    )
    # Then the run says so, PARTIAL, exit 0 (not pytest's "no tests" 5)
    assert result.ret == 0
    document = load_report(pytester.path / "r.json")
    assert document["mode"] == "prod-health"
    assert document["overall_status"] == "PARTIAL"
    [row] = document["results"]
    assert (row["mode"], row["status"]) == ("prod-health", "PARTIAL")
    assert row["message"].startswith("prod-health: no check of this mode ran in this selection")
    assert row["next_commands"].startswith("pytest -m prod_health")
    lines = _section(result.stdout.str(), "sentry-gate")
    assert lines[0].startswith("prod-health      PARTIAL  no check of this mode ran")
    assert lines[-2] == "overall: PARTIAL"
    assert lines[-1].startswith("exit 0: PARTIAL does not fail the run: prod_health")


def test_a_mode_that_ships_no_checks_is_not_available_yet() -> None:
    # Given a run that selected a mode this version ships no check for
    from pytest_sentry_gate.report import mode_rows
    from pytest_sentry_gate.runlog import Run

    run = Run(modes=("incident",), started=0.0, rerun="pytest -m incident")
    # Then its row is PARTIAL "not available yet", with nothing to rerun
    assert mode_rows(run) == [
        {
            "mode": "incident",
            "status": "PARTIAL",
            "message": NOT_AVAILABLE_YET.format(mode="incident"),
            "evidence": "",
            "risks": "",
            "next_commands": "",
            "fixes": [],
        }
    ]


def test_report_mode_is_what_the_user_asked_for(pytester: pytest.Pytester) -> None:
    # Given a passing release check and modes without checks
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    # When two modes are asked for, one of which has no check
    result = pytester.runpytest_inprocess(
        "-m", "prod_health or release_gate", "--sentry-gate-report=r.json", *NO_BUNDLED
    )
    # Then the release passes but the run does not: prod-health has its PARTIAL row
    document = load_report(pytester.path / "r.json")
    assert document["mode"] == "prod-health or release-gate"
    assert [(r["mode"], r["status"]) for r in document["results"]] == [
        ("release-gate", "PASS"),
        ("prod-health", "PARTIAL"),
    ]
    assert document["overall_status"] == "PARTIAL"
    assert result.ret == 0


# -- interrupted runs --------------------------------------------------------------------------


def test_a_collection_error_is_an_error_report(pytester: pytest.Pytester) -> None:
    # Given a test module that cannot be imported, named on the command line
    pytester.makepyfile(test_broken="import no_such_module_anywhere\n")
    # When a mode runs with it
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "test_broken.py", "--sentry-gate-report=r.json", *NO_BUNDLED
    )
    # Then pytest stops (exit 2) and the report says ERROR with the exit code and the reason
    assert result.ret == pytest.ExitCode.INTERRUPTED
    document = load_report(pytester.path / "r.json")
    assert document["overall_status"] == "ERROR"
    assert document["exit_code"] == 2
    assert document["error"] == {
        "reason": "interrupted",
        "message": "pytest stopped (interrupted): 1 error(s) during collection in test_broken.py",
    }
    lines = _section(result.stdout.str(), "sentry-gate")
    assert lines[-2:] == [
        "error: pytest stopped (interrupted): 1 error(s) during collection in test_broken.py "
        "(exit 2)",
        "overall: ERROR",
    ]


# -- the report file ---------------------------------------------------------------------------


def test_report_through_a_symlink_keeps_the_link(pytester: pytest.Pytester) -> None:
    # Given the report path is a symlink to a file elsewhere, an earlier report of this tool
    target = pytester.path / "elsewhere" / "real.json"
    target.parent.mkdir()
    target.write_text('{"schema": "pytest-sentry-gate/report@1"}')
    (pytester.path / "link.json").symlink_to(target)
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    # When the run writes its report there
    pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=link.json", *NO_BUNDLED
    )
    # Then the link is still a link and its target holds the report
    assert (pytester.path / "link.json").is_symlink()
    assert load_report(target)["overall_status"] == "PASS"


def test_report_to_a_fifo_is_written_through(pytester: pytest.Pytester) -> None:
    # Given the report path is a FIFO (as /dev/stdout can be), read by another thread
    fifo = pytester.path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []

    def read() -> None:
        with open(fifo, encoding="utf-8") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    # When the run writes its report there
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", f"--sentry-gate-report={fifo}", *NO_BUNDLED
    )
    reader.join(timeout=10)
    # Then the reader got the report and the FIFO was not replaced by a regular file
    assert result.ret == 0
    assert json.loads(received[0])["overall_status"] == "PASS"
    assert fifo.is_fifo()


def test_report_path_that_is_a_directory_is_a_clear_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "adir").mkdir()
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=adir", *NO_BUNDLED
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --sentry-gate-report */adir: a directory, *"])
    assert (pytester.path / "adir").is_dir()


# -- what a mode run collects ------------------------------------------------------------------


def test_a_mode_run_does_not_walk_the_app_repository(pytester: pytest.Pytester) -> None:
    # Given an app repository whose own tests cannot even be imported here
    pytester.makepyfile(test_app="import fastapi_that_is_not_installed\n")
    # When a mode runs with no path named
    result = pytester.runpytest_inprocess("-m", "setup_preflight", "--collect-only", "-q")
    # Then only the bundled checks are collected
    out = result.stdout.str()
    assert "test_setup_preflight.py::test_settings_resolved" in out
    assert "test_app" not in out
    assert result.ret == 0


def test_configured_testpaths_join_the_bundled_checks(pytester: pytest.Pytester) -> None:
    # Given the user's own checks in a configured testpaths directory, and other tests elsewhere
    pytester.makeini("[pytest]\ntestpaths = sentry_checks\n")
    (pytester.path / "sentry_checks").mkdir()
    (pytester.path / "sentry_checks" / "test_mine.py").write_text(CUSTOM_CHECKS)
    pytester.makepyfile(test_app="import fastapi_that_is_not_installed\n")
    # When a mode runs with no path named
    result = pytester.runpytest_inprocess("-m", "release_gate", "--collect-only", "-q")
    # Then the bundled checks and the configured ones are collected, nothing else
    out = result.stdout.str()
    assert "test_mine.py::test_release" in out
    assert "test_release_gate.py::test_versions_aligned" in out
    assert "test_app" not in out


# -- long lists --------------------------------------------------------------------------------


def test_long_lists_end_with_how_many_more() -> None:
    items = [f"main-{i}.js is not uploaded" for i in range(5000)]
    shown = first_of(items, limit=3, sep=" ")
    assert shown == (
        "main-0.js is not uploaded main-1.js is not uploaded main-2.js is not uploaded "
        "… and 4997 more"
    )
    assert first_of(items[:3], limit=3) == "; ".join(items[:3])


# -- next commands -----------------------------------------------------------------------------

SERVER = "https://sentry.example/"


@pytest.mark.parametrize(
    "error",
    [
        errors.ServerError("/api/0/organizations/acme/", "Internal Error (after 4 attempts)"),
        errors.MalformedResponse("/api/0/organizations/acme/", "body is not JSON"),
        errors.NotFound("/api/0/organizations/acme/releases/x/", "The requested resource"),
        errors.AuthError("/api/0/", "Invalid token"),
        errors.ScopeError("/api/0/", "no", missing_scope="event:read"),
        errors.RateLimited("/api/0/", "slow down", reset=1_750_000_000.0),
        errors.ResponseTooLarge("/api/0/", "too big"),
        errors.TokenMissing(),
        errors.TokenInvalid("the token holds whitespace"),
        errors.NetworkUnavailable("sentry.example", "dns", "did not resolve"),
        errors.SlugError("Organization 'x' does not exist"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_error_verdict_names_a_runnable_command(error: errors.SentryGateError) -> None:
    status, reason, message, commands = verdict_for_error(
        error,
        require_network=False,
        rerun="pytest -m release_gate",
        server=SERVER,
        slug_options=SLUG_OPTIONS,
    )
    assert reason in REASONS
    assert commands, f"{reason}: no next command"
    assert all(not c.startswith(("create ", "set ", "see ")) for c in commands)  # not prose
    if isinstance(error, errors.AuthError | errors.ScopeError):
        assert commands[:2] == (
            "python -m webbrowser https://sentry.example/settings/account/api/auth-tokens/",
            "read -rs SENTRY_AUTH_TOKEN && export SENTRY_AUTH_TOKEN",
        )
    if isinstance(error, errors.RateLimited):
        assert status == "PARTIAL"
        assert message.endswith("Retry after 2025-06-15 15:06:40 UTC.")


def test_an_interrupted_run_is_an_error_in_the_cli_json(tmp_path: Path) -> None:
    # Given a test file that cannot be imported, passed through sentry-gate to pytest
    (tmp_path / "test_broken.py").write_text("import no_such_module_anywhere\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    # When sentry-gate --json runs
    cli = [sys.executable, "-m", "pytest_sentry_gate.cli", "--mode", "release-gate", "--json"]
    done = subprocess.run(
        [*cli, "--", "test_broken.py", "-o", "sentry_bundled_checks=false"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then the JSON says ERROR, with pytest's exit code (2) and why; sentry-gate itself exits 1,
    # since 2 is kept for its own usage errors
    document = json.loads(done.stdout)
    assert document["overall_status"] == "ERROR"
    assert document["exit_code"] == 2
    assert done.returncode == 1
    assert document["error"]["message"].endswith("during collection in test_broken.py")


def test_a_mode_whose_checks_are_switched_off_is_not_called_unavailable(
    pytester: pytest.Pytester,
) -> None:
    # Given the bundled checks switched off and no check of the mode's own
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=r.json", *NO_BUNDLED
    )
    # Then its row is PARTIAL and says why nothing ran, with the rerun command
    row = load_report(pytester.path / "r.json")["results"][0]
    assert row["status"] == "PARTIAL"
    assert row["message"].startswith("release-gate: no check of this mode ran in this selection")
    assert row["next_commands"].startswith("pytest -m release_gate")
    assert result.ret == 0


def test_every_error_verdict_is_one_of_the_error_reasons() -> None:
    # Given one error of every kind the plugin raises (and one it does not know)
    from pytest_sentry_gate import errors
    from pytest_sentry_gate.repo.files import FileRefused
    from pytest_sentry_gate.verdict import ERROR_REASONS

    class Unknown(errors.SentryGateError):
        pass

    raised = [
        errors.ReadOnlyViolation("DELETE", "/api/0/x/"),
        errors.NetworkUnavailable("h", "dns", "no"),
        errors.HostRefused("127.0.0.1", 9, "refused"),
        errors.CertificateProblem("h", 443, "self-signed"),
        errors.TokenMissing(),
        errors.TokenInvalid("bad"),
        errors.AuthError("/api/0/", "no"),
        errors.ScopeError("/api/0/", "no", missing_scope="org:read"),
        errors.ScopeError("/api/0/", "no"),
        errors.NotFound("/api/0/", "no"),
        errors.RateLimited("/api/0/", "slow"),
        errors.ServerError("/api/0/", "boom"),
        errors.MalformedResponse("/api/0/", "[1,2]"),
        errors.ReplayMissing("GET", "/api/0/", "c.yaml", "none"),
        errors.ProjectMoved("/api/0/projects/a/b/", "302", slug="c"),
        errors.ResponseTooLarge("/api/0/", "huge"),
        errors.SlugError("no such org"),
        errors.RepoFileError("package.json", 1, 2, "bad"),
        FileRefused(Path("package.json"), "a character device, not a regular file: not read"),
        Unknown("something else"),
    ]
    reasons = {
        verdict_for_error(
            e,
            require_network=False,
            rerun="pytest",
            server="https://s.io/",
            slug_options=SLUG_OPTIONS,
        )[1]: type(e).__name__
        for e in raised
    }
    # Then each reason is in the set the checkpoint uses to know that a check had no facts,
    # and that set names no reason the errors cannot produce
    assert set(reasons) == set(ERROR_REASONS)
    assert reasons["error"] == "Unknown"  # not the read-only guard's reason
