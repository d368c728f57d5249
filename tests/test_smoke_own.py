"""Issue 17 item 7 (rest): the smoke event goes to its own environment
(``sentry_smoke_environment``), and a discarded smoke issue is named when the event is
accepted but never readable.

Facts: ``shared/reference/sentry-api.md`` §13 "Priority" and "Ingestion answers".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_simulator import Simulator
from tests.conftest import check
from tests.test_smoke import demo_dsn, run_smoke

# The default environment (sentry-gate-smoke) is asserted in
# test_smoke.py::test_smoke_event_is_sent_and_read_back.


def test_smoke_environment_is_a_setting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    _, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim),
        ini="sentry_smoke_environment = staging-smoke\n",
    )  # fmt: skip
    event = sim.data.event(check(report, "test_smoke_event_arrives")["evidence"]["event_id"])
    assert event is not None
    assert ("environment", "staging-smoke") in set(event.tags)


def test_a_discarded_smoke_issue_is_named_when_the_event_never_arrives(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given an earlier smoke event whose issue someone chose "Delete & Discard" for
    run_smoke(pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim))
    own = next(i for i in sim.data.issues if i.logger == "sentry-gate")
    sim.data.discard(own.id)
    # When local_smoke sends again: Sentry answers 200 and drops it
    _, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim),
        ini="sentry_smoke_wait = 2\n",
    )  # fmt: skip
    # Then PARTIAL says the event may have been discarded, and where to undo it
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("PARTIAL", "smoke_not_arrived")
    assert '"Delete & Discard"' in smoke["message"]
    assert "Discarded Issues" in smoke["message"]
