"""Record and replay: one cassette per run target, scrubbed before writing, replayed offline."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN, demo_simulator, load_report

ROOT = Path(__file__).resolve().parents[1]
DSN_KEY = "0123456789abcdef0123456789abcdef"
DSN = f"http://{DSN_KEY}@127.0.0.1:9/4242"
MODES = "setup_preflight or release_gate"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(
        ROOT / "examples" / "codictate", target, ignore=shutil.ignore_patterns("pytest.ini")
    )
    (target / ".env").write_text(f"SENTRY_DSN={DSN}\n")
    return target


def run(
    pytester: pytest.Pytester, app: Path, url: str, *args: str, report: str = "report.json"
) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest_inprocess(
        "-m",
        MODES,
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={app}",
        f"--sentry-gate-report={report}",
        "--sentry-cassette-dir=tapes",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        *args,
    )
    return result, load_report(pytester.path / report)


def stable(report: dict[str, Any]) -> str:
    """The report without the run's own start time and durations."""
    data = copy.deepcopy(report)
    data.pop("started_at")
    data.pop("duration_s")
    for check in data["checks"]:
        check.pop("duration")
    text = json.dumps(data, sort_keys=True)
    return re.sub(r"(record_mode\W+)(once|none)", r"\1-", text)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"].split("::")[1]: c["status"] for c in report["checks"]}


@pytest.fixture
def recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> tuple[str, dict[str, Any]]:
    """Both modes recorded against the demo simulator (then stopped) with canary secrets."""
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SENTRY_DSN", DSN)
    with demo_simulator(app) as sim:
        url = sim.url
        result, report = run(pytester, app, url, "--sentry-record-mode=once")
    assert result.ret == 0, result.stdout.str()
    return url, report


def test_record_writes_one_scrubbed_cassette_per_target(
    pytester: pytest.Pytester, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a recording run with a canary token and DSN
    _, report = recorded
    # Then one cassette holds the run, under <dir>/<org>/<project>.yaml
    tapes = sorted(p.relative_to(pytester.path) for p in (pytester.path / "tapes").rglob("*"))
    assert [str(p) for p in tapes] == ["tapes/acme", "tapes/acme/codictate.yaml"]
    text = (pytester.path / "tapes/acme/codictate.yaml").read_bytes()
    # And no byte of it holds a secret, nor the authorization header
    assert CANARY_TOKEN.encode() not in text
    assert DSN_KEY.encode() not in text
    assert b"sntryu_" not in text
    assert b"Authorization" not in text
    assert b"authorization" not in text
    assert b"recorded_at" in text
    assert report["record_mode"] == "once"
    assert set(statuses(report).values()) == {"PASS", "SKIP"}


def test_replay_with_the_server_stopped_gives_the_same_report(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette recorded by a run whose server is now stopped
    url, first = recorded
    # When the same run replays (twice), with no server
    result, again = run(pytester, app, url, "--sentry-record-mode=none", report="again.json")
    _, third = run(pytester, app, url, "--sentry-record-mode=none", report="third.json")
    # Then the verdicts and every byte of the reports agree, apart from time and durations
    assert result.ret == 0, result.stdout.str()
    assert stable(again) == stable(first)
    assert stable(again) == stable(third)
    assert again["record_mode"] == "none"


@pytest.mark.usefixtures("dns_fails")
def test_replay_needs_no_dns(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette, and a Sentry host that does not even resolve
    _, first = recorded
    # When replaying against it
    result, report = run(pytester, app, "http://sentry.invalid/", "--sentry-record-mode=none")
    # Then the probe is not run (no PARTIAL for the network) and every verdict is the recorded one
    assert result.ret == 0, result.stdout.str()
    assert statuses(report) == statuses(first)


def test_replay_of_a_subset_with_k(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette recorded by both modes
    url, first = recorded
    # When one check replays alone
    result, report = run(
        pytester, app, url, "--sentry-record-mode=none", "-k", "test_artifacts_uploaded"
    )
    # Then it gives the verdict of the full run
    assert result.ret == 0, result.stdout.str()
    assert statuses(report) == {
        "test_artifacts_uploaded": statuses(first)["test_artifacts_uploaded"]
    }


def test_request_missing_from_the_cassette_fails_naming_it(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette that lacks the releases endpoint
    url, _ = recorded
    path = pytester.path / "tapes/acme/codictate.yaml"
    text = path.read_text()
    kept = [
        chunk
        for chunk in re.split(r"(?m)^(?=- request:)", text)
        if "/releases/codictate@1.4.2/files/" not in chunk
    ]
    path.write_text("".join(kept))
    # When replaying, with no server
    result, report = run(pytester, app, url, "--sentry-record-mode=none", "-rA", timeout_args())
    # Then that check fails naming the method and path, and nothing hangs or goes live
    check = next(c for c in report["checks"] if c["id"].endswith("test_artifacts_uploaded"))
    assert check["status"] == "FAIL", check
    assert check["reason"] == "replay_missing"
    assert "GET /api/0/projects/acme/codictate/releases/codictate@1.4.2/files/" in check["message"]
    assert any("--sentry-record-mode=new_episodes" in c for c in check["next_commands"])
    assert result.ret == 1
    assert statuses(report)["test_release_visible"] == "PASS"


def timeout_args() -> str:
    return "-o=sentry_http_timeout=1"
