"""The exit policy (``sentry_fail_on``): in CI, unverified is not green (issue 14.3)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import Simulator
from tests.conftest import CANARY_TOKEN, check, demo_target, run_mode
from tests.test_cli import run_cli
from tests.test_settings import usage_error

#: An unreachable Sentry: a refused connection on 0.0.0.0's default port (not a loopback name, no
#: port named) stays "network unavailable"; nothing listens there and nothing leaves the machine.
UNREACHABLE = ("--sentry-url=http://0.0.0.0/", "--sentry-org=acme", "--sentry-project=web")
SENTRY_SIDE = ("test_token_accepted", "test_token_scopes", "test_organization_exists")


def preflight(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, str]]:
    """setup_preflight against an unreachable Sentry; the run and each Sentry check's status."""
    result, report = run_mode(pytester, "setup_preflight", *UNREACHABLE, *args)
    return result, {name: check(report, name)["status"] for name in SENTRY_SIDE}


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)


@pytest.mark.usefixtures("token")
def test_outside_ci_an_unreachable_sentry_is_partial_and_exits_0(
    pytester: pytest.Pytester,
) -> None:
    # Given no CI variable and nothing listening where Sentry should be
    result, found = preflight(pytester)
    # Then the Sentry checks are PARTIAL, the run exits 0, and the summary says why
    assert found == dict.fromkeys(SENTRY_SIDE, "PARTIAL")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["exit 0: PARTIAL does not fail the run: setup_preflight (sentry_fail_on=fail, not in CI)*"]
    )


@pytest.mark.usefixtures("token")
@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS"])
def test_in_ci_an_unreachable_sentry_fails_without_require_host_network(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # Given a CI variable and no --require-host-network
    monkeypatch.setenv(variable, "true")
    result, found = preflight(pytester)
    # Then an unreachable Sentry is a FAIL and the run exits 1
    assert found == dict.fromkeys(SENTRY_SIDE, "FAIL")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["exit 1: FAIL (setup_preflight) fails the run under any policy"])


@pytest.mark.usefixtures("token")
def test_in_ci_fail_on_fail_gives_partial_back(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given CI, but the policy set to fail in the ini file
    monkeypatch.setenv("CI", "true")
    result, found = preflight(pytester, "-o", "sentry_fail_on=fail")
    # Then the unreachable host is PARTIAL and the run exits 0, naming the policy's source
    assert found == dict.fromkeys(SENTRY_SIDE, "PARTIAL")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "exit 0: PARTIAL does not fail the run: setup_preflight "
            "(sentry_fail_on=fail from -o sentry_fail_on, CI detected (CI))*"
        ]
    )


@pytest.mark.usefixtures("token")
def test_a_mode_with_no_check_ran_fails_the_run_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given CI and a -k that leaves the mode without a check
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result, report = run_mode(pytester, "prod_health", *UNREACHABLE, "-k", "no_such_check")
    # Then the mode's row is not PASS and the run exits 1, saying which policy decided it
    assert report["results"][0]["status"] in ("PARTIAL", "ERROR")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "exit 1: PARTIAL fails the run: prod_health "
            "(sentry_fail_on=partial, CI detected (GITHUB_ACTIONS))"
        ]
    )
    assert report["exit_code"] == 1


def test_a_mode_whose_checks_were_partly_deselected_says_how_many(
    pytester: pytest.Pytester,
) -> None:
    # Given a -k that keeps one of prod_health's five checks
    result, report = run_mode(pytester, "prod_health", *UNREACHABLE, "-k", "unresolved_count")
    # Then its row counts the four left out beside its verdicts, in the summary and the report
    row = report["results"][0]
    assert row["message"].startswith("1 partial, 4 deselected"), row
    result.stdout.fnmatch_lines(["prod-health      PARTIAL  1 partial, 4 deselected"])


@pytest.mark.parametrize("value", ["", "false", "0", "FALSE"])
def test_ci_variables_that_say_no(value: str) -> None:
    from pytest_sentry_gate.policy_defaults import ci_variable

    assert ci_variable({"CI": value, "GITHUB_ACTIONS": value}) is None


def test_ci_variable_is_named() -> None:
    from pytest_sentry_gate.policy_defaults import ci_variable

    assert ci_variable({"CI": "1"}) == "CI"
    assert ci_variable({"CI": "false", "GITHUB_ACTIONS": "true"}) == "GITHUB_ACTIONS"


