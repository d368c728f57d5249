"""Plugin wiring: markers, mode selection and order, inertness, bundled checks, verdict mapping."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import pytest_sentry_gate
from pytest_sentry_gate import modes
from tests.conftest import load_report

CUSTOM_CHECKS = """
import pytest

@pytest.mark.incident
def test_incident(sentry_check):
    sentry_check.passed("incident ok")

@pytest.mark.release_gate
def test_release(sentry_check):
    sentry_check.record(version="1.0.0")
    sentry_check.passed("release ok")

@pytest.mark.setup_preflight
def test_preflight(sentry_check):
    sentry_check.partial("no data yet", reason="no_data")

@pytest.mark.prod_health
def test_health(sentry_check):
    sentry_check.fail(
        "too many issues", reason="threshold", next_commands=("pytest -m issue_triage",)
    )

def test_plain():
    pass
"""

NO_BUNDLED = ("-o", "sentry_bundled_checks=false")


def test_markers_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    out = result.stdout.str()
    for marker in modes.MARKERS:
        assert f"@pytest.mark.{marker}: runbook mode:" in out


def test_strict_markers_reject_typos(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.release_gat\ndef test_x(): pass\n")
    result = pytester.runpytest_inprocess("--strict-markers")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "'release_gat' not found in `markers`" in result.stdout.str()


def test_verify_loop_selects_first_five_modes_in_order(pytester: pytest.Pytester) -> None:
    # Given checks of several modes written out of order
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    # When verify_loop is selected
    result = pytester.runpytest_inprocess("-m", "verify_loop", "-v", *NO_BUNDLED)
    # Then the first five modes' checks run, in runbook order; incident and plain tests do not
    names = [
        line.split("::")[1].split()[0]
        for line in result.stdout.lines
        if line.startswith("test_custom.py::")
    ]
    assert names == ["test_preflight", "test_release", "test_health"]
    result.assert_outcomes(passed=1, failed=1, skipped=1, deselected=2)


def test_verdicts_exit_codes_and_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    result = pytester.runpytest_inprocess(
        "-m", "setup_preflight or release_gate", "-rs", *NO_BUNDLED
    )
    # PARTIAL is a skip that starts with PARTIAL: and names the rerun command; exit 0
    assert result.ret == 0
    out = result.stdout.str()
    assert "PARTIAL: no data yet Rerun: pytest -m 'setup_preflight or release_gate'" in out
    assert "setup-preflight  PARTIAL  1 partial" in out
    assert "release-gate     PASS     1 pass" in out
    assert "overall: PARTIAL" in out
    # A FAIL exits 1 and prints its message without a traceback
    result = pytester.runpytest_inprocess("-m", "prod_health", *NO_BUNDLED)
    assert result.ret == 1
    out = result.stdout.str()
    assert "too many issues" in out
    assert "Traceback" not in out
    assert "next: pytest -m issue_triage" in out


def test_inert_without_a_mode(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a plain test suite with the plugin installed
    pytester.makepyfile(
        "import sys\n"
        "def test_inert():\n"
        "    assert 'httpx' not in sys.modules\n"
        "    assert 'vcr' not in sys.modules\n"
        "    repo = sorted(m for m in sys.modules if m.startswith('pytest_sentry_gate.repo.'))\n"
        "    assert repo == ['pytest_sentry_gate.repo.defaults']\n"
        "    assert not [m for m in sys.modules if m.startswith('pytest_sentry_gate.store')]\n"
    )
    # When no mode is selected (fresh interpreter, so imports are real; it imports this checkout,
    # not the one the venv was installed from)
    checkout = str(Path(pytest_sentry_gate.__file__).parent.parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, (checkout, os.environ.get("PYTHONPATH"))))
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # Then the plugin imported neither httpx nor vcrpy, nor any repository reader (the settings
    # table needs only their defaults), and printed no sentry-gate header
    result.assert_outcomes(passed=1)
    assert "sentry-gate:" not in result.stdout.str()


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_inprocess("-p", "no:sentry_gate", "-m", "setup_preflight")
    assert "sentry-gate:" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_bundled_checks_collected_when_a_mode_is_selected(pytester: pytest.Pytester) -> None:
    # Given an empty repository
    pytester.makepyfile("def test_x(): pass")
    # When a mode is selected, only collecting
    result = pytester.runpytest_inprocess("-m", "setup_preflight", "--collect-only", "-q")
    # Then the package's checks are collected from wherever it is installed
    out = result.stdout.str()
    assert "test_setup_preflight.py::test_settings_resolved" in out
    assert "test_setup_preflight.py::test_token_scopes" in out
    # and not without a mode
    result = pytester.runpytest_inprocess("--collect-only", "-q")
    assert "test_setup_preflight" not in result.stdout.str()


def test_report_json_and_json_report_metadata(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    result = pytester.runpytest_inprocess(
        "-m",
        "verify_loop",
        "--sentry-gate-report=out/report.json",
        "--json-report",
        "--json-report-file=jr.json",
        *NO_BUNDLED,
    )
    assert result.ret == 1
    report = load_report(pytester.path / "out" / "report.json")
    assert report["overall_status"] == "FAIL"
    assert report["mode"] == "verify-loop"
    assert [r["mode"] for r in report["results"]] == [
        "setup-preflight",
        "local-smoke",
        "release-gate",
        "prod-health",
        "issue-triage",
    ]
    assert [r["status"] for r in report["results"]] == [
        "PARTIAL",
        "PARTIAL",
        "PASS",
        "FAIL",
        "PARTIAL",
    ]
    # local-smoke ships checks, switched off here: said as such, with the command to rerun
    assert report["results"][1]["message"].startswith(
        "local-smoke: no check of this mode ran in this selection"
    )
    release = next(c for c in report["checks"] if c["id"] == "test_custom::test_release")
    assert release["evidence"] == {"version": "1.0.0"}
    jr = json.loads((pytester.path / "jr.json").read_text())
    by_id = {t["nodeid"]: t for t in jr["tests"]}
    meta = by_id["test_custom.py::test_health"]["metadata"]["sentry_gate"]
    assert meta["status"] == "FAIL"
    assert meta["reason"] == "threshold"
    assert [r["status"] for r in jr["sentry_gate"]] == [
        "PARTIAL",
        "PARTIAL",
        "PASS",
        "FAIL",
        "PARTIAL",
    ]


def test_inert_plugin_implements_no_per_test_hook(pytester: pytest.Pytester) -> None:
    # Given a plain run with the plugin installed and no mode selected
    pytester.makeconftest(
        "def pytest_sessionfinish(session):\n"
        "    pm = session.config.pluginmanager\n"
        "    plugin = pm.get_plugin('sentry_gate')\n"
        "    names = sorted(h.name for h in pm.get_hookcallers(plugin))\n"
        "    active = pm.has_plugin('sentry_gate_active')\n"
        "    print('HOOKS', ','.join(names), 'ACTIVE', active)\n"
    )
    pytester.makepyfile("def test_x(): pass")
    # When it runs
    result = pytester.runpytest_inprocess("-s")
    # Then the plugin only declares its options and markers and checks the rootdir pytest chose
    # (once, before any test): no hook runs per test
    result.stdout.fnmatch_lines(
        ["*HOOKS pytest_addoption,pytest_configure,pytest_load_initial_conftests ACTIVE False*"]
    )
    # And with a mode selected the working hooks are registered
    result = pytester.runpytest_inprocess(
        "-s", "-m", "incident", "-o", "sentry_bundled_checks=false"
    )
    result.stdout.fnmatch_lines(["*ACTIVE True*"])


WATCH = """
def pytest_sessionfinish(session):
    pm = session.config.pluginmanager
    names = sorted(n for n, _ in pm.list_name_plugin() if n and n.startswith("sentry_gate_"))
    print("REGISTERED", ",".join(names) or "none")
