"""Setting values a user gets wrong: typo'd keys, absurd numbers, native TOML values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_sentry_gate.settings import ROWS
from tests.conftest import SETTINGS_PROBE as PROBE
from tests.test_settings import usage_error

# --- a typo'd key is a usage error naming the real one (issue 14.10) --------------------------


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("sentry_projct", "sentry_project"),
        ("sentry_max_high_severty", "sentry_max_high_severity"),
        ("sentry_http_timout", "sentry_http_timeout"),
    ],
)
def test_typo_in_ini_key_is_a_usage_error_naming_the_closest_key(
    pytester: pytest.Pytester, key: str, closest: str
) -> None:
    # Given a sentry_* key in the ini file that no setting has
    pytester.makeini(f"[pytest]\n{key} = 3\n")
    pytester.makepyfile(test_plain="def test_plain(): pass")
    # When any pytest run starts (a mode or not)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    # Then it stops with a usage error that names the key, the file and the closest real key
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        f"ERROR: Unknown setting {key!r} in tox.ini: did you mean {closest!r}?"
        in result.stderr.str()
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_typo_in_override_is_named_as_an_override(pytester: pytest.Pytester) -> None:
    err = usage_error(pytester, "-o", "sentry_projct=app")
    assert "Unknown setting 'sentry_projct' in -o sentry_projct: did you mean " in err


def test_unrelated_unknown_key_is_left_to_pytest(pytester: pytest.Pytester) -> None:
    # Given an unknown key that is not ours
    pytester.makeini("[pytest]\nsomething_else = 1\n")
    pytester.makepyfile(test_plain="def test_plain(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore")
    # Then pytest's own handling applies (a warning), not our usage error
    assert result.ret == pytest.ExitCode.OK
    assert "Unknown setting" not in result.stderr.str()


def test_help_still_works_with_a_typo(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsentry_projct = app\n")
    result = pytester.runpytest_inprocess("--help")
    assert result.ret == pytest.ExitCode.OK


# --- absurd numbers are usage errors (issue 15.12) --------------------------------------------

NUMERIC = [name for name, row in ROWS.items() if row.ini and type(row.default) in (int, float)]


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("bad", ["1e308", "nan", "inf", "-1", "1" * 400])
def test_absurd_number_is_a_usage_error_naming_setting_value_source_and_range(
    pytester: pytest.Pytester, name: str, bad: str
) -> None:
    # Given an absurd value for a numeric setting
    key = ROWS[name].ini
    pytester.makeini(f"[pytest]\n{key} = {bad}\n")
    # When a mode starts
    err = usage_error(pytester)
    # Then one line names the value (cut when long), the setting and its file, and the range
    line = next(line for line in err.splitlines() if line.startswith("ERROR: Invalid "))
    assert repr(bad[:60])[:-1] in line
    assert f" from {key} in tox.ini: " in line
    assert " at most " in line
    assert "OverflowError" not in err


def test_huge_timeout_no_longer_reaches_the_client(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsentry_http_timeout = 1e308\n")
    assert (
        "ERROR: Invalid timeout '1e308' from sentry_http_timeout in tox.ini: a number of seconds "
        "above 0 and at most 600"
    ) in usage_error(pytester).splitlines()


# --- native TOML values (issue 18.5) -----------------------------------------------------------


def _resolved(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    out = pytester.path / "settings-out.json"
    monkeypatch.setenv("SETTINGS_OUT", str(out))
    pytester.makepyfile(test_settings_probe=PROBE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_settings_probe.py")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_native_toml_values_are_taken(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pytest.version_tuple[:2] < (9, 0):
        pytest.skip("the [tool.pytest] table with native values is pytest 9's")
    # Given pytest 9's native table with an int, a float, booleans and a single project string
    pytester.makepyprojecttoml(
        "[tool.pytest]\n"
        "sentry_max_high_severity = 10\n"
        "sentry_http_timeout = 2.5\n"
        "sentry_smoke_wait = 5\n"
        "sentry_bundled_checks = false\n"
        "sentry_auto_slug_discovery = false\n"
        'sentry_project = "app"\n'
        'sentry_high_severity_queries = ["is:unresolved level:fatal"]\n'
    )
    # When resolved
    data = _resolved(pytester, monkeypatch)
    # Then each takes its native value, from the file
    assert data["max_high_severity"] == 10
    assert data["http_timeout"] == 2.5
    assert data["smoke_wait"] == 5.0
    assert data["bundled_checks"] is False
    assert data["auto_slug_discovery"] is False
    assert data["projects"] == ["app"]
    assert data["high_severity_queries"] == ["is:unresolved level:fatal"]
    assert data["sources"]["max_high_severity"] == "sentry_max_high_severity in pyproject.toml"


def test_native_toml_bad_value_is_still_judged_by_the_setting(pytester: pytest.Pytester) -> None:
    if pytest.version_tuple[:2] < (9, 0):
        pytest.skip("the [tool.pytest] table with native values is pytest 9's")
    pytester.makepyprojecttoml("[tool.pytest]\nsentry_max_high_severity = -3\n")
    assert (
        "ERROR: Invalid threshold '-3' from sentry_max_high_severity in pyproject.toml: a whole "
        "number at least 0 and at most 1e+06"
    ) in usage_error(pytester).splitlines()


def test_declared_types_are_native_on_pytest_9_2() -> None:
    if pytest.version_tuple[:2] < (9, 2):
        pytest.skip("union ini types are pytest 9.2's")
    from pytest_sentry_gate.setting_options import _ini_type

    assert _ini_type(ROWS["max_high_severity"]) == str | int
    assert _ini_type(ROWS["http_timeout"]) == str | float
    assert _ini_type(ROWS["bundled_checks"]) == str | bool
    assert _ini_type(ROWS["projects"]) == "linelist"


def test_settings_page_has_the_settings_table() -> None:
    from pathlib import Path

    from pytest_sentry_gate.setting_options import markdown_table

    page = (Path(__file__).parent.parent / "docs" / "settings.md").read_text(encoding="utf-8")
    assert markdown_table() in page
    assert "sentry_fail_on" in page