@pytest.mark.usefixtures("token")
def test_environment_sets_the_policy(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no CI, but SENTRY_GATE_FAIL_ON=partial
    monkeypatch.setenv("SENTRY_GATE_FAIL_ON", "partial")
    result, found = preflight(pytester)
    # Then the policy is partial: the unreachable host is a FAIL
    assert found == dict.fromkeys(SENTRY_SIDE, "FAIL")
    assert result.ret == 1


def test_bad_policy_is_a_usage_error(pytester: pytest.Pytester) -> None:
    err = usage_error(pytester, "--sentry-fail-on=sometimes")
    assert (
        "ERROR: Invalid exit policy 'sometimes' from --sentry-fail-on: partial (a PARTIAL or "
        "ERROR mode fails the run) or fail (only a FAIL does)"
    ) in err.splitlines()


def test_release_gate_without_build_never_exits_0_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given CI, a policy of fail (PARTIAL tolerated) and an app that was not built
    shutil.rmtree(repo / "dist")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("CI", "true")
    result, report = run_mode(
        pytester, "release_gate", *demo_target(sim.url, repo), "--sentry-fail-on=fail"
    )
    # Then the release gate still fails the run: an unverified release is never green in CI
    assert check(report, "test_built_bundles")["reason"] == "no_build"
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "exit 1: release_gate did not verify the release (no_build) and CI never passes an "
            "unverified release (sentry_fail_on=fail from --sentry-fail-on, CI detected (CI))"
        ]
    )


def test_cli_exits_1_for_partial_in_ci_and_0_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the old script's command against an unreachable Sentry, with only PARTIALs
    args = ("--mode", "prod-health", "--url", "http://0.0.0.0/", "--org", "a", "--project", "b")
    outside = run_cli(tmp_path, *args, "--fail-on", "fail")
    inside = run_cli(tmp_path, *args, "--fail-on", "partial")
    # Then PARTIAL exits 0 under fail, 1 under partial (the CI default)
    assert outside.returncode == 0, outside.stderr
    assert inside.returncode == 1, inside.stderr
    monkeypatch.setenv("CI", "true")
    assert run_cli(tmp_path, *args).returncode == 1


# --- the decision alone ------------------------------------------------------------------------


def rows(*pairs: tuple[str, str], reasons: tuple[str, ...] = ("ok",)) -> list[Any]:
    from pytest_sentry_gate.policy import ModeRow

    return [ModeRow(mode, status, frozenset(reasons)) for mode, status in pairs]


def test_decide_keeps_pytest_stops() -> None:
    from pytest_sentry_gate.policy import Decision, decide

    got = decide(
        pytest_code=pytest.ExitCode.INTERRUPTED,
        rows=rows(("prod_health", "PASS")),
        fail_on="partial",
        reason="r",
        ci="CI",
    )
    assert got == Decision(2, "")


def test_decide_error_row_fails_under_partial_only() -> None:
    from pytest_sentry_gate.policy import decide

    error = rows(("verify_loop", "ERROR"), reasons=("no_check_ran",))
    assert decide(pytest_code=0, rows=error, fail_on="partial", reason="r", ci=None).exit_code == 1
    assert decide(pytest_code=0, rows=error, fail_on="fail", reason="r", ci=None).exit_code == 0


def test_decide_pass_is_0_under_any_policy() -> None:
    from pytest_sentry_gate.policy import decide

    passed = rows(("release_gate", "PASS"))
    for fail_on in ("partial", "fail"):
        got = decide(pytest_code=0, rows=passed, fail_on=fail_on, reason="r", ci="CI")
        assert got.exit_code == 0


def test_decide_unverified_release_outside_ci_follows_the_policy() -> None:
    from pytest_sentry_gate.policy import decide

    empty = rows(("release_gate", "PARTIAL"), reasons=("no_check_ran",))
    assert decide(pytest_code=0, rows=empty, fail_on="fail", reason="r", ci=None).exit_code == 0
    assert decide(pytest_code=0, rows=empty, fail_on="fail", reason="r", ci="CI").exit_code == 1


def test_why_names_the_source() -> None:
    from pytest_sentry_gate import policy

    assert policy.why("partial", "default in CI (CI is set)", "CI") == (
        "sentry_fail_on=partial, CI detected (CI)"
    )
    assert policy.why("fail", "default outside CI", None) == "sentry_fail_on=fail, not in CI"
    assert policy.why("partial", "SENTRY_GATE_FAIL_ON", None) == (
        "sentry_fail_on=partial from SENTRY_GATE_FAIL_ON"
    )
