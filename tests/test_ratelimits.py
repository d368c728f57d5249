"""Issue 17 item 5: a quota 429 from ingestion is not "retry later" (``X-Sentry-Rate-Limits``).

Facts: ``shared/reference/sentry-api.md`` §13 "Ingestion answers".
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_sentry_gate.ratelimits import RateLimit, dropping, dropping_message, parse
from sentry_simulator import Fault, Simulator
from sentry_simulator.ingest import INGEST_RATE_LIMITED, quota_exceeded
from tests.conftest import check
from tests.test_incident import run_incident
from tests.test_smoke import demo_dsn, run_smoke

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
LIMITS = st.builds(
    RateLimit,
    seconds=st.integers(min_value=0, max_value=10**7),
    categories=st.lists(WORD, max_size=5).map(tuple),
    scope=WORD,
    reason=st.one_of(st.just(""), WORD),
)


def serialize(limit: RateLimit) -> str:
    fields = [str(limit.seconds), ";".join(limit.categories), limit.scope]
    return ":".join([*fields, limit.reason] if limit.reason else fields)


@given(st.lists(LIMITS, max_size=5), st.lists(st.sampled_from(["", "x", "abc:def", ":::"])))
def test_parse_reads_back_every_well_formed_limit_and_skips_garbage(
    limits: list[RateLimit], garbage: list[str]
) -> None:
    # Given a header of well-formed limits, with malformed entries mixed in (as the SDKs skip them)
    entries = [serialize(x) for x in limits]
    mixed = [e for pair in zip(entries, garbage, strict=False) for e in pair]
    mixed += entries[len(garbage) :]
    # When parsed, then exactly the well-formed limits come back, in order
    assert parse(" , ".join(mixed)) == tuple(limits)


def test_the_reference_quota_names_quota_categories_and_duration() -> None:
    limits = parse("3600:error;default;security:organization:usage_exceeded")
    assert limits == (RateLimit(3600, ("error", "default", "security"), "organization",
                                "usage_exceeded"),)  # fmt: skip
    assert dropping_message(limits) == (
        "Sentry is dropping this project's error events: quota usage_exceeded (the "
        "organization's) on error, default, security for 1h"
    )
    # An empty category list covers every category; a key limit is the DSN's own
    key = parse("60::key")
    assert dropping(key) == key
    assert "the DSN's own rate limit" in (dropping_message(key) or "")
    # A limit on transactions only does not drop the error event
    assert dropping(parse("60:transaction:project:usage_exceeded")) == ()


def test_simulator_answers_a_quota_as_relay_does(sim: Simulator) -> None:
    """§13 "Ingestion answers": 429, ``Retry-After``, ``X-Sentry-Rate-Limits``, Relay's detail."""
    sim.add_fault(quota_exceeded())
    answer = httpx.post(sim.url + "/api/1/envelope/", content=b"{}\n")
    assert answer.status_code == 429
    assert answer.headers["X-Sentry-Rate-Limits"] == (
        "3600:error;default;security:organization:usage_exceeded"
    )
    assert answer.headers["Retry-After"] == "3600"
    assert answer.json() == {"detail": INGEST_RATE_LIMITED}


def test_local_smoke_fails_naming_the_quota(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given ingestion over the organization's error quota (Relay's 429)
    sim.add_fault(quota_exceeded(seconds=3600))
    # When local_smoke sends its event
    result, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim)
    )
    # Then it FAILs naming the quota, its categories and how long (not "retry later")
    smoke = check(report, "test_smoke_event_arrives")
    assert (smoke["status"], smoke["reason"]) == ("FAIL", "smoke_rate_limited")
    assert (
        "quota usage_exceeded (the organization's) on error, default, security for 1h"
        in (smoke["message"])
    )
    assert result.ret == 1


def test_local_smoke_names_a_limit_on_other_data_as_a_risk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given ingestion that accepts the event (200) but says transactions are over quota
    limit = "600:transaction;span:organization:usage_exceeded"
    headers = {"X-Sentry-Rate-Limits": limit}
    sim.add_fault(Fault(path=r"/envelope/$", method="POST", status=200, times=1, headers=headers,
                        body={"id": "0" * 32}))  # fmt: skip
    _, report = run_smoke(
        pytester, monkeypatch, repo, "--send-test-event", url=sim.url, dsn=demo_dsn(sim),
        ini="sentry_smoke_wait = 1\n",
    )  # fmt: skip
    # Then the smoke check is not failed for it, and the limit is said as a risk
    smoke = check(report, "test_smoke_event_arrives")
    assert smoke["reason"] != "smoke_rate_limited"
    assert any("transaction, span for 10m" in r for r in smoke["risks"]), smoke


def test_incident_ingestion_fails_naming_the_quota(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, sim: Simulator
) -> None:
    # Given a key over its own rate limit, as Relay answers it
    sim.add_fault(quota_exceeded(seconds=60, categories=(), scope="key", reason=""))
    # When incident runs with the smoke event
    result, report = run_incident(pytester, monkeypatch, repo, sim, "--send-test-event")
    # Then the ingestion check FAILs naming the limit, not PARTIAL "retry later"
    ingestion = check(report, "test_ingestion_healthy")
    assert (ingestion["status"], ingestion["reason"]) == ("FAIL", "ingestion_unhealthy")
    assert (
        "rate limit (the DSN's own rate limit) on every category for 1m" in (ingestion["message"])
    )
    assert "HTTP 429" in ingestion["message"]
    assert result.ret == 1
