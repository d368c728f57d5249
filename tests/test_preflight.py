"""setup_preflight end to end against the simulator on 127.0.0.1, and every bad input."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.modes.setup_preflight import ORG_CI_TOKEN
from sentry_simulator import Fault, TokenSpec
from tests.conftest import (
    CANARY_TOKEN,
    FULL_SCOPES,
    PREFLIGHT_EMPTY_REPO,
    all_written,
    assert_no_secret,
    check,
    load_report,
    run_mode,
    statuses,
)

pytestmark = pytest.mark.usefixtures("simulator")


def run_preflight(
    pytester: pytest.Pytester,
    sim: Any,
    *args: str,
    token: str | None = CANARY_TOKEN,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """Run ``pytest -m setup_preflight`` in an empty repository against the simulator."""
    if token is not None:
        monkeypatch.setenv("SENTRY_AUTH_TOKEN", token)
    return run_mode(
        pytester,
        "setup_preflight",
        f"--sentry-url={sim.url}",
        *args,
        ini="sentry_http_timeout = 1\n",
    )


def test_good_token_passes(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a token with every scope and the simulator's org and project
    result, report = run_preflight(
        pytester,
        simulator,
        "--sentry-org=acme",
        "--sentry-project=codictate",
        monkeypatch=monkeypatch,
    )
    # Then every API check passes; repository checks do not apply to an empty directory
    assert result.ret == 0
    assert statuses(report) == PREFLIGHT_EMPTY_REPO
    assert report["overall_status"] == "PASS"
    assert report["results"][0]["mode"] == "setup-preflight"
    assert check(report, "test_token_scopes")["evidence"]["scopes"] == sorted(FULL_SCOPES)


def test_slugs_auto_discovered(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, report = run_preflight(pytester, simulator, monkeypatch=monkeypatch)
    assert result.ret == 0
    org = check(report, "test_organization_exists")
    assert org["reason"] == "auto_selected"
    assert org["evidence"] == {"slug": "acme", "auto_selected": True, "candidates": ["acme"]}
    assert "'codictate' auto-selected" in check(report, "test_project_exists")["message"]


def test_auto_discovery_off_fails(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, report = run_preflight(
        pytester, simulator, "--no-auto-slug-discovery", monkeypatch=monkeypatch
    )
    assert result.ret == 1
    org = check(report, "test_organization_exists")
    assert org["status"] == "FAIL"
    assert "auto-discovery is off (the only candidate is 'acme')" in org["message"]
    # And the next command names that candidate
    [command] = org["next_commands"]
    assert shlex.split(command)[-2:] == ["--sentry-org", "acme"], command


def test_org_ci_token_fails_and_says_why(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.add_token("sntrys_orgtoken_canary", TokenSpec(scopes=("org:ci",), kind="org"))
    result, report = run_preflight(
        pytester,
        simulator,
        "--sentry-org=acme",
        "--sentry-project=codictate",
        token="sntrys_orgtoken_canary",
        monkeypatch=monkeypatch,
    )
    assert result.ret == 1
    scopes = check(report, "test_token_scopes")
    assert scopes["status"] == "FAIL"
    assert scopes["reason"] == "org_ci_token"
    assert scopes["message"] == ORG_CI_TOKEN.format(
        scopes="event:read, project:releases, org:read, project:read"
    )
    assert "organization auth token" in result.stdout.str()
    assert_no_secret(
        result.stdout.str(), all_written(pytester.path), secret="sntrys_orgtoken_canary"
    )


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (("org:read", "project:read", "event:read"), "PASS"),
        (("org:admin", "project:admin", "event:admin"), "PASS"),
        (("org:read", "project:releases", "event:read"), "FAIL"),
    ],
)
def test_scopes_judged_against_the_endpoints_of_the_selected_modes(
    pytester: pytest.Pytester,
    simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    scopes: tuple[str, ...],
    status: str,
) -> None:
    # Given a token with these scopes (Sentry expands admin to write and read)
    token = "sntryu_" + "d" * 64
    simulator.add_token(token, TokenSpec(scopes=scopes, kind="user"))

    # When the preflight runs together with the release gate
    _, report = run_preflight(
        pytester,
        simulator,
        "--sentry-org=acme",
        "--sentry-project=codictate",
        "-m",
        "setup_preflight or release_gate",
        token=token,
        monkeypatch=monkeypatch,
    )

    # Then the scope check judges the endpoints those modes read: project:releases alone does
    # not grant the project detail, so that token FAILs naming project:read (not PARTIAL)
    found = check(report, "test_token_scopes")
    assert found["status"] == status
    if status == "FAIL":
        assert found["reason"] == "missing_scope"
        assert found["message"].startswith("The token lacks project:read (has: ")
        assert "project (/api/0/projects/{org}/{project}/" in found["message"]
        assert found["evidence"]["ungranted"] == {
            "project": "project:read",
            "source-map debug": "project:read",
        }
        assert check(report, "test_project_exists")["status"] == "FAIL"


def test_403_names_the_scope_the_server_asked_for(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a SaaS-like server (WWW-Authenticate on 403) and a token without org:read
    from sentry_simulator import Simulator, seeded

    with Simulator(data=seeded(seed=1, issues=3), scope_challenge=True) as sim:
        token = "sntryu_" + "9" * 64
        sim.add_token(token, TokenSpec(scopes=("project:read", "event:read"), kind="user"))
        _, report = run_preflight(
            pytester, sim, "--sentry-org=acme", token=token, monkeypatch=monkeypatch
        )

    # Then the org check names the scopes from the header
    org = check(report, "test_organization_exists")
    assert org["reason"] == "missing_scope"
    assert "org:admin, org:read, org:write" in org["message"]


def test_renamed_project_says_so(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the project was renamed in Sentry
    simulator.rename_project("acme", "codictate", "dictate")

    # When the preflight runs with the old slug
    _, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", "--sentry-project=codictate",
        monkeypatch=monkeypatch,
    )  # fmt: skip

    # Then it says renamed and what to set, never "check --sentry-url"
    found = check(report, "test_project_exists")
    assert found["reason"] == "project_renamed"
    assert "renamed to 'dictate'" in found["message"]
    assert "sentry_project = dictate" in found["message"]
    assert "--sentry-url" not in found["message"]
    # And the next command runs with the new slug in place of the old one
    [command] = found["next_commands"]
    assert "--sentry-project=dictate" in shlex.split(command), command
    assert "codictate" not in command


def test_missing_token(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, report = run_preflight(pytester, simulator, token=None, monkeypatch=monkeypatch)
    assert result.ret == 1
    assert check(report, "test_settings_resolved")["reason"] == "token_missing"
    assert check(report, "test_token_accepted")["reason"] == "token_missing"
    assert "No Sentry auth token: set SENTRY_AUTH_TOKEN" in result.stdout.str()
    assert not simulator.requests  # nothing was sent without a token


def test_rejected_token(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, report = run_preflight(
        pytester, simulator, token="sntryu_" + "e" * 64, monkeypatch=monkeypatch
    )
    assert result.ret == 1
    accepted = check(report, "test_token_accepted")
    assert accepted["status"] == "FAIL"
    assert accepted["reason"] == "token_rejected"
    assert "Traceback" not in result.stdout.str()


def test_token_without_a_scope_names_it(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "sntryu_" + "f" * 64
    simulator.add_token(
        token, TokenSpec(scopes=("project:read", "project:releases", "event:read"), kind="user")
    )
    result, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", token=token, monkeypatch=monkeypatch
    )
    assert result.ret == 1
    scopes = check(report, "test_token_scopes")
    assert scopes["reason"] == "missing_scope"
    assert "The token lacks org:read" in scopes["message"]
    org = check(report, "test_organization_exists")
    assert org["status"] == "FAIL"
    assert "HTTP 403" in org["message"]


def test_unknown_org_lists_candidates(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, report = run_preflight(
        pytester, simulator, "--sentry-org=acne", monkeypatch=monkeypatch
    )
    assert result.ret == 1
    org = check(report, "test_organization_exists")
    assert org["reason"] == "slug"
    assert "Organization 'acne' (--sentry-org) does not exist" in org["message"]
    assert "Candidates: acme. Closest match: 'acme'." in org["message"]
    # And the next command tries the closest match instead of repeating the slug that failed
    [command] = org["next_commands"]
    assert "--sentry-org=acme" in shlex.split(command), command
    assert "acne" not in command


def test_unknown_project_lists_candidates(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, report = run_preflight(
        pytester,
        simulator,
        "--sentry-org=acme",
        "--sentry-project=codictat",
        monkeypatch=monkeypatch,
    )
    assert result.ret == 1
    project = check(report, "test_project_exists")
    assert "Project 'codictat' (--sentry-project) does not exist" in project["message"]
    assert "Closest match: 'codictate'" in project["message"]
    [command] = project["next_commands"]
    assert "--sentry-project=codictate" in shlex.split(command), command


@pytest.mark.usefixtures("dns_fails")
def test_unresolvable_host_is_partial(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight",
        "--sentry-url=https://sentry.invalid/",
        "--sentry-org=acme",
        "--sentry-gate-report=report.json",
        "-rs",
    )
    # Then: exit 0, the API checks PARTIAL with the exact rerun command, not a misconfiguration
    assert result.ret == 0
    report = load_report(pytester.path / "report.json")
    accepted = check(report, "test_token_accepted")
    assert accepted["status"] == "PARTIAL"
    assert accepted["reason"] == "network_unavailable"
    rerun = (
        "pytest -m setup_preflight --sentry-url=https://sentry.invalid/ --sentry-org=acme "
        "-rs --require-host-network"
    )
    assert rerun in accepted["next_commands"]
    assert "says nothing about the Sentry configuration" in accepted["message"]
    assert "PARTIAL: Sentry host sentry.invalid is unreachable (dns:" in result.stdout.str()
    assert check(report, "test_settings_resolved")["status"] == "PASS"
    # With --require-host-network the same run FAILs
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight",
        "--sentry-url=https://sentry.invalid/",
        "--sentry-org=acme",
        "--require-host-network",
    )
    assert result.ret == 1
    assert "host network is required" in result.stdout.str()


def test_server_that_hangs_is_bounded(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.add_fault(Fault(path=r"^/api/0/$", hang=True))
    pytester.makeconftest("")
    _result, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", "-o", "timeout=60", monkeypatch=monkeypatch
    )
    accepted = check(report, "test_token_accepted")
    assert accepted["status"] == "FAIL"
    assert accepted["reason"] == "server_error"
    assert "/api/0/" in accepted["message"]
    assert "timed out" in accepted["message"]


def test_rate_limited_then_success(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.add_fault(Fault(path=r"^/api/0/$", status=429, times=1))
    _result, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", monkeypatch=monkeypatch
    )
    assert check(report, "test_token_accepted")["status"] == "PASS"
    root_calls = [r for r in simulator.requests if r.path == "/api/0/"]
    assert len(root_calls) == 2  # the 429, then one success shared by every check


def test_server_error_forever_names_endpoint(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.add_fault(Fault(path=r"^/api/0/organizations/acme/$", status=500))
    result, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", monkeypatch=monkeypatch
    )
    assert result.ret == 1
    org = check(report, "test_organization_exists")
    assert org["reason"] == "server_error"
    assert "/api/0/organizations/acme/" in org["message"]
    attempts = [r for r in simulator.requests if r.path == "/api/0/organizations/acme/"]
    assert len(attempts) == 4  # one try and three bounded retries


def test_body_not_json(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.add_fault(Fault(path=r"^/api/0/$", malformed=True))
    result, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", monkeypatch=monkeypatch
    )
    assert result.ret == 1
    accepted = check(report, "test_token_accepted")
    assert accepted["reason"] == "malformed_response"
    assert "INTERNALERROR" not in result.stdout.str()


def test_tauri_repository_wiring(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Tauri repository whose capability lacks the Sentry permission
    repo = pytester.mkdir("app")
    (repo / "src-tauri" / "capabilities").mkdir(parents=True)
    (repo / "src-tauri" / "capabilities" / "default.json").write_text(
        '{"identifier": "default", "permissions": ["core:default"]}'
    )
    _, report = run_preflight(
        pytester,
        simulator,
        "--sentry-org=acme",
        f"--sentry-repo-root={repo}",
        monkeypatch=monkeypatch,
    )
    capability = check(report, "test_tauri_capability")
    assert capability["status"] == "FAIL"
    assert "sentry:default" in capability["message"]
    # When the permission is added, it passes
    (repo / "src-tauri" / "capabilities" / "default.json").write_text(
        '{"identifier": "default", "permissions": ["core:default", "sentry:default"]}'
    )
    _result, report = run_preflight(
        pytester,
        simulator,
        "--sentry-org=acme",
        f"--sentry-repo-root={repo}",
        monkeypatch=monkeypatch,
    )
    assert check(report, "test_tauri_capability")["status"] == "PASS"


def test_configured_wiring_markers(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given one marker present, one file without its text and one marker whose file is absent
    repo = pytester.mkdir("svc")
    (repo / "app.py").write_text('sentry_sdk.init(release="svc@2.0.0")\n')
    (repo / "settings.py").write_text("send_default_pii = True\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "2.0.0"\n')
    pytester.makeini(
        "[pytest]\nsentry_http_timeout = 1\nsentry_wiring =\n"
        '    app.py: release="{release}"\n    settings.py: send_default_pii = False\n'
        "    .github/workflows/*.yml: SENTRY_RELEASE\n"
        "sentry_version_files =\n    pyproject.toml\n"
    )
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)

    def run_wiring() -> dict[str, Any]:
        pytester.runpytest_inprocess(
            "-m",
            "setup_preflight",
            f"--sentry-url={simulator.url}",
            "--sentry-org=acme",
            "--sentry-project=svc",
            f"--sentry-repo-root={repo}",
            "--sentry-gate-report=r.json",
        )
        return check(load_report(pytester.path / "r.json"), "test_wiring_markers")

    wiring = run_wiring()
    # Then the file without its text fails; the absent one is a noted risk, not a failure
    assert wiring["status"] == "FAIL"
    assert "settings.py" in wiring["message"]
    assert "app.py" not in wiring["message"]
    assert any(".github/workflows/*.yml" in risk for risk in wiring["risks"])
    # When the text is fixed, the check passes
    (repo / "settings.py").write_text("send_default_pii = False\n")
    wiring = run_wiring()
    assert wiring["status"] == "PASS"
    assert wiring["evidence"]["release"] == "svc@2.0.0"


def test_sentry_cli_on_path_is_reported_never_required(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sentry-cli on PATH (a stand-in that prints a version)
    bin_dir = pytester.mkdir("bin")
    cli = bin_dir / "sentry-cli"
    cli.write_text("#!/bin/sh\necho 'sentry-cli 3.8.2'\n")
    cli.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    _, report = run_preflight(pytester, simulator, "--sentry-org=acme", monkeypatch=monkeypatch)
    # Then its path and version are evidence
    evidence = check(report, "test_settings_resolved")["evidence"]
    assert evidence["sentry_cli"] == {"path": str(cli), "version": "sentry-cli 3.8.2"}
    # And without it the check still passes, saying it is absent
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    _, report = run_preflight(pytester, simulator, "--sentry-org=acme", monkeypatch=monkeypatch)
    settings_check = check(report, "test_settings_resolved")
    assert settings_check["status"] == "PASS"
    assert settings_check["evidence"]["sentry_cli"] is None


def test_fixtures_can_be_overridden_from_a_conftest(
    pytester: pytest.Pytester, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a conftest that replaces the network probe with one that says DNS failed
    pytester.makeconftest(
        "import pytest\n"
        "from pytest_sentry_gate.sentry.network import ProbeResult\n"
        "@pytest.fixture(scope='session')\n"
        "def sentry_network_probe():\n"
        "    return ProbeResult(host='sentry.example', port=443, ok=False, stage='dns',\n"
        "                       detail='overridden', elapsed_ms=0.0, addresses=())\n"
    )
    result, report = run_preflight(
        pytester, simulator, "--sentry-org=acme", monkeypatch=monkeypatch
    )
    # Then every API check takes the override: PARTIAL, naming its host and detail
    accepted = check(report, "test_token_accepted")
    assert accepted["status"] == "PARTIAL"
    assert "sentry.example is unreachable (dns: overridden)" in accepted["message"]
    assert result.ret == 0
    assert not simulator.requests
