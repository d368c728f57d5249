"""No token or DSN key in any output: canary secrets through every path, every artifact grepped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentry_simulator import Fault, Simulator
from tests.conftest import CANARY_TOKEN, all_written, demo_simulator
from tests.test_outputs import FAST_CLIENT

ROOT = Path(__file__).resolve().parents[1]
DSN_KEY = "d5ncan4ryd5ncan4ryd5ncan4ry00042"
DSN = f"http://{DSN_KEY}@127.0.0.1:9/4242"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(
        ROOT / "examples" / "codictate", target, ignore=shutil.ignore_patterns("pytest.ini")
    )
    (target / ".env").write_text(f"SENTRY_DSN={DSN}\n")
    return target


@pytest.fixture
def sim(app: Path) -> Iterator[Simulator]:
    with demo_simulator(app) as simulator:
        yield simulator


@pytest.mark.parametrize(
    "fault",
    [
        None,
        Fault(path=r"^/api/0/organizations/acme/$", status=500),
        Fault(
            path=r"^/api/0/$", status=403, body={"detail": f"token {CANARY_TOKEN} lacks event:read"}
        ),
        Fault(path=r"^/api/0/organizations/acme/releases/", malformed=True),
    ],
    ids=["healthy", "server-error", "server-echoes-token", "malformed"],
)
def test_no_secret_in_any_output(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    app: Path,
    sim: Simulator,
    fault: Fault | None,
) -> None:
    # Given a canary token and a canary DSN (environment and .env), and a server that may fail
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SENTRY_DSN", DSN)
    if fault is not None:
        sim.add_fault(fault)
    pytester.makeconftest(FAST_CLIENT)
    pytester.makeini("[pytest]\nsentry_http_timeout = 1\n")
    # When both modes run with every report pytest and the plugin can write, verbosely
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight or release_gate",
        f"--sentry-url={sim.url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={app}",
        "--sentry-gate-report=out/report.json",
        "--junitxml=out/junit.xml",
        "--json-report",
        "--json-report-file=out/jr.json",
        "-vv",
        "-rA",
        "--tb=long",
        "-p",
        "no:cacheprovider",
    )
    written = all_written(pytester.path / "out")
    outputs = result.stdout.str() + result.stderr.str() + written
    # Then every artifact exists, and neither secret is anywhere
    assert {p.name for p in (pytester.path / "out").iterdir()} >= {
        "report.json",
        "junit.xml",
        "jr.json",
    }
    assert CANARY_TOKEN not in outputs
    assert DSN_KEY not in outputs
    assert DSN_KEY not in all_written(app).replace(f"SENTRY_DSN={DSN}", "")


#: A password in --sentry-url: a credential wherever the URL would be shown (rerun commands).
URL_PASSWORD = "urlp4ssw0rdc4n4ryurlp4ssw0rd"


@pytest.mark.parametrize(
    ("token", "userinfo"),
    [
        (CANARY_TOKEN + "\n", ""),
        (CANARY_TOKEN + "\r\n", ""),
        ("  " + CANARY_TOKEN + "\t", ""),
        (CANARY_TOKEN, f"ci:{URL_PASSWORD}@"),
        (CANARY_TOKEN + "\n", f"ci:{URL_PASSWORD}@"),
    ],
    ids=["trailing-newline", "crlf", "surrounding-whitespace", "url-credentials", "both"],
)
def test_no_secret_in_any_output_whatever_its_form(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    app: Path,
    sim: Simulator,
    token: str,
    userinfo: str,
) -> None:
    # Given a canary token as a CI secret may hold it (newline, CRLF, spaces) and/or a password
    # in the server URL
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", token)
    monkeypatch.setenv("SENTRY_DSN", DSN)
    url = sim.url.replace("http://", f"http://{userinfo}")
    # and a server error, so that verdicts carry next commands (the rerun repeats the URL)
    sim.add_fault(Fault(path=r"^/api/0/organizations/acme/$", status=500))
    pytester.makeconftest(FAST_CLIENT)
    pytester.makeini("[pytest]\nsentry_http_timeout = 1\n")
    # When both modes run with every report pytest and the plugin can write
    result = pytester.runpytest_inprocess(
        "-m",
        "setup_preflight or release_gate",
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={app}",
        "--sentry-gate-report=out/report.json",
        "--junitxml=out/junit.xml",
        "--json-report",
        "--json-report-file=out/jr.json",
        "-vv",
        "-rA",
        "--tb=long",
        "-p",
        "no:cacheprovider",
    )
    outputs = result.stdout.str() + result.stderr.str() + all_written(pytester.path / "out")
    if userinfo:
        # Then credentials in the URL are refused before anything runs, and never shown
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert "http://***@127.0.0.1:" in result.stderr.str()
        assert URL_PASSWORD not in outputs
        assert "c4n4ry" not in outputs
        return
    # Then the reports exist, no form of either secret is anywhere, and no traceback was printed
    assert {p.name for p in (pytester.path / "out").iterdir()} >= {
        "report.json",
        "junit.xml",
        "jr.json",
    }
    assert "c4n4ry" not in outputs
    assert URL_PASSWORD not in outputs
    assert DSN_KEY not in outputs
    assert "Traceback" not in result.stdout.str()


def test_no_secret_in_the_cli_json(app: Path, sim: Simulator) -> None:
    # Given a token with a trailing newline and a password in the URL, through the old flags
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN + "\n"
    env["PYTHONPATH"] = str(ROOT)  # this checkout's package, not another installed copy
    sim.add_fault(Fault(path=r"^/api/0/organizations/acme/$", status=500))
    url = sim.url.replace("http://", f"http://ci:{URL_PASSWORD}@")
    # When sentry-gate --json runs
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_sentry_gate.cli",
            "--mode",
            "setup-preflight",
            "--org",
            "acme",
            "--project",
            "codictate",
            "--url",
            url,
            "--repo-root",
            str(app),
            "--json",
        ],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then stdout is one JSON document and neither stream holds a form of a secret
    json.loads(done.stdout)
    assert "c4n4ry" not in done.stdout + done.stderr
    assert URL_PASSWORD not in done.stdout + done.stderr
