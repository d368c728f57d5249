"""Next commands are true and runnable (issue 14, item 11): a rerun asks Sentry again, keeps the
user's network flag, never repeats a ``-k`` that matched nothing, triage does not send the user
back to triage, and what to change by hand is in ``fixes``, never in ``next_commands``."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pytest_sentry_gate import errors, plugin, rerun, verdict
from pytest_sentry_gate.settings import SLUG_OPTIONS
from sentry_simulator import Simulator
from tests.conftest import CANARY_TOKEN, check, demo_target, run_mode

ROOT = Path(__file__).resolve().parents[1]
#: What a next command may start with: a program or a shell builtin, never a sentence.
PROGRAMS = frozenset(
    {"pytest", "sentry-gate", "sentry-cli", "curl", "git", "npm", "pnpm", "yarn", "bun", "cd"}
    | {"python", "python3", "read"}
)
CUSTOM_CHECKS = """
import pytest

@pytest.mark.release_gate
def test_release(sentry_check):
    sentry_check.passed("release ok")
"""


def _pytest_rerun(*args: str) -> str:
    config = SimpleNamespace(invocation_params=SimpleNamespace(args=list(args), plugins=()))
    return plugin.rerun_command(cast(pytest.Config, config))


def assert_runnable(report: dict[str, Any]) -> None:
    """Every next command of every check and mode row parses as shell words and starts with a
    program; nothing in ``fixes`` is lost on the way."""
    commands = [c for entry in report["checks"] for c in entry["next_commands"]]
    commands += [c for row in report["results"] for c in row["next_commands"].splitlines()]
    assert commands
    for command in commands:
        words = shlex.split(command)
        assert Path(words[0]).name in PROGRAMS, command


# -- a rerun never replays a stale cassette ------------------------------------------------------


def test_rerun_drops_a_replaying_record_mode_in_either_spelling() -> None:
    # Given runs that replayed their cassette (none, or once over an existing one)
    for given in (("--sentry-record-mode=none",), ("--sentry-record-mode", "once")):
        # Then the rerun asks Sentry again: the record mode is not repeated
        assert _pytest_rerun("-m", "prod_health", *given) == "pytest -m prod_health"
    # And a recording mode stays: it asks Sentry anyway
    assert _pytest_rerun("-m", "prod_health", "--sentry-record-mode=new_episodes") == (
        "pytest -m prod_health --sentry-record-mode=new_episodes"
    )


# -- the network flag stays ----------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--require-host-network", "--strict-network"])
def test_rerun_keeps_the_users_network_flag(flag: str) -> None:
    # Given a run that required host network
    command = _pytest_rerun("-m", "prod_health", flag)
    # Then its rerun requires it too (an unreachable Sentry stays a FAIL)
    assert command == f"pytest -m prod_health {flag}"
    exc = errors.NetworkUnavailable("sentry.invalid", "dns", "no such host")
    status, _, _, commands = verdict.verdict_for_error(
        exc,
        require_network=True,
        rerun=command,
        server="https://sentry.invalid/",
        slug_options=SLUG_OPTIONS,
    )
    assert (status, commands) == (verdict.FAIL, (command,))


def test_network_hint_adds_the_flag_once() -> None:
    # Given a run without the flag, then one with it
    assert rerun.with_host_network("pytest -m x") == "pytest -m x --require-host-network"
    assert rerun.with_host_network("pytest -m x --strict-network") == "pytest -m x --strict-network"


# -- a -k that matched nothing -------------------------------------------------------------------


def test_a_keyword_that_matched_nothing_is_not_repeated(pytester: pytest.Pytester) -> None:
    # Given a release check, and a -k with a typo
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    pytester.runpytest_inprocess(
        "-m", "release_gate", "-k", "relaese", "--sentry-gate-report=r.json",
        "-o", "sentry_bundled_checks=false", "-p", "no:cacheprovider",
    )  # fmt: skip
    # Then the report's next commands run the mode, without the -k that selected nothing
    document = json.loads((pytester.path / "r.json").read_text())
    commands = [c for row in document["results"] for c in row["next_commands"].splitlines()]
    assert commands
    for command in commands:
        assert "-k" not in shlex.split(command), command
        assert "relaese" not in command


def test_a_keyword_stays_for_its_mode_and_goes_for_another() -> None:
    # Given a rerun that chose checks with -k, under pytest and under sentry-gate
    pytest_rerun = "pytest -m prod_health -k high_severity -q"
    cli_rerun = "sentry-gate --mode prod-health -- -k high_severity"
    # Then it is kept while checks matched, and left out when turning to another mode
    assert rerun.after_collection(pytest_rerun, selected=1) == pytest_rerun
    assert rerun.after_collection(pytest_rerun, selected=0) == "pytest -m prod_health -q"
    assert rerun.for_mode(pytest_rerun, "issue_triage") == "pytest -m issue_triage -q"
    assert rerun.for_mode(cli_rerun, "issue_triage") == "sentry-gate --mode issue-triage"
    assert rerun.after_collection("pytest -m x -kfoo", selected=0) == "pytest -m x"


ORG_FLAGS = ("--sentry-org", "--org")
PROJECT_FLAGS = ("--sentry-project", "--project")


@pytest.mark.parametrize(
    ("command", "flags", "value", "instead_of", "added", "expected"),
    [
        # the failing value replaced, in either spelling of the option
        ("pytest -m prod_health --sentry-org acne", ORG_FLAGS, "acme", "acne", "acme",
         "pytest -m prod_health --sentry-org acme"),
        ("pytest -m prod_health --sentry-org=acne -q", ORG_FLAGS, "acme", "acne", "acme",
         "pytest -m prod_health --sentry-org=acme -q"),
        # sentry-gate's own spelling, and pytest's among the pytest options after its "--"
        ("sentry-gate --org acne -- -k x", ORG_FLAGS, "acme", "acne", "acme",
         "sentry-gate --org acme -- -k x"),
        ("sentry-gate -- --sentry-org acne", ORG_FLAGS, "acme", "acne", "acme",
         "sentry-gate -- --sentry-org acme"),
        ("sentry-gate -- --org acne", ORG_FLAGS, "acme", "acne", "acme",  # a file name there
         "sentry-gate --org acme -- --org acne"),
        # pytest's words after "--" are file arguments: left alone
        ("pytest -m x -- --sentry-org", ORG_FLAGS, "acme", "acne", "acme",
         "pytest -m x --sentry-org acme -- --sentry-org"),
        # not on the command line (a file, the environment): added in the command's spelling
        ("pytest -m prod_health", ORG_FLAGS, "acme", "acne", "acme",
         "pytest -m prod_health --sentry-org acme"),
        ("sentry-gate --mode prod-health -- -q", ORG_FLAGS, "acme", "acne", "acme",
         "sentry-gate --mode prod-health --org acme -- -q"),
        # one project of a comma list (spaces around its items too): the others stay
        ("pytest -m prod_health --sentry-project web,codictat", PROJECT_FLAGS, "codictate",
         "codictat", "web,codictate", "pytest -m prod_health --sentry-project web,codictate"),
        ("pytest -m prod_health '--project=web, codictat'", PROJECT_FLAGS, "codictate",
         "codictat", "web,codictate", "pytest -m prod_health --project=web,codictate"),
        # the projects from a file: every one of them added, the failing one replaced
        ("pytest -m prod_health", PROJECT_FLAGS, "codictate", "codictat", "web,codictate",
         "pytest -m prod_health --sentry-project web,codictate"),
        # nothing to add: the command as it was
        ("pytest -m prod_health", PROJECT_FLAGS, "codictate", "codictat", None,
         "pytest -m prod_health"),
    ],
)  # fmt: skip
def test_a_suggested_slug_replaces_the_one_that_failed(
    command: str,
    flags: tuple[str, str],
    value: str,
    instead_of: str,
    added: str | None,
    expected: str,
) -> None:
    assert rerun.with_option(command, flags, value, instead_of=instead_of, added=added) == expected


@pytest.mark.parametrize(
    ("exc", "projects", "expected"),
    [
        # an organization from a file or the environment: the closest match added
        (errors.SlugError("no", setting="org", given="acne", suggested="acme"), (),
         "pytest -m prod_health --sentry-org acme"),
        # one of several configured projects: all of them, the failing one replaced
        (errors.SlugError("no", setting="projects", given="codictat", suggested="codictate"),
         ("web", "codictat"), "pytest -m prod_health --sentry-project web,codictate"),
        # none was set and discovery found one candidate (auto-discovery off): that one
        (errors.SlugError("no", setting="projects", suggested="codictate"), (),
         "pytest -m prod_health --sentry-project codictate"),
        # nothing to suggest (several candidates, none close): the rerun as it was
        (errors.SlugError("no", setting="org", given="x"), (), "pytest -m prod_health"),
        # a renamed project among several: its new slug in its place
        (errors.ProjectMoved("/api/0/projects/acme/codictate/", "302", slug="dictate"),
         ("web", "codictate"), "pytest -m prod_health --sentry-project web,dictate"),
        # a 302 whose path names no project slug: the rerun as it was
        (errors.ProjectMoved("/api/0/organizations/acme/issues/", "302", slug="dictate"),
         ("web", "codictate"), "pytest -m prod_health"),
    ],
)  # fmt: skip
def test_a_slug_verdict_reruns_with_the_slug_to_try(
    exc: errors.SentryGateError, projects: tuple[str, ...], expected: str
) -> None:
    _, _, _, commands = verdict.verdict_for_error(
        exc,
        require_network=False,
        rerun="pytest -m prod_health",
        server="https://s.io/",
        projects=projects,
        slug_options=SLUG_OPTIONS,
    )
    assert commands == (expected,)


# -- a full demo run: every next command is a command -------------------------------------------


def test_the_readme_demo_gives_runnable_next_commands_and_triage_does_not_rerun_triage(
    tmp_path: Path,
) -> None:
    # Given the README's demo (replayed offline)
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pytest")), "-m", "verify_loop",
         f"--sentry-gate-report={report_path}", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(report_path.read_text())
    # Then every next command runs as it stands
    assert_runnable(report)
    # And the urgent issues are shown, not triaged again: no rerun of the mode it is in
    urgent = check(report, "test_likely_urgent")
    assert urgent["status"] == "PARTIAL"
    assert urgent["next_commands"]
    for command in urgent["next_commands"]:
        words = shlex.split(command)
        assert words[0] == "curl", command
        assert words[-1].endswith("/events/latest/")
    assert urgent["fixes"]


def test_a_broken_app_gets_fixes_in_words_and_only_commands_in_next_commands(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given the demo app with personal data on, the Sentry plugin unregistered, the capability
    # gone and the release wiring naming another app
    rust = repo / "src-tauri" / "src" / "main.rs"
    text = rust.read_text().replace("send_default_pii: false", "send_default_pii: true")
    rust.write_text(text.replace("        .plugin(tauri_plugin_sentry::init(&client))\n", ""))
    for capability in (repo / "src-tauri" / "capabilities").iterdir():
        capability.write_text(capability.read_text().replace('"sentry:default"', '"core:default"'))
    vite = repo / "vite.config.ts"
    vite.write_text(vite.read_text().replace("`codictate@${version}`", "`handy-app@${version}`"))
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    # When every mode runs against it
    _, report = run_mode(pytester, "verify_loop or incident", *demo_target(sim.url, repo))
    # Then the changes to make are fixes, in words, and every next command is a command
    assert_runnable(report)
    fixed = {c["id"].split("::")[1] for c in report["checks"] if c["fixes"]}
    assert {"test_sentry_privacy", "test_tauri_capability", "test_release_wiring"} <= fixed
    rows = {row["mode"]: row for row in report["results"]}
    assert rows["setup-preflight"]["fixes"]
    assert all(isinstance(row["fixes"], list) for row in report["results"])


def test_fixes_are_shown_beside_the_next_commands_in_ci_and_in_the_terminal() -> None:
    # Given a failed check with a rerun and a fix in words
    from pytest_sentry_gate import ci_output, report
    from pytest_sentry_gate.runlog import Run

    result = verdict.CheckResult(
        nodeid="checks/test_release_gate.py::test_release_wiring",
        check_id="test_release_gate.py::test_release_wiring",
        mode="release_gate",
        status=verdict.FAIL,
        reason="release_wiring",
        message="The release wiring does not use codictate@1.4.2",
        evidence={},
        risks=(),
        next_commands=("pytest -m release_gate",),
        duration=0.1,
        fixes=("add to vite.config.ts: release: { name: `codictate@${version}` }",),
    )
    run = Run(modes=("release_gate",), started=0.0, rerun="pytest -m release_gate")
    run.results.append(result)
    fix = result.fixes[0]
    # Then the annotation, the step summary, the terminal and the mode row all carry the fix
    assert f"%0Afix: {fix}" in ci_output.workflow_commands([result], str)[0]
    markdown = ci_output.summary_markdown(report.mode_rows(run), [result], "FAIL", str)
    assert "Fixes:" in markdown
    assert f"- {fix}" in markdown
    assert f"           fix:  {fix}" in report.summary_lines(run)
    assert report.mode_rows(run)[0]["fixes"] == [fix]
    assert report.mode_rows(run)[0]["next_commands"] == "pytest -m release_gate"
