"""The Sentry simulator, exercised over real HTTP on 127.0.0.1 with httpx."""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sentry_simulator import Fault, Simulator, TokenSpec, seeded
from sentry_simulator.faults import (
    DETAIL_INVALID_TOKEN,
    DETAIL_NO_CREDENTIALS,
    DETAIL_NO_PERMISSION,
    DETAIL_NOT_FOUND,
    MALFORMED_BODY,
)
from sentry_simulator.model import Issue
from sentry_simulator.synth import raw_frames_for
from sentry_simulator.wire import PER_PAGE_INVALID
from tests.conftest import default_sigint

TOKEN = "sntryu_" + "ca11ab1e" * 8  # canary, not a real token
ORG_TOKEN = "sntrys_canary_org_token"
ISSUES = "/api/0/organizations/acme/issues/"
DAY = 86400


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A running simulator: 50 unresolved, 3 resolved and 2 ignored issues."""
    simulator = Simulator(data=seeded(seed=1, issues=50))
    simulator.add_token(TOKEN, TokenSpec())
    simulator.add_token(ORG_TOKEN, TokenSpec(scopes=("org:ci",), kind="org"))
    with simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    """An httpx client authenticated with the user token."""
    with httpx.Client(
        base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ) as http:
        yield http


def _links(response: httpx.Response) -> dict[str, dict[str, str]]:
    links = {}
    for part in response.headers["Link"].split(", <"):
        url = part.strip().lstrip("<").split(">", 1)[0]
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', part))
        links[attrs["rel"]] = {"url": url, **attrs}
    return links


def _hits(client: httpx.Client, **params: Any) -> int:
    response = client.get(ISSUES, params=params)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Hits"])


# -- auth and scopes --------------------------------------------------------------------------


def test_api_root_describes_the_token(sim: Simulator, client: httpx.Client) -> None:
    # When the root is asked with a user token, an org token, no token and an unknown token
    user = client.get("/api/0/").json()
    org = client.get("/api/0/", headers={"Authorization": f"Bearer {ORG_TOKEN}"}).json()
    anonymous = httpx.get(f"{sim.url}/api/0/").json()
    unknown = httpx.get(f"{sim.url}/api/0/", headers={"Authorization": "Bearer nope"})

    # Then each answer is as Sentry's IndexEndpoint gives it
    assert user["auth"]["scopes"] == ["event:read", "org:read", "project:read", "project:releases"]
    assert user["user"]["email"] == "developer@example.com"
    assert org == {"version": "0", "auth": {"scopes": ["org:ci"]}, "user": None}
    assert anonymous == {"version": "0", "auth": None, "user": None}
    assert unknown.status_code == 401
    assert unknown.json() == {"detail": DETAIL_INVALID_TOKEN}


def test_endpoints_need_a_known_token(sim: Simulator) -> None:
    # When the issue list is asked without a token and with an unknown one
    missing = httpx.get(f"{sim.url}{ISSUES}")
    unknown = httpx.get(f"{sim.url}{ISSUES}", headers={"Authorization": "Bearer nope"})

    # Then both are 401
    assert (missing.status_code, missing.json()["detail"]) == (401, DETAIL_NO_CREDENTIALS)
    assert (unknown.status_code, unknown.json()["detail"]) == (401, DETAIL_INVALID_TOKEN)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (ISSUES, 403),
        ("/api/0/organizations/", 403),
        ("/api/0/organizations/acme/projects/", 403),
        ("/api/0/projects/acme/codictate/keys/", 403),
        ("/api/0/organizations/acme/releases/", 200),
        ("/api/0/organizations/acme/releases/codictate@1.2.0/files/", 200),
        ("/api/0/projects/acme/codictate/files/artifact-bundles/", 200),
    ],
)
def test_an_org_token_reads_releases_only(sim: Simulator, path: str, status: int) -> None:
    # When an org:ci token asks the path
    response = httpx.get(f"{sim.url}{path}", headers={"Authorization": f"Bearer {ORG_TOKEN}"})

    # Then releases work and the rest is refused, as in Sentry
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"detail": DETAIL_NO_PERMISSION}


def test_a_token_without_event_scope_cannot_list_issues(sim: Simulator) -> None:
    # Given a token holding only project:read
    sim.add_token("narrow", TokenSpec(scopes=("project:read",)))

    # When it lists issues and reads the project
    headers = {"Authorization": "Bearer narrow"}
    issues = httpx.get(f"{sim.url}{ISSUES}", headers=headers)
    project = httpx.get(f"{sim.url}/api/0/projects/acme/codictate/", headers=headers)

    # Then only the project is allowed
    assert (issues.status_code, project.status_code) == (403, 200)


# -- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/0/organizations/nope/",
        "/api/0/organizations/nope/issues/",
        "/api/0/projects/acme/nope/",
        "/api/0/projects/acme/nope/keys/",
        "/api/0/no/such/endpoint/",
        "/api/0/organizations/acme/issues/999/",
        "/api/0/organizations/acme/releases/nope@1/",
    ],
)
def test_unknown_things_are_404(client: httpx.Client, path: str) -> None:
    # When an unknown organization, project, issue, release or path is asked
    response = client.get(path)

    # Then Sentry's 404 comes back
    assert response.status_code == 404
    assert response.json() == {"detail": DETAIL_NOT_FOUND}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_to_the_web_api_are_405(client: httpx.Client, method: str) -> None:
    # When anything but GET/HEAD is sent to the web API
    response = client.request(method, ISSUES)

    # Then it is refused
    assert response.status_code == 405


def test_head_answers_headers_without_a_body(client: httpx.Client) -> None:
    # When the issue list is asked with HEAD
    response = client.head(ISSUES)

    # Then the count header is there and no body
    assert response.status_code == 200
    assert response.headers["X-Hits"] == "50"
    assert response.content == b""


def test_organizations_projects_and_keys(sim: Simulator, client: httpx.Client) -> None:
    # Given an inactive second key
    sim.data.add_key("codictate", is_active=False)

    # When organizations, projects, the project and its keys are listed
    orgs = client.get("/api/0/organizations/").json()
    projects = client.get("/api/0/organizations/acme/projects/").json()
    project = client.get("/api/0/projects/acme/codictate/").json()
    active = client.get("/api/0/projects/acme/codictate/keys/", params={"status": "active"}).json()
    every = client.get("/api/0/projects/acme/codictate/keys/").json()

    # Then they describe the seeded organization, project and keys, DSN on this server
    assert [o["slug"] for o in orgs] == ["acme"]
    assert [(p["slug"], p["platform"]) for p in projects] == [("codictate", "javascript")]
    assert project["organization"]["slug"] == "acme"
    assert (len(active), len(every)) == (1, 2)
    port = sim.url.rsplit(":", 1)[1]
    assert active[0]["dsn"]["public"] == (
        f"http://{active[0]['public']}@127.0.0.1:{port}/{active[0]['projectId']}"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", active[0]["public"])


# -- issues -----------------------------------------------------------------------------------


def _now(sim: Simulator) -> int:
    return sim.data.now_epoch


QUERIES: list[tuple[str | None, Callable[[Issue, int], bool]]] = [
    (None, lambda i, now: i.status == "unresolved"),
    ("", lambda i, now: True),
    ("is:resolved", lambda i, now: i.status == "resolved"),
    ("is:ignored", lambda i, now: i.status == "ignored"),
    ("is:archived", lambda i, now: i.status == "ignored"),
    ("is:new", lambda i, now: i.substatus == "new" and i.status == "unresolved"),
    ("is:unresolved level:error", lambda i, now: i.status == "unresolved" and i.level == "error"),
    ("level:[error,fatal]", lambda i, now: i.level in ("error", "fatal")),
    ("!level:error is:unresolved", lambda i, now: i.level != "error" and i.status == "unresolved"),
    ("issue.priority:high", lambda i, now: i.priority == "high"),
    ("issue.priority:[high,medium]", lambda i, now: i.priority in ("high", "medium")),
    (
        "release:codictate@1.2.0",
        lambda i, now: "codictate@1.2.0" in (i.first_release, i.last_release),
    ),
    ("firstRelease:codictate@1.1.0", lambda i, now: i.first_release == "codictate@1.1.0"),
    ("release:latest", lambda i, now: "codictate@1.2.0" in (i.first_release, i.last_release)),
    ("firstSeen:-24h", lambda i, now: i.first_seen >= now - DAY),
    ("age:-24h", lambda i, now: i.first_seen >= now - DAY),
    ("firstSeen:+24h", lambda i, now: i.first_seen <= now - DAY),
    ("lastSeen:-7d", lambda i, now: i.last_seen >= now - 7 * DAY),
    ("is:unassigned", lambda i, now: i.assigned_to is None),
    ("is:assigned", lambda i, now: i.assigned_to is not None),
    ('"Failed to fetch"', lambda i, now: "failed to fetch" in i.title.lower()),
    ("timesSeen:>5", lambda i, now: i.count > 5),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[str(q) for q, _ in QUERIES])
def test_issue_query_terms_count_what_they_say(
    sim: Simulator, client: httpx.Client, query: str | None, expected: Callable[[Issue, int], bool]
) -> None:
    # Given the seeded issues and the query's meaning
    want = sum(1 for i in sim.data.issues if expected(i, _now(sim)))
    params = {} if query is None else {"query": query}

    # When the issue list is asked with the query
    response = client.get(ISSUES, params=params)

    # Then X-Hits is the number of matching issues and the page holds them
    assert response.status_code == 200, response.text
    assert int(response.headers["X-Hits"]) == want
    assert len(response.json()) == min(want, 100)


def test_the_default_query_is_unresolved_and_empty_means_all(client: httpx.Client) -> None:
    # When the list is asked without a query and with an empty one
    # Then the seeded 50 unresolved issues and all 55 are counted
    assert (_hits(client), _hits(client, query="")) == (50, 55)


@pytest.mark.parametrize(
    "query", ["bogus:1", "is:sideways", "level:loud", "issue.priority:urgent", "firstSeen:soon"]
)
def test_an_unknown_query_term_is_400(client: httpx.Client, query: str) -> None:
    # When the query holds a term Sentry would refuse
    response = client.get(ISSUES, params={"query": query})

    # Then it is a 400 that says the query is invalid
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid query")


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_an_out_of_range_limit_is_400(client: httpx.Client, limit: str) -> None:
    # When the page size is outside 1..100
    response = client.get(ISSUES, params={"limit": limit})

    # Then Sentry's message comes back
    assert (response.status_code, response.json()["detail"]) == (400, PER_PAGE_INVALID)


def test_stats_period_filters_by_last_seen(sim: Simulator, client: httpx.Client) -> None:
    # Given the number of unresolved issues seen in the last 24 hours
    since = _now(sim) - DAY
    want = sum(1 for i in sim.data.issues if i.status == "unresolved" and i.last_seen >= since)

    # When the list is asked with statsPeriod=24h, then 14d
    # Then the windowed count is exact
    assert _hits(client, statsPeriod="24h") == want
    assert _hits(client, statsPeriod="14d") >= want


def test_sort_orders(client: httpx.Client) -> None:
    # When the list is sorted by date, new and freq
    by_date = client.get(ISSUES, params={"sort": "date"}).json()
    by_new = client.get(ISSUES, params={"sort": "new"}).json()
    by_freq = client.get(ISSUES, params={"sort": "freq"}).json()

    # Then each is in descending order of its field
    assert [i["lastSeen"] for i in by_date] == sorted(
        (i["lastSeen"] for i in by_date), reverse=True
    )
    assert [i["firstSeen"] for i in by_new] == sorted(
        (i["firstSeen"] for i in by_new), reverse=True
    )
    counts = [int(i["count"]) for i in by_freq]
    assert counts == sorted(counts, reverse=True)


def test_project_and_environment_parameters(sim: Simulator, client: httpx.Client) -> None:
    # Given the project's id and the number of unresolved production issues
    project = sim.data.project("acme", "codictate")
    assert project is not None
    prod = sum(
        1 for i in sim.data.issues if i.status == "unresolved" and i.environment == "production"
    )

    # When the list is filtered by project slug, id, -1, an unknown project and an environment
    # Then the project filters agree, an unknown project is refused, the environment filters
    assert _hits(client, project="codictate") == 50
    assert _hits(client, project=str(project.id)) == 50
    assert _hits(client, project="-1") == 50
    assert client.get(ISSUES, params={"project": "other"}).status_code == 403
    assert _hits(client, environment="production") == prod


def test_pagination_walks_every_issue_once(client: httpx.Client) -> None:
    # Given the first page of 7
    response = client.get(ISSUES, params={"limit": 7, "query": ""})
    total = int(response.headers["X-Hits"])
    first = _links(response)
    assert first["previous"]["results"] == "false"
    assert first["previous"]["cursor"] == "0:0:1"
    seen = [i["id"] for i in response.json()]

    # When the next links are followed while they say results="true"
    pages = 1
    while _links(response)["next"]["results"] == "true":
        response = client.get(_links(response)["next"]["url"])
        assert response.status_code == 200
        assert _links(response)["previous"]["results"] == "true"
        seen.extend(i["id"] for i in response.json())
        pages += 1

    # Then every issue came exactly once, in ceil(total / 7) pages
    assert len(seen) == len(set(seen)) == total == 55
    assert pages == 8
    assert "limit=7" in _links(response)["next"]["url"]


def test_a_malformed_cursor_is_400(client: httpx.Client) -> None:
    # When the cursor is not value:offset:is_prev
    response = client.get(ISSUES, params={"cursor": "garbage"})

    # Then it is refused
    assert response.status_code == 400


def test_issue_detail_by_id_and_short_id(client: httpx.Client) -> None:
    # Given an issue of the list
    listed = client.get(ISSUES, params={"limit": 1}).json()[0]

    # When it is read by id and by short id
    by_id = client.get(f"{ISSUES}{listed['id']}/").json()
    by_short = client.get(f"{ISSUES}{listed['shortId']}/").json()

    # Then both are the detail, with release objects and tags
    assert by_id["id"] == by_short["id"] == listed["id"]
    assert re.fullmatch(r"CODICTATE-[0-9A-Z]+", listed["shortId"])
    assert isinstance(listed["count"], str)
    assert isinstance(listed["userCount"], int)
    assert by_id["lastRelease"]["version"].startswith("codictate@")
    assert {"key": "level"}.items() <= next(t for t in by_id["tags"] if t["key"] == "level").items()
    assert "firstRelease" not in listed


def test_mutations_between_requests_are_served(sim: Simulator, client: httpx.Client) -> None:
    # Given the count before
    assert _hits(client) == 50

    # When an issue is added and another resolved
    added = sim.data.add_issue(project="codictate", title="Error: fresh", level="fatal")
    sim.data.update_issue(sim.data.issues[0].id, status="resolved", substatus=None)

    # Then the counts follow
    assert _hits(client) == 50
    assert _hits(client, query="is:resolved") == 4
    assert client.get(f"{ISSUES}{added.id}/").json()["title"] == "Error: fresh"


# -- events and source maps -------------------------------------------------------------------


def test_issue_events_and_event_lookups(sim: Simulator, client: httpx.Client) -> None:
    # Given an issue with two stored events
    issue = sim.data.issues[5]
    old = sim.data.add_event(issue.id, date=issue.first_seen, release="codictate@1.1.0")
    new = sim.data.add_event(issue.id, date=issue.last_seen, release="codictate@1.2.0")

    # When its events are listed and looked up
    listed = client.get(f"{ISSUES}{issue.id}/events/").json()
    latest = client.get(f"{ISSUES}{issue.id}/events/latest/").json()
    oldest = client.get(f"{ISSUES}{issue.id}/events/oldest/").json()
    recommended = client.get(f"{ISSUES}{issue.id}/events/recommended/").json()
    by_id = client.get(f"{ISSUES}{issue.id}/events/{old.event_id}/").json()
    project = client.get(f"/api/0/projects/acme/codictate/events/{new.event_id}/").json()
    missing = client.get(f"/api/0/projects/acme/codictate/events/{'0' * 32}/")

    # Then they agree with the stored events
    assert [e["eventID"] for e in listed] == [new.event_id, old.event_id]
    assert latest["eventID"] == recommended["eventID"] == new.event_id
    assert oldest["eventID"] == by_id["eventID"] == old.event_id
    assert latest["previousEventID"] == old.event_id
    assert project["release"]["version"] == "codictate@1.2.0"
    assert missing.status_code == 404


def test_event_shape_carries_raw_and_processed_frames(client: httpx.Client) -> None:
    # Given the latest event of an issue
    issue = client.get(ISSUES, params={"limit": 1}).json()[0]
    event = client.get(f"{ISSUES}{issue['id']}/events/latest/").json()

    # Then it has the exception entry with both stack traces and list tags
    value = event["entries"][0]["data"]["values"][0]
    raw = value["rawStacktrace"]["frames"][-1]
    assert event["platform"] == "javascript"
    assert re.fullmatch(r"app://localhost/assets/main-[0-9a-f]{8}\.js", raw["absPath"])
    assert value["stacktrace"]["frames"][-1]["absPath"].startswith("app://localhost/src/")
    environment = next(t["value"] for t in event["tags"] if t["key"] == "environment")
    assert environment in ("production", "staging")
    assert event["errors"] == []


def test_source_map_debug_derived_and_overridden(sim: Simulator, client: httpx.Client) -> None:
    # Given an event of the newest release (files uploaded) and one of the oldest (nothing)
    new = sim.data.add_event(
        sim.data.issues[0].id,
        release="codictate@1.2.0",
        raw_frames=raw_frames_for("codictate@1.2.0", 1),
    )
    old = sim.data.add_event(
        sim.data.issues[1].id,
        release="codictate@1.0.0",
        raw_frames=raw_frames_for("codictate@1.0.0", 2),
    )
    base = "/api/0/projects/acme/codictate/events/{}/source-map-debug/"

    # When their source-map-debug answers are read, then one is overridden
    found = client.get(base.format(new.event_id)).json()
    missing = client.get(base.format(old.event_id)).json()
    sim.data.set_source_map_debug(old.event_id, {**missing, "release": "overridden"})
    overridden = client.get(base.format(old.event_id)).json()

    # Then uploads are found for the newest release only, and the override is served
    frame = found["exceptions"][0]["frames"][-1]["release_process"]
    assert (frame["source_file_lookup_result"], frame["source_map_lookup_result"]) == (
        "found",
        "found",
    )
    lookup = missing["exceptions"][0]["frames"][-1]["release_process"]
    assert lookup["source_file_lookup_result"] == "unsuccessful"
    assert missing["release_has_some_artifact"] is False
    assert overridden["release"] == "overridden"


# -- releases, files, bundles, sessions -------------------------------------------------------


def test_releases_listing_detail_and_files(sim: Simulator, client: httpx.Client) -> None:
    # Given a second project with its own release
    sim.data.add_project("other", org="acme")
    sim.data.add_release("other@2.0.0", projects=("other",), files=["~/assets/x.js"])

    # When releases and files are read
    listed = client.get("/api/0/organizations/acme/releases/").json()
    only_codictate = client.get(
        "/api/0/organizations/acme/releases/", params={"project": "codictate"}
    ).json()
    queried = client.get("/api/0/organizations/acme/releases/", params={"query": "@1.1"}).json()
    detail = client.get(
        "/api/0/organizations/acme/releases/codictate@1.2.0/", params={"project": "codictate"}
    )
    wrong_project = client.get(
        "/api/0/organizations/acme/releases/other@2.0.0/", params={"project": "codictate"}
    )
    files = client.get("/api/0/organizations/acme/releases/codictate@1.2.0/files/").json()
    project_files = client.get(
        "/api/0/projects/acme/codictate/releases/codictate@1.2.0/files/"
    ).json()
    foreign_files = client.get("/api/0/projects/acme/codictate/releases/other@2.0.0/files/")
    foreign_org_files = client.get("/api/0/organizations/acme/releases/other@2.0.0/files/")
    project_releases = client.get("/api/0/projects/acme/codictate/releases/").json()

    # Then they are newest first, filtered and scoped to the project
    assert listed[0]["version"] == "other@2.0.0"
    assert [r["version"] for r in only_codictate] == [
        "codictate@1.2.0",
        "codictate@1.1.0",
        "codictate@1.0.0",
    ]
    assert [r["version"] for r in queried] == ["codictate@1.1.0"]
    assert detail.status_code == 200
    assert isinstance(detail.json()["id"], int)
    assert wrong_project.status_code == 404
    assert sorted(f["name"] for f in files) == sorted(f["name"] for f in project_files)
    assert any(re.fullmatch(r"~/assets/main-[0-9a-f]{8}\.js\.map", f["name"]) for f in files)
    # (a release of another project: Sentry's project endpoint looks the release up within the
    # project and answers its plain 404; the organization's endpoint lists the release's files)
    assert (foreign_files.status_code, foreign_files.json()) == (404, {"detail": DETAIL_NOT_FOUND})
    assert [f["name"] for f in foreign_org_files.json()] == ["~/assets/x.js"]
    assert len(project_releases) == 3


def test_per_page_over_100_is_400(client: httpx.Client) -> None:
    # When releases are asked with per_page=101
    response = client.get("/api/0/organizations/acme/releases/", params={"per_page": 101})

    # Then Sentry's message comes back
    assert (response.status_code, response.json()["detail"]) == (400, PER_PAGE_INVALID)


def test_artifact_bundles_and_their_files(sim: Simulator, client: httpx.Client) -> None:
    # Given eleven more bundles
    for n in range(11):
        sim.data.add_artifact_bundle("codictate", release=f"codictate@0.{n}", files=["~/a.js"])
    base = "/api/0/projects/acme/codictate"

    # When bundles are listed (default page of 10), queried and a bundle's files read
    first = client.get(f"{base}/files/artifact-bundles/")
    queried = client.get(f"{base}/files/artifact-bundles/", params={"query": "codictate@1.1.0"})
    bundle = queried.json()[0]
    files = client.get(f"{base}/artifact-bundles/{bundle['bundleId']}/files/").json()

    # Then the page, the filter and the file list hold
    assert len(first.json()) == 10
    assert "X-Hits" not in first.headers  # only the org issue list counts hits (§12)
    assert _links(first)["next"]["results"] == "true"
    assert bundle["associations"] == [{"release": "codictate@1.1.0", "dist": None}]
    assert bundle["fileCount"] == 2
    paths = sorted(f["filePath"] for f in files["files"])
    assert paths[0].endswith(".js")
    assert paths[1] == paths[0] + ".map"
    assert all(f["debugId"] for f in files["files"])


def test_sessions_crash_free_rate(client: httpx.Client) -> None:
    # When the crash-free rate of the newest release, an unknown release and no field are asked
    path = "/api/0/organizations/acme/sessions/"
    fields = ["crash_free_rate(session)", "crash_free_rate(user)", "sum(session)"]
    known = client.get(path, params={"field": fields, "query": "release:codictate@1.2.0"})
    unknown = client.get(path, params={"field": fields, "query": "release:codictate@0.0.1"})
    no_field = client.get(path)

    # Then the numbers come from the release health, null without data, 400 without a field
    totals = known.json()["groups"][0]["totals"]
    assert totals["crash_free_rate(session)"] == pytest.approx(1 - 12 / 5000)
    assert totals["sum(session)"] == 5000
    assert 0.99 < totals["crash_free_rate(user)"] < 1
    assert unknown.json()["groups"][0]["totals"]["crash_free_rate(session)"] is None
    assert no_field.status_code == 400


# -- faults, latency, recorded requests -------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 502, 503])
def test_status_faults(sim: Simulator, client: httpx.Client, status: int) -> None:
    # Given a fault for the first request to the issue list
    sim.add_fault(Fault(path=r"^/api/0/organizations/acme/issues/$", status=status, times=1))

    # When the list is asked twice
    faulted = client.get(ISSUES)
    healthy = client.get(ISSUES)

    # Then the first gets the status (429 with rate-limit headers) and the second is served
    assert faulted.status_code == status
    assert healthy.status_code == 200
    if status == 429:
        reset = int(faulted.headers["X-Sentry-Rate-Limit-Reset"])
        assert faulted.headers["X-Sentry-Rate-Limit-Remaining"] == "0"
        assert int(faulted.headers["X-Sentry-Rate-Limit-Limit"]) > 0
        assert time.time() - 5 < reset <= time.time() + 2
    if status in (502, 503):
        assert faulted.headers["Content-Type"].startswith("text/html")


def test_a_forever_fault_with_custom_headers_and_body(sim: Simulator, client: httpx.Client) -> None:
    # Given a permanent fault with its own headers and body, then cleared
    sim.add_fault(
        Fault(path="issues", status=429, headers={"Retry-After": "7"}, body={"detail": "slow"})
    )

    # When the list is asked three times, the faults cleared, and asked again
    answers = [client.get(ISSUES) for _ in range(3)]
    sim.clear_faults()
    after = client.get(ISSUES)

    # Then every faulted answer carries them, and the cleared one is served
    assert {(a.status_code, a.headers["Retry-After"], a.json()["detail"]) for a in answers} == {
        (429, "7", "slow")
    }
    assert "X-Sentry-Rate-Limit-Reset" not in answers[0].headers
    assert after.status_code == 200


def test_a_fault_matches_its_method_only(sim: Simulator, client: httpx.Client) -> None:
    # Given a fault for HEAD requests
    sim.add_fault(Fault(path="issues", method="HEAD", status=500))

    # When GET and HEAD are sent
    # Then only HEAD fails
    assert (client.get(ISSUES).status_code, client.head(ISSUES).status_code) == (200, 500)


def test_a_delay_fault_slows_then_serves(sim: Simulator, client: httpx.Client) -> None:
    # Given a 0.3 s delay on the list
    sim.add_fault(Fault(path="issues", delay=0.3, times=1))

    # When the list is asked
    started = time.monotonic()
    response = client.get(ISSUES)

    # Then it is served, late
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_reset_fault_drops_the_connection(sim: Simulator, client: httpx.Client) -> None:
    # Given a reset fault
    sim.add_fault(Fault(path="issues", reset=True, times=1))

    # When the list is asked
    # Then the transport fails, and the next request works
    with pytest.raises(httpx.TransportError):
        client.get(ISSUES)
    assert client.get(ISSUES).status_code == 200


def test_a_malformed_fault_sends_non_json(sim: Simulator, client: httpx.Client) -> None:
    # Given a malformed-body fault
    sim.add_fault(Fault(path="issues", malformed=True, times=1))

    # When the list is asked
    response = client.get(ISSUES)

    # Then it is a 200 whose body is not JSON
    assert response.status_code == 200
    assert response.content == MALFORMED_BODY
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_a_hang_fault_times_the_client_out(sim: Simulator) -> None:
    # Given a hang fault
    sim.add_fault(Fault(path="issues", hang=True))

    # When the list is asked with a 0.5 s timeout
    # Then the client times out (the server holds the request until stop())
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sim.url}{ISSUES}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=0.5)


def test_latency_applies_to_every_answer() -> None:
    # Given a simulator with 0.2 s latency
    with Simulator(data=seeded(issues=3), latency=0.2) as slow:
        # When the root is asked
        started = time.monotonic()
        response = httpx.get(f"{slow.url}/api/0/")

        # Then it answers, no sooner than the latency
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.2


def test_requests_are_recorded(sim: Simulator, client: httpx.Client) -> None:
    # When two requests are sent
    client.get(ISSUES, params={"project": ["1", "2"], "query": ""})
    client.get("/api/0/")

    # Then both are recorded in order with method, path, query and headers
    first, second = sim.requests[-2:]
    assert (first.method, first.path) == ("GET", ISSUES)
    assert first.query == {"project": ["1", "2"], "query": [""]}
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert second.path == "/api/0/"


# -- ingest -----------------------------------------------------------------------------------


def _envelope(event: dict[str, Any], *, dsn: str | None = None) -> bytes:
    header: dict[str, Any] = {"event_id": event["event_id"]}
    if dsn:
        header["dsn"] = dsn
    payload = json.dumps(event).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return json.dumps(header).encode() + b"\n" + item + b"\n" + payload + b"\n"


def _smoke_event(event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "level": "error",
        "platform": "javascript",
        "release": "codictate@1.2.0",
        "environment": "production",
        "tags": {"source": "sentry-gate", "mode": "local-smoke"},
        "exception": {"values": [{"type": "Error", "value": f"smoke {event_id[:6]}"}]},
    }


def test_envelope_round_trip(sim: Simulator, client: httpx.Client) -> None:
    # Given the project's active key
    key = client.get("/api/0/projects/acme/codictate/keys/").json()[0]
    event_id = "5e" * 16

    # When a smoke event is posted with X-Sentry-Auth
    sent = client.post(
        f"/api/{key['projectId']}/envelope/",
        content=_envelope(_smoke_event(event_id)),
        headers={
            "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key['public']}",
            "Content-Type": "application/x-sentry-envelope",
        },
    )

    # Then it is accepted and can be read back through the issues and events API
    assert (sent.status_code, sent.json()) == (200, {"id": event_id})
    found = client.get(ISSUES, params={"query": f'"smoke {event_id[:6]}"'}).json()
    assert len(found) == 1
    event = client.get(f"{ISSUES}{found[0]['id']}/events/latest/").json()
    assert event["eventID"] == event_id
    assert {"key": "source", "value": "sentry-gate"} in event["tags"]
    assert {"key": "release", "value": "codictate@1.2.0"} in event["tags"]
    by_project = client.get(f"/api/0/projects/acme/codictate/events/{event_id}/")
    assert by_project.status_code == 200


def test_envelope_auth_by_query_dsn_header_and_gzip(sim: Simulator, client: httpx.Client) -> None:
    # Given the key and its DSN
    key = client.get("/api/0/projects/acme/codictate/keys/").json()[0]
    url = f"/api/{key['projectId']}/envelope/"

    # When events are sent with the key in the query, in the envelope's dsn, and gzipped
    by_query = client.post(
        url, params={"sentry_key": key["public"]}, content=_envelope(_smoke_event("1" * 32))
    )
    by_dsn = client.post(url, content=_envelope(_smoke_event("2" * 32), dsn=key["dsn"]["public"]))
    zipped = client.post(
        url,
        params={"sentry_key": key["public"]},
        content=gzip.compress(_envelope(_smoke_event("3" * 32))),
        headers={"Content-Encoding": "gzip"},
    )

    # Then each is accepted and stored
    assert [r.json()["id"] for r in (by_query, by_dsn, zipped)] == ["1" * 32, "2" * 32, "3" * 32]
    assert all(sim.data.event(e) is not None for e in ("1" * 32, "2" * 32, "3" * 32))


@pytest.mark.parametrize("auth", [None, "Sentry sentry_version=7, sentry_key=" + "f" * 32])
def test_envelope_without_a_valid_key_is_403(client: httpx.Client, auth: str | None) -> None:
    # Given no key, or a key that is not the project's
    headers = {"X-Sentry-Auth": auth} if auth else {}
    project_id = client.get("/api/0/projects/acme/codictate/").json()["id"]

    # When an event is posted
    response = client.post(
        f"/api/{project_id}/envelope/", content=_envelope(_smoke_event("4" * 32)), headers=headers
    )

    # Then it is refused
    assert response.status_code == 403


# -- scale, determinism, CLI ------------------------------------------------------------------


def test_seeded_data_is_deterministic() -> None:
    # When the same seed is built twice and another seed once
    first = seeded(seed=3, issues=40)
    again = seeded(seed=3, issues=40)
    other = seeded(seed=4, issues=40)

    # Then the same seed gives the same issues and keys, another seed differs
    assert first.issues == again.issues
    assert [k.public for k in first.keys] == [k.public for k in again.keys]
    assert first.issues != other.issues
    assert len(first.issues) == 45
    assert {i.level for i in first.issues} >= {"error", "warning"}


def test_fifty_thousand_issues_first_page() -> None:
    # Given a simulator with 50,000 unresolved issues
    data = seeded(seed=1, issues=50_000)
    fatal = sum(1 for i in data.issues if i.status == "unresolved" and i.level == "fatal")
    with Simulator(data=data) as big:
        big.add_token(TOKEN)
        headers = {"Authorization": f"Bearer {TOKEN}"}

        # When the first page and a filtered count are asked
        with httpx.Client(base_url=big.url, headers=headers, timeout=30) as http:
            page = http.get(ISSUES, params={"limit": 100})
            fatal_hits = http.get(ISSUES, params={"query": "is:unresolved level:fatal"})
            last = http.get(ISSUES, params={"limit": 100, "cursor": "0:49900:0"})

    # Then the page is full, the count exact and the last page says there is no next
    assert page.status_code == 200
    assert len(page.json()) == 100
    assert page.headers["X-Hits"] == "50000"
    assert _links(page)["next"]["cursor"] == "0:100:0"
    assert int(fatal_hits.headers["X-Hits"]) == fatal
    assert len(last.json()) == 100
    assert _links(last)["next"]["results"] == "false"


def test_max_hits_caps_the_count() -> None:
    # Given a simulator that caps hits at 10
    with Simulator(data=seeded(issues=30), max_hits=10) as capped:
        capped.add_token(TOKEN)

        # When the list is asked
        response = httpx.get(f"{capped.url}{ISSUES}", headers={"Authorization": f"Bearer {TOKEN}"})

    # Then X-Hits is capped and X-Max-Hits says so
    assert (response.headers["X-Hits"], response.headers["X-Max-Hits"]) == ("10", "10")
    assert len(response.json()) == 30


def test_cli_serves_until_interrupted() -> None:
    # Given the CLI on a free port
    process = subprocess.Popen(
        [sys.executable, "-m", "sentry_simulator", "--port", "0", "--issues", "5"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url is not None, line

        # When its root is asked, then it is interrupted
        response = httpx.get(f"{url.group(0)}/api/0/", timeout=60)  # bounds, not measures:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)  # a busy machine is slow to start and to stop it
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    # Then it answered and exited cleanly
    assert response.json() == {"version": "0", "auth": None, "user": None}
    assert code == 0


# -- fidelity: what real Sentry serves (shared/reference/sentry-api.md §12) ---------------------


def test_scope_hierarchy_and_the_real_403() -> None:
    # Given an org:admin token, a project:releases token, on a server with and without challenge
    for challenge in (False, True):
        with Simulator(data=seeded(issues=3), scope_challenge=challenge) as sim:
            sim.add_token("admin", TokenSpec(scopes=("org:admin", "project:read", "event:read")))
            sim.add_token("rel", TokenSpec(scopes=("org:read", "project:releases", "event:read")))
            admin = {"Authorization": "Bearer admin"}
            rel = {"Authorization": "Bearer rel"}
            root = httpx.get(f"{sim.url}/api/0/", headers=admin).json()
            org = httpx.get(f"{sim.url}/api/0/organizations/acme/", headers=admin)
            project = httpx.get(f"{sim.url}/api/0/projects/acme/codictate/", headers=rel)
            releases = httpx.get(f"{sim.url}/api/0/organizations/acme/releases/", headers=rel)

            # Then the root lists the expanded scopes, org:admin reads the org, and the 403 body
            # never names a scope (the challenge header does, where the server sends it)
            assert root["auth"]["scopes"] == [
                "event:read", "org:admin", "org:read", "org:write", "project:read"
            ]  # fmt: skip
            assert org.status_code == 200
            assert releases.status_code == 200
            assert project.status_code == 403
            assert project.json() == {"detail": DETAIL_NO_PERMISSION}
            header = project.headers.get("WWW-Authenticate")
            if challenge:
                assert header is not None
                assert 'error="insufficient_scope"' in header
                assert 'scope="project:admin project:read project:write"' in header
            else:
                assert header is None


def test_renamed_project_answers_302(sim: Simulator, client: httpx.Client) -> None:
    # Given the project codictate renamed to dictate
    sim.rename_project("acme", "codictate", "dictate")

    # When the old slug is asked
    response = client.get("/api/0/projects/acme/codictate/keys/")

    # Then Sentry's ProjectMoved: 302 to the new slug
    assert response.status_code == 302
    assert response.headers["Location"] == "/api/0/projects/acme/dictate/keys/"
    assert response.json()["detail"]["extra"]["slug"] == "dictate"
    assert client.get("/api/0/projects/acme/dictate/").status_code == 200


def test_bundle_files_defaults_and_unknown_bundle(sim: Simulator, client: httpx.Client) -> None:
    # Given a bundle of 120 files
    files = [f"~/assets/f{n:03}.js" for n in range(120)]
    item = sim.data.add_artifact_bundle("codictate", release="codictate@9", files=files)
    base = "/api/0/projects/acme/codictate/artifact-bundles"

    # When its files are listed without per_page, and an unknown bundle is asked
    page = client.get(f"{base}/{item.bundle_id}/files/")
    unknown = client.get(f"{base}/00000000-0000-0000-0000-000000000000/files/")

    # Then 100 per page, and the unknown bundle is 400 with "error" (not "detail")
    assert len(page.json()["files"]) == 100
    assert unknown.status_code == 400
    assert "error" in unknown.json()
    assert "detail" not in unknown.json()


def test_bundle_query_by_debug_id_and_dist(sim: Simulator, client: httpx.Client) -> None:
    # Given a debug-id-only bundle (no release) and a bundle under dist "7"
    plain = sim.data.add_artifact_bundle("codictate", files=["~/assets/x.js"])
    sim.data.add_artifact_bundle("codictate", release="codictate@8", dist="7", files=["~/y.js"])
    debug_id = plain.files[0].debug_id
    assert debug_id is not None
    path = "/api/0/projects/acme/codictate/files/artifact-bundles/"

    # When the list is queried by the debug id, by a dist, and by a substring
    by_id = client.get(path, params={"query": debug_id}).json()
    by_dist = client.get(path, params={"query": "7"}).json()
    partial = client.get(path, params={"query": "codictate@"}).json()

    # Then the debug id finds its bundle, names match exactly, and the bundle carries its dist
    assert [b["bundleId"] for b in by_id] == [plain.bundle_id]
    assert plain.associations == []
    assert [b["associations"] for b in by_dist] == [[{"release": "codictate@8", "dist": "7"}]]
    assert partial == []


def test_old_servers() -> None:
    # Given a 2023 server
    with Simulator(data=seeded(issues=3), legacy=("bundles_2023",)) as sim:
        sim.add_token("t", TokenSpec())
        item = sim.data.add_artifact_bundle("codictate", release="codictate@8", files=["~/y.js"])
        headers = {"Authorization": "Bearer t"}
        base = f"{sim.url}/api/0/projects/acme/codictate"
        bundles = httpx.get(f"{base}/files/artifact-bundles/", headers=headers).json()
        files = httpx.get(f"{base}/artifact-bundles/{item.bundle_id}/files/", headers=headers)

    # Then bundles have no associations and files come as a plain list
    assert bundles
    assert all("associations" not in b for b in bundles)
    assert isinstance(files.json(), list)


def test_x_hits_only_on_the_issue_list(client: httpx.Client) -> None:
    # When lists are asked
    issues = client.get(ISSUES)
    others = [
        client.get("/api/0/organizations/acme/projects/"),
        client.get("/api/0/organizations/acme/releases/"),
        client.get("/api/0/projects/acme/codictate/keys/"),
    ]
    # Then only the issue list carries X-Hits (and no X-Max-Hits without a cap)
    assert "X-Hits" in issues.headers
    assert "X-Max-Hits" not in issues.headers
    assert all("X-Hits" not in r.headers for r in others)
