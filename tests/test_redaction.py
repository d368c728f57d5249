"""The run's one redactor: whole tokens only for short secrets, base64 forms, redact-then-cut, logs,
URL query strings, and one build per run."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_sentry_gate.redact import MASK, Redactor
from sentry_simulator import Fault
from tests.conftest import CANARY_TOKEN, all_written, demo_simulator, load_report

ROOT = Path(__file__).resolve().parents[1]


def windows(secret: str, size: int = 12) -> list[str]:
    """Every ``size``-character piece of ``secret``: a cut secret still leaks these."""
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def b64_forms(secret: str) -> list[tuple[str, str]]:
    """The secret in a Basic header after 5, 3 and 2 bytes (each byte alignment), in both
    alphabets: (the whole base64 text, the part that encodes the secret's bytes only)."""
    found = []
    for prefix in ("user:", "us:", "u:"):
        raw = base64.b64encode((prefix + secret + "x").encode()).decode()
        for text in (raw, raw.replace("+", "-").replace("/", "_")):
            found.append((text, text[8:-8]))
    return found


# -- the redactor --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "text", "expected"),
    [
        ("tok", "token tok Bearer tok", f"token {MASK} Bearer {MASK}"),
        ("tok", "tok_x x-tok tokens", "tok_x x-tok tokens"),
        ("a", "release a 'a' a\n", f"release {MASK} '{MASK}' {MASK}\n"),
        ("0", "/api/0/ 200 0.5", f"/api/{MASK}/ 200 {MASK}.5"),
        ("e", "1e5 e-mail e", f"1e5 e-mail {MASK}"),
    ],
)
def test_a_short_secret_is_masked_only_as_a_whole_token(
    secret: str, text: str, expected: str
) -> None:
    assert Redactor([secret])(text) == expected


def test_a_long_secret_is_masked_anywhere_and_in_base64() -> None:
    # Given the canary inside a word and in Basic headers at each byte alignment, both alphabets
    redact = Redactor([CANARY_TOKEN])
    forms = b64_forms(CANARY_TOKEN)
    text = " ".join(["x" + CANARY_TOKEN + "y", *(whole for whole, _ in forms)])
    # Then no 12-character piece of it, nor of its base64 forms, is left
    shown = redact(text)
    assert shown.count(MASK) == 1 + len(forms)
    for form in [CANARY_TOKEN, *(inner for _, inner in forms)]:
        assert not any(w in shown for w in windows(form)), form


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://sentry.io/?token=S3cr3tQueryValue", "https://sentry.io/?token=***"),
        ("https://u:p4ss@sentry.io/?a=1&auth=zz#frag", "https://***@sentry.io/?a=***&auth=***#***"),
        ("https://sentry.io/api/0/", "https://sentry.io/api/0/"),
    ],
)
def test_urls_are_shown_without_userinfo_query_values_or_fragment(url: str, shown: str) -> None:
    from pytest_sentry_gate.redact import mask_urls

    assert mask_urls(f"--sentry-url={url} next") == f"--sentry-url={shown} next"


# -- whole runs ----------------------------------------------------------------------------------

