"""CI-friendly output: GitHub step summary and annotations, JUnit properties, -rs locations."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_sentry_gate import verdict
from pytest_sentry_gate.ci_output import (
    JUNIT_MESSAGE,
    JUNIT_REASON,
    JUNIT_STATUS,
    summary_markdown,
    workflow_commands,
)
from sentry_simulator import Fault
from tests.conftest import CANARY_TOKEN, all_written, demo_simulator

ROOT = Path(__file__).resolve().parents[1]
DSN_KEY = "fedcba9876543210fedcba9876543210"
DSN = f"http://{DSN_KEY}@127.0.0.1:9/4242"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(
        ROOT / "examples" / "codictate", target, ignore=shutil.ignore_patterns("pytest.ini")
    )
    return target


def gate(pytester: pytest.Pytester, app: Path, url: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "-m",
        "setup_preflight or release_gate",
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={app}",
        "-o",
        "sentry_http_timeout=1",
        "-p",
        "no:cacheprovider",
        *args,
    )


def test_github_actions_summary_annotations_and_junit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> None:
    # Given a GitHub Actions step, canary secrets, a release whose files answer 500 and a server
    # that echoes the token in a 403
    summary = pytester.path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SENTRY_DSN", DSN)
    with demo_simulator(app) as sim:
        sim.add_fault(Fault(path=r"/releases/codictate@1\.4\.2/files/", status=500))
        sim.add_fault(
            Fault(path=r"^/api/0/$", status=403, body={"detail": f"{CANARY_TOKEN} lacks a scope"})
        )
        result = gate(pytester, app, sim.url, "--junitxml=junit.xml")
    out = result.stdout.str()
    # Then each FAIL is an ::error annotation titled by its check
    assert result.ret == 1
    errors = [line for line in out.splitlines() if line.startswith("::error ")]
    assert any("test_release_gate%3A%3Atest_artifacts_uploaded" in line for line in errors), out
    assert any("test_setup_preflight%3A%3Atest_token_accepted" in line for line in errors), out
    # And the step summary is appended: a table of modes, then the failing checks
    text = summary.read_text()
    assert text.startswith("earlier step\n## ❌ sentry-gate: FAIL · release ` codictate@1.4.2 `")
    assert "| release-gate | ❌ FAIL |" in text
    assert "#### ❌ `test_release_gate::test_artifacts_uploaded` (server_error)" in text
    # And JUnit XML carries each check's verdict and reason as properties
    root = ET.parse(pytester.path / "junit.xml").getroot()
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in root.iter("testcase")
    }
    assert props["test_artifacts_uploaded"][JUNIT_STATUS] == "FAIL"
    assert props["test_artifacts_uploaded"][JUNIT_REASON] == "server_error"
    assert "Internal Error" in props["test_artifacts_uploaded"][JUNIT_MESSAGE]
    assert props["test_versions_aligned"][JUNIT_STATUS] == "PASS"
    assert props["test_wiring_markers"][JUNIT_STATUS] in ("PASS", "SKIP")
    # And no secret is anywhere
    written = out + result.stderr.str() + all_written(pytester.path)
    assert CANARY_TOKEN not in written
    assert DSN_KEY not in written


def test_outside_github_actions_nothing_is_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> None:
    summary = pytester.path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with demo_simulator(app) as sim:
        result = gate(pytester, app, sim.url)
    assert "::error" not in result.stdout.str()
    assert not summary.exists()


def result(status: str, message: str, **evidence: object) -> verdict.CheckResult:
    return verdict.CheckResult(
        nodeid="t.py::test_x",
        check_id="t::test_x",
        mode="release_gate",
        status=status,
        reason="r",
        message=message,
        evidence=dict(evidence),
        risks=(),
        next_commands=("pytest -m release_gate",),
        duration=0.0,
    )


def test_untrusted_text_cannot_break_the_summary_or_the_annotation() -> None:
    # Given a message from Sentry with a table pipe, HTML, newlines, a fence and a %
    hostile = "a | b <script>\n```\n::error::x 100%"
    found = [result(verdict.FAIL, hostile, title="```")]
    # When rendered
    text = summary_markdown([], found, "FAIL", str)
    (line,) = workflow_commands(found, str)
    # Then the annotation is one line with GitHub's escapes, and the Markdown is inert
    assert "\n" not in line
    assert line.endswith(
        "::a | b <script>%0A```%0A::error::x 100%25%0Anext: pytest -m release_gate"
    )
    assert "a \\| b \\<script\\><br>\\`\\`\\`<br>::error::x 100%" in text
    assert "````json" in text


@pytest.mark.usefixtures("dns_fails")
def test_skip_lines_point_at_the_check(pytester: pytest.Pytester, app: Path) -> None:
    # Given an unreachable Sentry host (the API checks are PARTIAL, raised by the plugin)
    result = gate(pytester, app, "https://sentry.invalid/", "-rs")
    # Then -rs names the checks' own files, never the plugin's internals
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert skipped
    assert all("test_release_gate.py:" in s or "test_setup_preflight.py:" in s for s in skipped)
    assert not any("hooks.py" in s or "verdict.py" in s for s in skipped)


def test_every_annotation_starts_its_own_line_under_q(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> None:
    # Given a GitHub Actions step and -q (the progress line has no newline before the summary)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    result = gate(pytester, app, "http://127.0.0.1:9", "-q")
    out = result.stdout.str()
    # Then GitHub reads every workflow command: each one begins a line
    assert out.count("::error ") >= 2
    assert out.count("::error ") == sum(line.startswith("::error ") for line in out.splitlines())
