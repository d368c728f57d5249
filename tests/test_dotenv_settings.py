"""The repository's ``.env`` gives the Sentry settings, as sentry-cli loads it (issue 14.15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN
from tests.test_setting_values import _resolved
from tests.test_settings import usage_error

DOTENV = (
    "SENTRY_ORG=acme\n"
    "SENTRY_PROJECT=codictate\n"
    "SENTRY_RELEASE=codictate@9.9.9\n"
    "SENTRY_ENVIRONMENT=staging\n"
    "SENTRY_URL=http://127.0.0.1:9/\n"
    f"SENTRY_AUTH_TOKEN={CANARY_TOKEN}\n"
)


def settings_with_dotenv(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str = ""
) -> dict[str, Any]:
    (pytester.path / ".git").mkdir(exist_ok=True)  # the repository root is pytester.path
    (pytester.path / ".env").write_text(DOTENV)
    pytester.makeini("[pytest]\n" + ini)
    monkeypatch.setenv("EXPECT_TOKEN", CANARY_TOKEN)
    return _resolved(pytester, monkeypatch)


def test_dotenv_gives_org_project_release_environment_url_and_token(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given only the repository's .env
    data = settings_with_dotenv(pytester, monkeypatch)
    # Then each setting comes from it, and its source names the file
    dotenv = pytester.path / ".env"
    assert data["org"] == "acme"
    assert data["projects"] == ["codictate"]
    assert data["release"] == "codictate@9.9.9"
    assert data["environment"] == "staging"
    assert data["url"] == "http://127.0.0.1:9/"
    assert data["token_matches"] is True
    assert data["sources"]["org"] == f"SENTRY_ORG in {dotenv}"
    assert data["sources"]["token"] == f"SENTRY_AUTH_TOKEN in {dotenv}"


def test_environment_and_flags_beat_dotenv_which_beats_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "production")
    data = settings_with_dotenv(pytester, monkeypatch, ini="sentry_org = other\n")
    assert data["environment"] == "production"  # environment > .env
    assert data["org"] == "acme"  # .env > ini


def test_sentry_load_dotenv_0_turns_it_off(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_LOAD_DOTENV", "0")
    data = settings_with_dotenv(pytester, monkeypatch)
    assert data["org"] is None
    assert data["token_is_set"] is False


def test_token_from_dotenv_is_never_shown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the token only in .env and an unreachable Sentry
    (pytester.path / ".git").mkdir()
    (pytester.path / ".env").write_text(DOTENV)
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_inprocess(
        "-m", "setup_preflight", "-rA", "-p", "no:cacheprovider", "--sentry-gate-report=r.json"
    )
    # Then the preflight finds a token, and no output or report holds it
    out = result.stdout.str() + result.stderr.str()
    assert "No Sentry auth token" not in out
    assert CANARY_TOKEN not in out + (pytester.path / "r.json").read_text()
    assert (
        f"SENTRY_AUTH_TOKEN in {pytester.path / '.env'}" in (pytester.path / "r.json").read_text()
    )


def test_dotenv_that_is_not_a_regular_file_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    (pytester.path / ".git").mkdir()
    (pytester.path / ".env").symlink_to("/dev/zero")
    err = usage_error(pytester)
    assert f"ERROR: Invalid .env {pytester.path / '.env'}: a character device" in err