"""

CHECK_WITHOUT_A_MODE = """
from pytest_sentry_gate import errors

def test_plain():
    pass

def test_token(sentry_check):
    raise errors.TokenMissing()
"""


def test_a_check_without_a_mode_activates_the_hooks(pytester: pytest.Pytester) -> None:
    # Given a plain test, then a test that asks for sentry_check, and no mode selected
    pytester.makeconftest(WATCH)
    pytester.makepyfile(CHECK_WITHOUT_A_MODE)
    # When it runs
    result = pytester.runpytest_inprocess("-s", "-p", "no:cacheprovider")
    # Then the working hooks were activated for the check: its error is its verdict, said
    # without a traceback, and the sentry-gate summary closes the run
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "No Sentry auth token" in out
    assert "raise errors.TokenMissing()" not in out
    assert "= sentry-gate =" in out
    result.stdout.fnmatch_lines(["*REGISTERED sentry_gate_active,*"])  # and neither watch
    assert "sentry_gate_watch" not in out
    assert "sentry_gate_first_check" not in out


def test_a_check_without_a_mode_activates_the_hooks_on_an_xdist_worker(
    pytester: pytest.Pytester,
) -> None:
    # Given the same tests, distributed over a worker
    pytester.makepyfile(CHECK_WITHOUT_A_MODE)
    # When they run there
    result = pytester.runpytest_subprocess("-n", "1", "-p", "xdist", "-p", "no:cacheprovider")
    # Then the worker activated the hooks: the check's error is its verdict, without a traceback
    result.assert_outcomes(passed=1, failed=1)
    assert "No Sentry auth token" in result.stdout.str()
    assert "raise errors.TokenMissing()" not in result.stdout.str()


@pytest.mark.parametrize(
    ("source", "args"),
    [
        ("def test_plain():\n    pass\n", ()),  # no test asks for sentry_check
        (CHECK_WITHOUT_A_MODE, ("--collect-only",)),  # one does, but no fixture is set up
        (CHECK_WITHOUT_A_MODE, ("--setup-plan",)),  # nor here
        (CHECK_WITHOUT_A_MODE, ("-k", "plain")),  # the one that does is deselected
    ],
)
def test_without_a_check_that_runs_the_plugin_stays_inert(
    pytester: pytest.Pytester, source: str, args: tuple[str, ...]
) -> None:
    # Given no mode selected, and no test that asks for sentry_check runs
    pytester.makeconftest(WATCH)
    pytester.makepyfile(source)
    # When the run ends
    result = pytester.runpytest_inprocess("-s", "-p", "no:cacheprovider", *args)
    # Then nothing of the plugin is left registered to run per test, and no summary was written
    result.stdout.fnmatch_lines(["*REGISTERED none*"])
    assert "= sentry-gate =" not in result.stdout.str()


def test_the_fixture_layer_calls_nothing_above_it(pytester: pytest.Pytester) -> None:
    # Given the fixture modules loaded without the plugin module (so without its hooks)
    pytester.makepyfile(
        "def test_check(sentry_check):\n"
        "    sentry_check.passed('ok')\n"
        "    assert sentry_check.check_id == 'test_the_fixture_layer_calls_nothing_above_it"
        "::test_check'\n"
    )
    # When a test asks for sentry_check
    result = pytester.runpytest_inprocess(
        "-p", "no:sentry_gate", "-p", "pytest_sentry_gate.fixtures.core", "-p", "no:cacheprovider"
    )
    # Then the fixture hands out its record: it reaches into nothing the plugin put in place
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("expression", "active"),
    [
        ("release_gate", True),
        ("release_gate or slow", True),
        ("verify_loop", True),
        ("not release_gate", False),
        ("slow or not incident", False),
        ("slow", False),
    ],
)
def test_only_an_expression_that_selects_a_mode_activates(
    pytester: pytest.Pytester, expression: str, active: bool
) -> None:
    # Given a plain suite (one unmarked test)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    pytester.makepyfile("def test_plain(): pass")
    # When -m is given
    result = pytester.runpytest_inprocess("-m", expression, "--collect-only", "-q")
    # Then the bundled checks join only when the expression selects a mode's checks
    assert (
        "test_setup_preflight.py" in result.stdout.str()
        or "test_release_gate.py" in result.stdout.str()
    ) is active


def test_unwritable_report_path_is_a_clear_error(pytester: pytest.Pytester) -> None:
    # Given a report path whose directory cannot be created (a file stands in the way)
    (pytester.path / "blocker").write_text("")
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    # When the run starts
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=blocker/r.json", *NO_BUNDLED
    )
    # Then it is a usage error naming the path, before any check ran
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --sentry-gate-report */blocker/r.json: */blocker is not a directory *"]
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("ours_first", [False, True])
def test_json_report_metadata_whatever_order_the_plugins_load(
    pytester: pytest.Pytester, ours_first: bool
) -> None:
    # Given this plugin loaded before pytest-json-report (as a fresh venv's entry points order
    # them), or after it
    order = ("-p", "no:sentry_gate", "-p", "pytest_sentry_gate.plugin") if ours_first else ()
    pytester.makepyfile(test_custom=CUSTOM_CHECKS)
    # When a run writes --json-report
    pytester.runpytest_inprocess(
        *order, "-m", "verify_loop", "--json-report", "--json-report-file=jr.json", *NO_BUNDLED
    )
    # Then each check's entry carries its sentry-gate block either way
    jr = json.loads((pytester.path / "jr.json").read_text())
    by_id = {t["nodeid"]: t for t in jr["tests"]}
    assert by_id["test_custom.py::test_health"]["metadata"]["sentry_gate"]["status"] == "FAIL"
