"""Each setting through each of its sources, the precedence between them, and bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.settings import OPTIONS, RECORD_MODES
from tests.conftest import CANARY_TOKEN, write_sentryclirc

Resolved = Any


def ini(pytester: pytest.Pytester, **values: str) -> None:
    body = "\n".join(f"{k} = {v}" for k, v in values.items())
    pytester.makeini(f"[pytest]\n{body}\n")


def test_defaults(resolved: Resolved, pytester: pytest.Pytester) -> None:
    # Given no flag, variable, ini value or .sentryclirc
    # When the settings are resolved
    data = resolved()
    # Then every setting has its documented default and says so
    assert data["org"] is None
    assert data["projects"] == []
    assert data["url"] == "https://sentry.io/"
    assert data["environment"] == "production"
    assert data["release_template"] == "{project}@{version}"
    assert data["record_mode"] == "off"
    assert data["auto_slug_discovery"] is True
    assert data["cassette_dir"] == str(pytester.path / "cassettes")
    assert data["stats_period"] == "14d"
    assert data["max_high_severity"] == 0
    assert data["min_crash_free_sessions"] == 99.0
    assert data["dist_dir"] == "dist/assets"
    assert data["url_prefix"] == "app://localhost/assets"
    assert data["token_is_set"] is False
    assert data["sources"]["org"] == "default"


SOURCED = [
    ("org", "--sentry-org", "SENTRY_ORG", "sentry_org", "acme", "acme"),
    ("projects", "--sentry-project", "SENTRY_PROJECT", "sentry_project", "web,api", ["web", "api"]),
    (
        "url",
        "--sentry-url",
        "SENTRY_URL",
        "sentry_url",
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9/",
    ),
    ("release", "--sentry-release", "SENTRY_RELEASE", "sentry_release", "app@1.0.0", "app@1.0.0"),
    (
        "environment",
        "--sentry-environment",
        "SENTRY_ENVIRONMENT",
        "sentry_environment",
        "staging",
        "staging",
    ),
    ("record_mode", "--sentry-record-mode", None, "sentry_record_mode", "none", "none"),
]


@pytest.mark.parametrize(
    ("name", "flag", "env", "ini_name", "value", "expected", "source"),
    [
        (*row, source)
        for row in SOURCED
        for source in ("flag", "env", "ini")
        if source != "env" or row[2] is not None  # record mode has no variable, by design
    ],
)
def test_each_source(
    resolved: Resolved,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    flag: str,
    env: str | None,
    ini_name: str,
    value: str,
    expected: Any,
    source: str,
) -> None:
    # Given the value in one source only
    args: list[str] = []
    if source == "flag":
        args = [f"{flag}={value}"]
    elif source == "env":
        assert env is not None
        monkeypatch.setenv(env, value)
    else:
        ini(pytester, **{ini_name: value})
    # When resolved
    data = resolved(*args)
    # Then the value is taken and its source named
    assert data[name] == expected
    key = "project" if name == "projects" else name
    assert {"flag": flag, "env": env or "", "ini": f"{ini_name} in tox.ini"}[source] == data[
        "sources"
    ][key]


def test_precedence_flag_env_ini_rc(
    resolved: Resolved, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    # Given the org in all four sources
    write_sentryclirc(home, "[defaults]\norg = from-rc\n")
    ini(pytester, sentry_org="from-ini")
    monkeypatch.setenv("SENTRY_ORG", "from-env")
    # Then the flag wins, then env, then ini, then .sentryclirc
    assert resolved("--sentry-org=from-flag")["org"] == "from-flag"
    assert resolved()["org"] == "from-env"
    monkeypatch.delenv("SENTRY_ORG")
    assert resolved()["org"] == "from-ini"
    ini(pytester)
    data = resolved()
    assert data["org"] == "from-rc"
    assert data["sources"]["org"].startswith(".sentryclirc (")


def test_sentryclirc_home_then_nearest_file_above_repo(
    resolved: Resolved, pytester: pytest.Pytester, home: Path
) -> None:
    # Given a global file and a nearer one above the repository (key by key override)
    write_sentryclirc(
        home,
        "[defaults]\norg = global-org\nproject = global-proj\n"
        "url = http://127.0.0.1:1/\n[auth]\ntoken = " + CANARY_TOKEN + "\n",
    )
    repo = pytester.path / "parent" / "repo"
    repo.mkdir(parents=True)
    write_sentryclirc(pytester.path / "parent", "[defaults]\nproject = near-proj\n")
    # When the repository root is below the nearer file
    data = resolved(f"--sentry-repo-root={repo}")
    # Then the nearer file wins for its keys, the global one supplies the rest
    assert data["projects"] == ["near-proj"]
    assert data["org"] == "global-org"
    assert data["url"] == "http://127.0.0.1:1/"
    assert data["token_is_set"] is True


def test_token_from_env_beats_sentryclirc(
    resolved: Resolved, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    write_sentryclirc(home, "[auth]\ntoken = rc-token\n")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("EXPECT_TOKEN", CANARY_TOKEN)
    data = resolved()
    assert data["token_matches"] is True
    assert data["sources"]["token"] == "SENTRY_AUTH_TOKEN"


def test_token_is_never_a_flag_or_ini(pytester: pytest.Pytester) -> None:
    # Given someone tries to pass the token as a flag
    result = pytester.runpytest_inprocess("--sentry-auth-token=x")
    # Then pytest refuses the unknown option
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    flags = [o.flag for o in OPTIONS if o.flag]
    assert not any("token" in f for f in flags)
    assert not any("token" in (o.ini or "") for o in OPTIONS)


def test_dsn_from_env_then_repo_dotenv(
    resolved: Resolved, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"
    (pytester.path / ".env").write_text(f'SENTRY_DSN="{dsn}"\n')
    monkeypatch.setenv("EXPECT_DSN", dsn)
    data = resolved(f"--sentry-repo-root={pytester.path}")
    assert data["dsn_matches"] is True
    assert data["sources"]["dsn"] == ".env"
    monkeypatch.setenv("SENTRY_DSN", dsn.replace("0123", "9999"))
    data = resolved(f"--sentry-repo-root={pytester.path}")
    assert data["dsn_matches"] is False
    assert data["sources"]["dsn"] == "SENTRY_DSN"


def test_repo_root_default_is_git_top_level(resolved: Resolved, pytester: pytest.Pytester) -> None:
    (pytester.path / ".git").mkdir()
    sub = pytester.mkdir("sub")
    (sub / "test_settings_probe.py").write_text("")
    assert resolved()["repo_root"] == str(pytester.path)
    ini(pytester, sentry_repo_root="sub")
    assert resolved()["repo_root"] == str(sub)


def test_ini_only_settings(resolved: Resolved, pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nsentry_release_template = app-{version}\nsentry_stats_period = 24h\n"
        "sentry_max_high_severity = 2\nsentry_min_crash_free_sessions = 98.5\n"
        "sentry_min_crash_free_users = 97\nsentry_auto_slug_discovery = false\n"
        "sentry_state_file = state.json\nsentry_cassette_dir = tapes\n"
        'sentry_wiring =\n    src/main.ts: release: "{release}"\n'
        "sentry_release_wiring =\n    vite.config.ts: {project}\n"
        "sentry_version_files =\n    pyproject.toml:project.version\n"
        "sentry_dist_dir = build/js\nsentry_url_prefix = ~/static/\n"
        "sentry_bundled_checks = false\nsentry_http_timeout = 2.5\n"
    )
    data = resolved()
    assert data["release_template"] == "app-{version}"
    assert data["stats_period"] == "24h"
    assert data["max_high_severity"] == 2
    assert data["min_crash_free_sessions"] == 98.5
    assert data["min_crash_free_users"] == 97.0
    assert data["auto_slug_discovery"] is False
    assert data["state_file"] == "state.json"
    assert data["cassette_dir"] == str(pytester.path / "tapes")
    assert data["wiring"] == ['src/main.ts: release: "{release}"']
    assert data["release_wiring"] == ["vite.config.ts: {project}"]
    assert data["version_files"] == ["pyproject.toml:project.version"]
    assert data["dist_dir"] == "build/js"
    assert data["url_prefix"] == "~/static"
    assert data["bundled_checks"] is False
    assert data["http_timeout"] == 2.5


def test_flags(resolved: Resolved) -> None:
    data = resolved(
        "--require-host-network",
        "--send-test-event",
        "--no-auto-slug-discovery",
        "--sentry-state-file=s.json",
        "--sentry-cassette-dir=/tmp/c",
        "--sentry-gate-report=r.json",
    )
    assert data["require_host_network"] is True
    assert data["send_test_event"] is True
    assert data["auto_slug_discovery"] is False
    assert data["state_file"] == "s.json"
    assert data["cassette_dir"] == "/tmp/c"
    assert data["report"] == "r.json"
    assert resolved("--strict-network")["require_host_network"] is True


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--sentry-org=Bad Org"], {}, "Invalid organization slug 'Bad Org' from --sentry-org"),
        ([], {"SENTRY_PROJECT": "a,B!"}, "Invalid project slug 'B!' from SENTRY_PROJECT"),
        (["--sentry-url=ftp://x"], {}, "Invalid Sentry URL 'ftp://x' from --sentry-url"),
        (
            ["--sentry-record-mode=sometimes"],
            {},
            "Invalid record mode 'sometimes' from --sentry-record-mode: one of "
            + ", ".join(RECORD_MODES),
        ),
        (
            ["--sentry-repo-root=/does/not/exist"],
            {},
            "Invalid repository root '/does/not/exist' from --sentry-repo-root: an existing dir",
        ),
    ],
)
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    # Given a bad value, with a mode selected so the settings are resolved at start-up
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pytester.makepyfile("def test_nothing(): pass")
    # When pytest starts
    result = pytester.runpytest_inprocess("-m", "setup_preflight", *args)
    # Then it stops with a usage error naming the value, its source and what is allowed
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected in result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_bad_threshold_in_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsentry_max_high_severity = many\n")
    result = pytester.runpytest_inprocess("-m", "setup_preflight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "Invalid threshold 'many' from sentry_max_high_severity in tox.ini" in result.stderr.str()
    )


def test_malformed_sentryclirc_is_a_usage_error(pytester: pytest.Pytester, home: Path) -> None:
    # Given a .sentryclirc that is not INI, with a token-like value on a broken line
    write_sentryclirc(home, f"token = {CANARY_TOKEN}\n[auth\n")
    result = pytester.runpytest_inprocess("-m", "setup_preflight")
    # Then a usage error names the file, and the secret is not echoed
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "Invalid .sentryclirc" in err
    assert str(home / ".sentryclirc") in err
    assert CANARY_TOKEN not in err + result.stdout.str()


def test_report_header_shows_settings_never_token(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makepyfile("import pytest\n@pytest.mark.setup_preflight\ndef test_x(): pass\n")
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight",
        "--sentry-org=acme",
        "--sentry-project=web",
        "--sentry-url=http://127.0.0.1:9/",
        "-p",
        "no:randomly",
        "-o",
        "sentry_bundled_checks=false",
    )
    out = result.stdout.str()
    assert "sentry-gate: org=acme project=web server=127.0.0.1 record-mode=off" in out
    assert CANARY_TOKEN not in out


@pytest.mark.parametrize(
    ("ini_text", "expected"),
    [
        ("sentry_wiring =\n    no-colon-here\n", "Invalid wiring marker line 'no-colon-here'"),
        ("sentry_release_wiring =\n    : text\n", "(from sentry_release_wiring in tox.ini)"),
        ("sentry_version_files =\n    /abs/x.json\n", "(from sentry_version_files in tox.ini)"),
        ("sentry_http_timeout = 0\n", "Invalid timeout '0' from sentry_http_timeout in tox.ini"),
    ],
)
def test_bad_ini_lists_are_usage_errors(
    pytester: pytest.Pytester, ini_text: str, expected: str
) -> None:
    # Given a line the plugin cannot use
    pytester.makeini("[pytest]\n" + ini_text)
    pytester.makepyfile("def test_x(): pass")
    # When a mode runs
    result = pytester.runpytest_inprocess("-m", "release_gate")
    # Then it stops at once with a usage error naming the line's source, without a traceback
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