QUERY_SECRET = "qu3ryS3cr3tV4lue"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_secret_in_the_sentry_url_query_is_masked_in_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    # Given SENTRY_URL (or --sentry-url) with a token in its query string
    url = f"https://sentry.example.com/?token={QUERY_SECRET}&org=acme"
    args = [f"--sentry-url={url}"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("SENTRY_URL", url)
    # When a mode runs
    result = pytester.runpytest_inprocess("-m", "setup_preflight", "-p", "no:cacheprovider", *args)
    # Then it is a usage error naming the URL with its values masked
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "https://sentry.example.com/?token=***&org=***" in out
    assert QUERY_SECRET not in out


def test_a_secret_in_the_sentry_url_query_is_masked_in_the_cli_json(tmp_path: Path) -> None:
    # Given sentry-gate --json with a token in the --url query string
    url = f"https://sentry.example.com/?token={QUERY_SECRET}"
    command = ["--mode", "setup-preflight", "--url", url, "--json", "--repo-root", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest_sentry_gate.cli", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    # Then the JSON's message and standard error name the URL, masked
    assert done.returncode == 2, done.stdout + done.stderr
    assert "?token=***" in done.stdout
    assert QUERY_SECRET not in done.stdout + done.stderr


@pytest.fixture
def app(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "app"
    shutil.copytree(
        ROOT / "examples" / "codictate", target, ignore=shutil.ignore_patterns("pytest.ini")
    )
    return target


def test_a_token_in_an_issue_title_or_a_log_line_is_never_shown_even_cut(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> None:
    # Given a fatal issue whose (long) title quotes the token and its Basic header, as an app
    # that logs its auth headers would send, and a server that echoes the token in a header
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    basic = base64.b64encode(f"ci:{CANARY_TOKEN}".encode()).decode()
    title = f"Error: request failed: Authorization: Bearer {CANARY_TOKEN} Basic {basic} end"
    with demo_simulator(app) as sim:
        sim.data.add_issue(project="codictate", title=title, level="fatal", substatus="new")
        echo = {"X-Echo": f"Bearer {CANARY_TOKEN}"}
        detail = {"detail": f"token {CANARY_TOKEN} lacks access"}
        sim.add_fault(Fault(path=r"/sessions/", status=403, headers=echo, body=detail))
        # When prod_health runs with debug logging shown live, JUnit and pytest-json-report
        pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
        result = pytester.runpytest_inprocess(
            "-m",
            "prod_health",
            f"--sentry-url={sim.url}",
            "--sentry-org=acme",
            "--sentry-project=codictate",
            f"--sentry-repo-root={app}",
            "--sentry-gate-report=out/report.json",
            "--junitxml=out/junit.xml",
            "--json-report",
            "--json-report-file=out/jr.json",
            "--log-level=DEBUG",
            "-o",
            "log_cli=true",
            "--log-file=out/debug.log",
            "-rA",
            "-p",
            "no:cacheprovider",
        )
    out = result.stdout.str() + result.stderr.str() + all_written(pytester.path / "out")
    # Then the title was judged and shown, and the debug log has response headers
    report = load_report(pytester.path / "out" / "report.json")
    assert "Error: request failed: Authorization: Bearer [redacted]" in out
    assert "x-echo" in out.lower()
    assert report["checks"]
    # And no 12-character piece of the token, nor of its base64 form, is anywhere
    for form in [CANARY_TOKEN, basic[4:-4]]:
        leaked = [w for w in windows(form) if w in out]
        assert not leaked, leaked[:3]


DSN_KEY = "d5ncan4ryd5ncan4ryd5ncan4ry00042"


def test_the_clients_messages_use_the_runs_redactor_before_cutting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> None:
    # Given a run with a DSN (its key is a secret of the run, not only the token), and a server
    # whose error detail quotes that key near the 200-character cut of the client's messages
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SENTRY_DSN", f"http://{DSN_KEY}@127.0.0.1:9/4242")
    detail = {"detail": "denied: " + "x" * 180 + DSN_KEY + " end"}
    with demo_simulator(app) as sim:
        sim.add_fault(Fault(path=r"^/api/0/organizations/acme/$", status=400, body=detail))
        pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
        result = pytester.runpytest_inprocess(
            "-m",
            "setup_preflight",
            f"--sentry-url={sim.url}",
            "--sentry-org=acme",
            "--sentry-project=codictate",
            f"--sentry-repo-root={app}",
            "--sentry-gate-report=out/report.json",
            "-rA",
            "-p",
            "no:cacheprovider",
        )
    out = result.stdout.str() + result.stderr.str() + all_written(pytester.path / "out")
    # Then the check shows the server's detail, and no piece of the key survived the cut
    assert "denied: xxx" in out
    leaked = [w for w in windows(DSN_KEY, 8) if w in out]
    assert not leaked, leaked[:3]


def test_log_records_are_redacted_while_a_mode_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a check that logs the token through its own logger, in every way a record can hold it
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makepyfile(
        test_logs=f"""
        import logging
        import pytest

        @pytest.mark.setup_preflight
        def test_logs(sentry_check):
            log = logging.getLogger("app.deep.logger")
            log.warning("token %s", {CANARY_TOKEN!r})
            log.debug("headers: %r", {{"authorization": "Bearer {CANARY_TOKEN}"}})
            try:
                raise ValueError({CANARY_TOKEN!r})
            except ValueError:
                log.exception("failed")
        """
    )
    # When it runs with live debug logs
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight",
        "--sentry-url=http://127.0.0.1:9/",
        "-p",
        "no:cacheprovider",
        "--log-level=DEBUG",
        "-o",
        "log_cli=true",
        "-o",
        "sentry_bundled_checks=false",
        "test_logs.py",
    )
    out = result.stdout.str() + result.stderr.str()
    # Then each record is shown, redacted
    assert "token [redacted]" in out
    assert "Bearer [redacted]" in out
    assert "ValueError: [redacted]" in out
    assert CANARY_TOKEN not in out
    # And after the run the logging factory is pytest's again
    assert logging.getLogRecordFactory() is logging.LogRecord
