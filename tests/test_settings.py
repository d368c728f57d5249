"""Each setting through each of its sources, the precedence between them, and bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.setting_parsers import RECORD_MODES
from pytest_sentry_gate.settings import ROWS
from tests.conftest import CANARY_TOKEN, write_sentryclirc

Resolved = Any


def usage_error(pytester: pytest.Pytester, *args: str) -> str:
    """Start a mode with ``args``; assert pytest stops with a usage error; return its stderr."""
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-m", "setup_preflight", *args)
    out, err = result.stdout.str(), result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out + err
    assert "Traceback" not in out + err
    return err


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
    assert data["stats_period"] == "14d"
    assert data["dist_dir"] == "dist/assets"
    assert data["url_prefix"] == "app://localhost/assets"
    assert data["http_timeout"] == 10.0
    assert data["bundled_checks"] is True
    assert data["cassette_dir"] == str(pytester.path / "cassettes")
    assert data["version_files"] == [
        "src-tauri/tauri.conf.json",
        "src-tauri/Cargo.toml",
        "package.json",
    ]
    assert data["token_is_set"] is False
    assert data["token_note"] is None
    assert data["sources"]["org"] == "default"
    assert data["sources"]["token"] == "unset"
    # And every default is the table's, the only place defaults live
    for name, row in ROWS.items():
        if row.default is not None and name != "cassette_dir":
            expected = list(row.default) if isinstance(row.default, tuple) else row.default
            assert data[name] == expected, name


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
    assert data["sources"]["org"] == f".sentryclirc ({home / '.sentryclirc'}) [defaults] org"


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
    flags = [f for row in ROWS.values() for f in (*row.all_flags, *row.cli)]
    assert not any("token" in f for f in flags)
    assert not any("token" in (row.ini or "") for row in ROWS.values())


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
        "sentry_auto_slug_discovery = false\n"
        'sentry_wiring =\n    src/main.ts: release: "{release}"\n'
        "sentry_release_wiring =\n    vite.config.ts: {project}\n"
        "sentry_version_files =\n    pyproject.toml:project.version\n"
        "sentry_dist_dir = build/js\nsentry_url_prefix = ~/static/\n"
        "sentry_bundled_checks = false\nsentry_http_timeout = 2.5\n"
    )
    data = resolved()
    assert data["release_template"] == "app-{version}"
    assert data["stats_period"] == "24h"
    assert data["auto_slug_discovery"] is False
    assert data["wiring"] == ['src/main.ts: release: "{release}"']
    assert data["release_wiring"] == ["vite.config.ts: {project}"]
    assert data["version_files"] == ["pyproject.toml:project.version"]
    assert data["dist_dir"] == "build/js"
    assert data["url_prefix"] == "~/static"
    assert data["bundled_checks"] is False
    assert data["http_timeout"] == 2.5


def test_flags(resolved: Resolved, pytester: pytest.Pytester) -> None:
    data = resolved(
        "--require-host-network",
        "--send-test-event",
        "--no-auto-slug-discovery",
        "--sentry-gate-report=r.json",
    )
    assert data["require_host_network"] is True
    assert data["send_test_event"] is True
    assert data["auto_slug_discovery"] is False
    assert data["report"] == str(pytester.path / "r.json")
    strict = resolved("--strict-network")
    assert strict["require_host_network"] is True
    assert strict["sources"]["require_host_network"] == "--strict-network"
    # And the positive switch wins over the ini value
    pytester.makeini("[pytest]\nsentry_auto_slug_discovery = false\n")
    assert resolved("--auto-slug-discovery")["auto_slug_discovery"] is True


def test_every_offered_setting_is_read_by_code(pytester: pytest.Pytester) -> None:
    # Given --help, which offers every row's flag and ini key
    out = pytester.runpytest_inprocess("--help").stdout.str()
    for row in ROWS.values():
        for flag in row.all_flags:
            assert flag in out
        if row.ini:
            assert row.ini in out
    # Then each row is read by code outside the settings modules (a setting lands with its code)
    root = Path(__file__).resolve().parents[1]
    sources = [
        path.read_text(encoding="utf-8")
        for base in (root / "pytest_sentry_gate", root / "checks")
        for path in base.rglob("*.py")
        if not path.name.startswith("setting")
        and "setting_rows" not in path.parts
        and "simulator" not in path.parts
    ]
    for name in ROWS:
        assert any(f".{name}" in text for text in sources), f"no code reads setting {name!r}"


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
        (
            "sentry_http_timeout = 0\n",
            "Invalid timeout '0' from sentry_http_timeout in tox.ini: a number of seconds "
            "above 0 and at most 600",
        ),
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


# --- never leak, never lie ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted", [CANARY_TOKEN + "\n", CANARY_TOKEN + "\r\n", f"  {CANARY_TOKEN} "]
)
def test_token_surrounding_whitespace_is_stripped_and_said(
    resolved: Resolved, monkeypatch: pytest.MonkeyPatch, pasted: str
) -> None:
    # Given a token pasted with a line break or spaces around it
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", pasted)
    monkeypatch.setenv("EXPECT_TOKEN", CANARY_TOKEN)
    # When resolved
    data = resolved()
    # Then the token is the stripped one, and the settings say it was stripped
    assert data["token_matches"] is True
    assert data["token_note"] == "surrounding whitespace stripped"
    assert data["sources"]["token"] == "SENTRY_AUTH_TOKEN (surrounding whitespace stripped)"


def test_sentryclirc_token_trailing_whitespace_is_stripped_and_said(
    resolved: Resolved, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    rc = write_sentryclirc(home, f"[auth]\ntoken = {CANARY_TOKEN} \t\n")
    monkeypatch.setenv("EXPECT_TOKEN", CANARY_TOKEN)
    data = resolved()
    assert data["token_matches"] is True
    assert data["token_note"] == "surrounding whitespace stripped"
    assert data["sources"]["token"] == (
        f".sentryclirc ({rc}) [auth] token (surrounding whitespace stripped)"
    )
    # And a clean token carries no note
    write_sentryclirc(home, f"[auth]\ntoken = {CANARY_TOKEN}\n")
    assert resolved()["token_note"] is None


@pytest.mark.parametrize(
    ("inside", "problem"),
    [
        (" ", "it contains whitespace inside it"),
        ("\t", "it contains whitespace inside it"),
        ("\n", "it contains whitespace inside it"),
        ("\x1b", "it contains a control character"),
        ("\x7f", "it contains a control character"),
    ],
)
def test_token_with_inner_whitespace_or_control_is_refused_unseen(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, inside: str, problem: str
) -> None:
    # Given a token broken in the middle
    half = len(CANARY_TOKEN) // 2
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN[:half] + inside + CANARY_TOKEN[half:])
    # When a mode starts
    err = usage_error(pytester)
    # Then a usage error names the source, never the token (nor either half of it)
    assert (
        f"ERROR: Invalid Sentry auth token from SENTRY_AUTH_TOKEN: {problem}. The value is not "
        "shown; check it for pasted line breaks or spaces."
    ) in err.splitlines()
    assert CANARY_TOKEN[:half] not in err
    assert CANARY_TOKEN[half:] not in err


def test_sentryclirc_token_with_inner_space_names_the_file(
    pytester: pytest.Pytester, home: Path
) -> None:
    rc = write_sentryclirc(home, f"[auth]\ntoken = {CANARY_TOKEN[:9]} {CANARY_TOKEN[9:]}\n")
    err = usage_error(pytester)
    assert f"from .sentryclirc ({rc}) [auth] token: it contains whitespace inside it" in err
    assert CANARY_TOKEN[9:] not in err


def test_url_with_credentials_is_refused_unseen(pytester: pytest.Pytester) -> None:
    # Given credentials in the server URL
    err = usage_error(pytester, "--sentry-url=https://alice:hunter2pass@sentry.example/")
    # Then a usage error shows the URL with the credentials masked, and says where they belong
    assert (
        "ERROR: Invalid Sentry URL 'https://***@sentry.example/' from --sentry-url: credentials "
        "in the URL are refused; put the token in SENTRY_AUTH_TOKEN or .sentryclirc"
    ) in err.splitlines()
    assert "hunter2pass" not in err
    assert "alice" not in err


def test_url_with_credentials_in_sentryclirc_is_refused_unseen(
    pytester: pytest.Pytester, home: Path
) -> None:
    rc = write_sentryclirc(home, f"[defaults]\nurl = https://{CANARY_TOKEN}@sentry.example/\n")
    err = usage_error(pytester)
    assert f"'https://***@sentry.example/' from .sentryclirc ({rc}) [defaults] url" in err
    assert CANARY_TOKEN not in err


ALLOWED_URL = "an absolute http(s) URL such as https://sentry.io/"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/", "Port out of range 0-65535"),
        ("http://my host/", "no spaces or control characters"),
        ("https://-bad-.example/", "the host '-bad-.example' is not valid"),
        ("ftp://sentry.example/", "the scheme must be http or https"),
        ("sentry.example", "the scheme must be http or https"),
        ("https:///api/", "the host is missing"),
        ("https://sentry.example/?org=acme", "no query or fragment"),
    ],
)
def test_urls_that_cannot_be_valid_are_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str, why: str
) -> None:
    # Given an impossible server URL in the environment
    monkeypatch.setenv("SENTRY_URL", url)
    # Then the usage error names the value, its source and why
    err = usage_error(pytester)
    shown = url.replace("=acme", "=***")  # a query value may be a secret: never shown
    expected = f"ERROR: Invalid Sentry URL {shown!r} from SENTRY_URL: {ALLOWED_URL} ({why})"
    assert expected in err.splitlines()


@pytest.mark.parametrize(
    ("ini_text", "expected"),
    [
        (
            "sentry_auto_slug_discovery = maybe",
            "Invalid switch 'maybe' from sentry_auto_slug_discovery in tox.ini: true or false",
        ),
        (
            "sentry_bundled_checks = sometimes",
            "Invalid switch 'sometimes' from sentry_bundled_checks in tox.ini: true or false",
        ),
        *(
            (
                f"sentry_http_timeout = {bad}",
                f"Invalid timeout {bad!r} from sentry_http_timeout in tox.ini: a number "
                "of seconds above 0 and at most 600",
            )
            for bad in ("nan", "inf", "-inf", "0", "-1", "soon")
        ),
        (
            "sentry_release_template = {projct}@{version}",
            "Release template '{projct}@{version}': unknown placeholder {projct}; allowed "
            "placeholders: {project}, {version} (from sentry_release_template in tox.ini)",
        ),
        (
            "sentry_release_template = {project@{version}",
            "Release template '{project@{version}': unexpected '{' in field name; allowed "
            "placeholders: {project}, {version} (from sentry_release_template in tox.ini)",
        ),
        (
            "sentry_release_template = {project}@{version",
            "Release template '{project}@{version': expected '}' before end of string; allowed "
            "placeholders: {project}, {version} (from sentry_release_template in tox.ini)",
        ),
        (
            "sentry_stats_period = 0d",
            "Invalid time window '0d' from sentry_stats_period in tox.ini: a positive number "
            "with a unit s, m, h, d or w, such as 24h or 14d",
        ),
    ],
)
def test_bad_ini_values_name_the_setting_and_source(
    pytester: pytest.Pytester, ini_text: str, expected: str
) -> None:
    # Given a value the setting cannot take
    pytester.makeini(f"[pytest]\n{ini_text}\n")
    # Then pytest stops before the run with exactly that line
    assert "ERROR: " + expected in usage_error(pytester).splitlines()


def test_ini_switches_take_the_usual_spellings(
    resolved: Resolved, pytester: pytest.Pytester
) -> None:
    pytester.makeini("[pytest]\nsentry_auto_slug_discovery = No\nsentry_bundled_checks = 0\n")
    data = resolved()
    assert data["auto_slug_discovery"] is False
    assert data["bundled_checks"] is False


def test_toml_list_of_projects_is_the_list_it_is(
    resolved: Resolved, pytester: pytest.Pytester
) -> None:
    # Given the projects as a TOML list in pyproject.toml
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nsentry_project = ["web", "api"]\nsentry_http_timeout = 5\n'
    )
    # When resolved
    data = resolved()
    # Then each item is one project, and the source is the file
    assert data["projects"] == ["web", "api"]
    assert data["sources"]["project"] == "sentry_project in pyproject.toml"
    assert data["http_timeout"] == 5.0


def test_sentryclirc_directory_is_a_usage_error(pytester: pytest.Pytester, home: Path) -> None:
    # Given a directory where the home .sentryclirc belongs
    (home / ".sentryclirc").mkdir()
    err = usage_error(pytester)
    # Then the usage error names the path instead of skipping it silently
    assert (
        f"ERROR: Invalid .sentryclirc {home / '.sentryclirc'}: IsADirectoryError. Allowed: an INI "
        "file with [auth] and [defaults] sections"
    ) in err.splitlines()


def test_unreadable_sentryclirc_above_the_repo_is_a_usage_error(
    pytester: pytest.Pytester, home: Path
) -> None:
    # Given a .sentryclirc beside the repository that cannot be read (a dangling link)
    repo = pytester.mkdir("repo")
    (repo / ".sentryclirc").symlink_to(repo / "missing")
    err = usage_error(pytester, f"--sentry-repo-root={repo}")
    assert f"ERROR: Invalid .sentryclirc {repo / '.sentryclirc'}: FileNotFoundError." in err


def test_relative_paths_follow_one_rule(
    resolved: Resolved, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the ini file in a subdirectory, and pytest started from its parent
    app = pytester.mkdir("app")
    (app / "src").mkdir()
    (app / "pytest.ini").write_text("[pytest]\nsentry_repo_root = src\n")
    (pytester.path / "src").mkdir()
    # When the repository root comes from the ini file
    data = resolved("-c", str(app / "pytest.ini"), "--rootdir", str(app))
    # Then it is relative to the ini file's directory
    assert data["repo_root"] == str(app / "src")
    # And from the command line (flag or -o) it is relative to the invocation directory
    assert resolved("-c", str(app / "pytest.ini"), "--rootdir", str(app), "--sentry-repo-root=src")[
        "repo_root"
    ] == str(pytester.path / "src")
    data = resolved(
        "-c", str(app / "pytest.ini"), "--rootdir", str(app), "-o", "sentry_repo_root=src"
    )
    assert data["repo_root"] == str(pytester.path / "src")
    assert data["sources"]["repo_root"] == "-o sentry_repo_root"
    # And so is the report path
    assert resolved("--sentry-gate-report=out/r.json")["report"] == str(
        pytester.path / "out" / "r.json"
    )


def test_settings_doc_table_is_the_settings_table() -> None:
    # Given the settings reference (docs/settings.md; scripts/sync_generated.py rewrites it)
    readme = (Path(__file__).parent.parent / "docs" / "settings.md").read_text(encoding="utf-8")
    # Then it holds the table the rows print, line for line: flag, ini, env, .sentryclirc, default
    from pytest_sentry_gate.setting_options import markdown_table

    assert markdown_table() in readme
