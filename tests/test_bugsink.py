"""The smoke round trip against a real ingestion server: Bugsink, on 127.0.0.1.

Bugsink ingests envelopes like Sentry but serves no Sentry event API, so the plugin's own reader
can only say "sent, accepted, not verifiable"; the test then proves arrival through Bugsink's own
API. A second run overrides ``sentry_arrival_reader`` (the extension point) with a Bugsink reader,
and the plugin itself confirms the arrival and the tags.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import check, load_report

BUGSINK_READER = """
import httpx, os, pytest

class BugsinkReader:
    description = "Bugsink /api/canonical/0/events/lookup/"

    def lookup(self, event_id):
        answer = httpx.get(
            os.environ["BUGSINK_URL"] + "/api/canonical/0/events/lookup/",
            params={"event_id": event_id, "project": os.environ["BUGSINK_PROJECT"]},
            headers={"Authorization": "Bearer " + os.environ["BUGSINK_TOKEN"]},
        )
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        data = answer.json()["data"]
        # Bugsink stores the event as sent; Sentry promotes release and environment to tags.
        promoted = {k: data[k] for k in ("release", "environment") if data.get(k)}
        return {**data, "tags": {**data.get("tags", {}), **promoted}}

@pytest.fixture(scope="session")
def sentry_arrival_reader():
    return BugsinkReader()
"""


def run_smoke(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, bugsink: Any
) -> tuple[pytest.RunResult, dict[str, Any], float]:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", bugsink.token)
    monkeypatch.setenv("SENTRY_DSN", bugsink.dsn)
    monkeypatch.setenv("BUGSINK_URL", bugsink.base)
    monkeypatch.setenv("BUGSINK_TOKEN", bugsink.token)
    monkeypatch.setenv("BUGSINK_PROJECT", str(bugsink.project_id))
    pytester.makeini(
        "[pytest]\nsentry_http_timeout = 5\nsentry_smoke_wait = 10\nsentry_smoke_environment = ci\n"
    )
    started = time.monotonic()
    result = pytester.runpytest_inprocess(
        "-m", "local_smoke", "--send-test-event", f"--sentry-url={bugsink.base}",
        "--sentry-org=bugsink", "--sentry-project=demo", "--sentry-release=demo@1.0.0",
        "--sentry-environment=ci", f"--sentry-repo-root={pytester.path}",
        "--sentry-gate-report=report.json", "-p", "no:cacheprovider",
    )  # fmt: skip
    took = time.monotonic() - started
    assert "Traceback" not in result.stdout.str()
    return result, load_report(pytester.path / "report.json"), took


@pytest.mark.bugsink
def test_smoke_event_stored_in_bugsink_is_partial_not_verifiable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, bugsink: Any
) -> None:
    # Given a real Bugsink and its project's DSN
    # When local_smoke sends the smoke event with the plugin's own (Sentry API) reader
    _, report, took = run_smoke(pytester, monkeypatch, bugsink)
    # Then the verdict says what was proven: sent and accepted, arrival not verifiable here
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("PARTIAL", "arrival_not_verifiable")
    event_id = smoke["evidence"]["event_id"]
    assert f"accepted (HTTP 200, id {event_id})" in smoke["message"]
    assert check(report, "test_api_answers")["evidence"]["scopes"] == ["org:ci"]
    # And Bugsink's own API shows the event stored, with the runbook's tags
    stored = bugsink.api("events/lookup/", event_id=event_id, project=bugsink.project_id)
    assert stored.status_code == 200
    data = stored.json()["data"]
    assert data["tags"] == {"source": "sentry-gate", "mode": "local-smoke"}
    assert (data["release"], data["environment"]) == ("demo@1.0.0", "ci")
    assert "extra" not in data  # no process environment attached
    trip = smoke["evidence"]["round_trip_s"]
    print(f"smoke against Bugsink: send + one unverifiable poll {trip:.3f}s, run {took:.2f}s")


@pytest.mark.bugsink
def test_bugsink_reader_through_the_extension_point_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, bugsink: Any
) -> None:
    # Given a conftest that reads events back through Bugsink's own API
    pytester.makeconftest(BUGSINK_READER)
    # When local_smoke sends the smoke event
    _, report, took = run_smoke(pytester, monkeypatch, bugsink)
    # Then the plugin itself confirms the arrival and its release and environment tags
    smoke = check(report, "test_smoke_event_arrives")
    assert smoke["status"] == "PASS", smoke["message"]
    tags = {"environment": "ci", "mode": "local-smoke", "release": "demo@1.0.0"}
    assert smoke["evidence"]["tags"] == {**tags, "source": "sentry-gate"}
    trip = smoke["evidence"]["round_trip_s"]
    print(
        f"smoke round trip against Bugsink: send + confirmed arrival {trip:.3f}s, run {took:.2f}s"
    )
