"""The rules and words the checks of five modes judge with, alone (no Sentry, no pytest run):
prod_health's tallies and thresholds (``health_rules``), incident's ingestion, tag and scrubbing
judgements (``incident_rules``), the smoke event's evidence (``smoke_rules``), and the wording
helpers of the mode declarations (``modes/<mode>.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_sentry_gate import errors, incident_rules
from pytest_sentry_gate.health_rules import (
    Growth,
    crash_free_breach,
    release_in,
    severity_tally,
)
from pytest_sentry_gate.incident_rules import ingestion, scrub_sample, untagged_events
from pytest_sentry_gate.modes import incident, issue_triage, local_smoke, prod_health
from pytest_sentry_gate.modes import setup_preflight as preflight
from pytest_sentry_gate.ratelimits import RateLimit
from pytest_sentry_gate.repo.dsn import parse_dsn
from pytest_sentry_gate.repo.privacy import Finding, PrivacyScan
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.health import CrashFree
from pytest_sentry_gate.sentry.incident import AffectedEvent
from pytest_sentry_gate.sentry.issue_facts import IssueSummary, QueryResult
from pytest_sentry_gate.sentry.outcomes import Drop, Outcomes
from pytest_sentry_gate.sentry.smoke import Arrival, ClientKeyFacts, Sent
from pytest_sentry_gate.smoke_rules import arrival_evidence, sent_evidence
from pytest_sentry_gate.store.smoke import DsnFacts, SmokeOutcome

HOST = "o1.ingest.us.sentry.io"
DSN = f"https://{'a' * 32}@{HOST}/42"


def issue(number: int, title: str = "TypeError") -> IssueSummary:
    return IssueSummary(
        id=str(number), short_id=f"APP-{number}", title=title, culprit="", permalink=f"u/{number}",
        level="fatal", substatus=None, priority="high", unhandled=True, events=3, users=2,
        first_seen="2026-12-01", last_seen="2026-12-02",
    )  # fmt: skip


def query(*issues: IssueSummary, total: int | None = None, exact: bool = True) -> QueryResult:
    found = len(issues) if total is None else total
    return QueryResult("level:fatal", "24h", found, exact, issues, "/issues/")


def health(sessions: float | None = 99.5, users: float | None = 99.0, **more: Any) -> CrashFree:
    return CrashFree("1.0.0", "24h", sessions, users, more.pop("count", 500), "/sessions/", **more)


def key(active: bool = True, host: str = HOST, project_id: str = "42") -> ClientKeyFacts:
    return ClientKeyFacts("k1", "Default", active, None, host, project_id, "a" * 32)


def smoke(
    status: int = 200,
    accepted: bool = True,
    event: dict[str, Any] | None = None,
    limits: tuple[RateLimit, ...] = (),
) -> SmokeOutcome:
    sent = Sent("e" * 32, "1.0.0", "production", accepted, status, rate_limits=limits)
    arrival = Arrival(event, attempts=4, waited=2.25, reader="the project's event API")
    return SmokeOutcome(sent, arrival if accepted else None, wait=10.0, round_trip=0.12345)


def affected(name: str, event: dict[str, Any] | errors.ApiError) -> AffectedEvent:
    return AffectedEvent(name, name, f"{name} title", None, 1, 1, event)


# -- prod_health -------------------------------------------------------------------------------


def test_an_issue_two_queries_list_counts_once_when_every_page_was_read() -> None:
    one, two, three = issue(1), issue(2), issue(3)
    issues, total = severity_tally([query(one, two), query(two, three)])
    assert ([i.id for i in issues], total) == (["1", "2", "3"], 3)


def test_beyond_one_page_the_queries_totals_are_added() -> None:
    # Given a query whose total is beyond the page it listed, and one that is not exact
    issues, total = severity_tally([query(issue(1), total=40), query(issue(1), issue(2))])
    assert (len(issues), total) == (2, 42)
    assert severity_tally([query(issue(1), exact=False), query(issue(1))])[1] == 2


def test_the_release_of_a_scoped_query() -> None:
    assert release_in('is:unresolved release:"app@1.2.0+7" level:fatal') == "app@1.2.0+7"


@pytest.mark.parametrize(
    ("sessions", "users", "breach"),
    [
        (99.5, 99.0, None),
        (98.0, 99.0, ("sessions", 98.0, 99.0)),
        (99.5, 97.0, ("users", 97.0, 98.0)),
        (90.0, 90.0, ("sessions", 90.0, 99.0)),  # sessions are judged first
        (None, 97.0, ("users", 97.0, 98.0)),  # an unknown rate is not a breach
        (99.0, 98.0, None),  # at its minimum is not under it
    ],
)
def test_the_first_crash_free_rate_under_its_minimum(
    sessions: float | None, users: float | None, breach: tuple[str, float, float] | None
) -> None:
    assert crash_free_breach(health(sessions, users), 99.0, 98.0) == breach


def test_growth_is_measured_against_a_baseline_of_at_least_one() -> None:
    assert Growth(0, 3, 2.0, "t").ratio == 3.0
    assert Growth(10, 25, 2.0, "t").unexpected
    assert not Growth(10, 20, 2.0, "t").unexpected  # exactly the limit is not over it
    fields = Growth(4, 6, 1.5, "2026-12-01").fields()
    assert prod_health.STEADY.format(**fields) == (
        "unresolved 4 -> 6 since 2026-12-01 (x1.50, limit x1.5)"
    )


def test_an_issue_listing_escapes_titles_and_says_how_many_more() -> None:
    issues = [issue(1, "boom\x1b[31m"), *(issue(n) for n in range(2, 8))]
    listed = prod_health.listing(issues)
    assert "\x1b" not in listed
    assert listed.startswith(
        "APP-1 'boom\\\\x1b[31m' (3 events, 2 users, last seen 2026-12-02) u/1"
    )
    assert listed.endswith("; and 2 more")
    assert listed.count("APP-") == 5


def test_high_severity_words_say_fail_or_tolerated_by_the_count() -> None:
    assert prod_health.high_severity(2, 1, [issue(1)]).endswith("escalate same day. " + (
        prod_health.listing([issue(1)])
    ))  # fmt: skip
    assert prod_health.high_severity(1, 1, [issue(1)]).startswith(
        "1 high-severity unresolved issue(s), tolerated up to 1: APP-1"
    )


def test_crash_free_words_show_an_unknown_rate_as_asked() -> None:
    partial = health(None, 99.0, unsupported=("crash_free_rate(user)",))
    assert prod_health.unsupported_fields(partial) == (
        "this Sentry does not support crash_free_rate(user): judged without it; "
        "crash-free sessions ?%, users 99.0% for 1.0.0"
    )
    assert prod_health.crash_free(health(99.5, 99.0)) == (
        "crash-free sessions 99.5%, users 99.0% for 1.0.0"
    )
    assert "200 session(s) of 1.0.0" in prod_health.thin(health(count=200))
    assert prod_health.rising(2, [3, 5, 8], "pytest -m issue_triage").startswith(
        "unresolved issues rose in each of the last 2 verify_loop runs (3 -> 5 -> 8; "
    )


# -- incident ----------------------------------------------------------------------------------


def test_ingestion_names_every_problem_in_order() -> None:
    # Given no active key, a malformed DSN and a rejected smoke event
    found = ingestion(
        (key(active=False),), DsnFacts(".env", problem="it has no host"), smoke(403, False), None
    )
    assert found.problems == (
        "the project has no active client key",
        "the DSN from .env is malformed: it has no host",
        "the smoke event was rejected (HTTP 403)",
    )
    assert found.risks == ()


def test_ingestion_with_a_healthy_key_and_dsn_has_no_problem() -> None:
    dsn = DsnFacts("SENTRY_DSN", parsed=parse_dsn(DSN))
    assert ingestion((key(),), dsn, smoke(event={"id": "x"}), None).problems == ()
    # and a DSN of another project is a problem naming its source
    other = ingestion((key(project_id="7"),), dsn, None, None)
    assert other.problems == (
        "the DSN from SENTRY_DSN: its project id 42 is not the project's (7)",
    )


def test_a_smoke_event_dropped_by_a_quota_is_a_problem() -> None:
    quota = RateLimit(60, ("error",), "organization", "usage_exceeded")
    found = ingestion((key(),), DsnFacts(None), smoke(429, True, limits=(quota,)), None)
    assert len(found.problems) == 1
    assert found.problems[0].endswith("(HTTP 429 to the smoke event)")


def test_a_smoke_event_not_read_back_is_a_risk_with_the_drop_that_explains_it() -> None:
    drop = Drop("filtered", "discarded-hash", "error", 3)
    outcomes = Outcomes("24h", "/stats_v2/", drops=(drop,))
    found = ingestion((key(),), DsnFacts(None), smoke(event=None), outcomes)
    assert found.problems == ()
    assert found.risks == (incident.NOT_READ_BACK + "; " + drop.explain(),)
    assert ingestion((key(),), DsnFacts(None), smoke(event=None), None).risks == (
        incident.NOT_READ_BACK,
    )


def test_untagged_events_name_the_missing_tags_and_skip_the_unreadable() -> None:
    events = [
        affected("APP-1", {"tags": [{"key": "release", "value": "1.0"}]}),
        affected("APP-2", {"tags": []}),
        affected("APP-3", {"tags": [{"key": "release", "value": "1"},
                                    {"key": "environment", "value": "prod"}]}),
        affected("APP-4", errors.ApiError("/events/", "gone", status=404)),
    ]  # fmt: skip
    assert untagged_events(events) == [
        "APP-1 (APP-1 title): no environment",
        "APP-2 (APP-2 title): no release or environment",
    ]


def test_a_scrub_sample_finds_personal_data_and_counts_the_unread() -> None:
    events = [
        affected("APP-1", {"eventID": "ev1", "user": {"email": "ann@example.org"}}),
        affected("APP-2", {"id": "ev2", "message": "fine", "_meta": {
            "extra": {"password": {"": {"rem": [["@password:filter", "s"]]}}}}}),
        affected("APP-3", errors.ApiError("/events/", "gone", status=404)),
    ]  # fmt: skip
    sample = scrub_sample(events)
    assert sample.sampled == [
        {"issue": "APP-1", "event": "ev1"},
        {"issue": "APP-2", "event": "ev2"},
    ]
    assert [(f["issue"], f["event"], f["kind"]) for f in sample.findings] == [
        ("APP-1", "ev1", "email")
    ]
    assert "ann@example.org" not in incident_rules.personal_data(sample)
    assert incident_rules.personal_data(sample).startswith(
        "Unscrubbed personal data in 1 place(s): "
    )
    assert len(sample.unread) == 1
    assert sample.unread[0].startswith("APP-3 (")
    assert incident_rules.scrubbed(sample).startswith(
        "2 sampled event(s) hold no unscrubbed personal data, but 1 could not be read: APP-3 ("
    )


def test_the_scrubbed_words_name_sentry_s_rules() -> None:
    sample = scrub_sample([affected("APP-2", {"id": "ev2", "_meta": {
        "extra": {"password": {"": {"rem": [["@password:filter", "s"]]}}}}})])  # fmt: skip
    assert sample.findings == []
    assert incident_rules.scrubbed(sample) == (
        "1 sampled event(s) hold no unscrubbed personal data (Sentry scrubbed with "
        "@password:filter)"
    )


# -- local_smoke -------------------------------------------------------------------------------


def test_the_smoke_evidence_rounds_times_and_names_the_reader() -> None:
    outcome = smoke(event={"id": "x"})
    assert sent_evidence(outcome) == {
        "event_id": "e" * 32, "release": "1.0.0", "environment": "production", "status": 200,
        "accepted": True, "wait_s": 10.0,
    }  # fmt: skip
    assert outcome.arrival is not None
    assert arrival_evidence(outcome, outcome.arrival) == {
        "attempts": 4, "waited_s": 2.25, "round_trip_s": 0.123,
        "reader": "the project's event API",
    }  # fmt: skip


def test_a_quota_message_only_when_ingestion_drops_the_event() -> None:
    assert local_smoke.quota(smoke(200).sent, None) is None
    limited = Sent("e", None, "production", True, 429, detail="slow down")
    assert "HTTP 429 to the smoke event: rate limited: slow down." in str(
        local_smoke.quota(limited, None)
    )
    assert "HTTP 200 to the smoke event: over quota." in str(
        local_smoke.quota(smoke(200).sent, "over quota")
    )


def test_not_arrived_words_say_where_to_look_and_what_dropped_it() -> None:
    outcome = smoke(event=None)
    assert outcome.arrival is not None
    plain = local_smoke.not_arrived(outcome.sent, outcome.arrival, "curl -sf x", None)
    assert "not readable after 2.2s (4 polls of the project's event API); look it up later: " \
        "curl -sf x." in plain  # fmt: skip
    drop = Drop("filtered", "release-version", "error", 1)
    explained = local_smoke.not_arrived(outcome.sent, outcome.arrival, "curl -sf x", drop)
    assert explained == f"{plain}. {drop.explain()}"
    assert local_smoke.arrived(outcome.sent, outcome.arrival) == (
        f"smoke event {'e' * 32} arrived in 2.2s with release 1.0.0 and environment production"
    )


# -- setup_preflight and issue_triage ----------------------------------------------------------


def test_missing_scopes_name_each_endpoint_and_its_alternatives() -> None:
    refused = endpoints.ungranted(["org:read"], [endpoints.ROOT, endpoints.PROJECT])
    assert [e.name for e in refused] == ["project"]
    message = preflight.missing_scopes(["org:read"], ["prod_health"], refused)
    assert message.startswith("The token lacks project:read (has: org:read), which the selected ")
    assert "project (/api/0/projects/{org}/{project}/: any of " in message
    assert "(has: none)" in preflight.missing_scopes([], ["prod_health"], refused)


def test_the_most_serious_privacy_rule_gives_the_reason() -> None:
    plugin, pii = Finding("plugin", "a:1", "unregistered"), Finding("pii", "b:2", "pii on")
    assert preflight.privacy_reason([plugin, pii]) == "privacy_pii"
    assert preflight.privacy_reason([plugin]) == "privacy_plugin_unregistered"
    scan = PrivacyScan(("src/lib.rs:3",), (), (), (plugin,), False, (), 1)
    assert preflight.privacy_ok(scan).endswith("; 1 without a before_send/beforeSend scrubber "
                                               "(see risks)")  # fmt: skip


def test_a_triage_line_names_sentry_s_owners_beside_codeowners() -> None:
    hint = {"short_id": "APP-1", "title": "boom", "why": "fatal", "top_frame": None,
            "owner": "@web", "fix_version": None, "sentry_assignee": "ann",
            "suggested_owners": ["bob", "team:web"]}  # fmt: skip
    assert issue_triage.line(hint) == (
        "APP-1 'boom' [fatal] at no in-app frame, owner @web (Sentry: assigned to ann; "
        "suggested bob, team:web), ship the fix in the next release"
    )
    assert issue_triage.sentry_owner({"sentry_assignee": None}) == ""
