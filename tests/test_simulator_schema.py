"""The simulator's 200 bodies validate against Sentry's OpenAPI schema, path by path."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sentry_simulator import DOCUMENTED_PATHS, Simulator, TokenSpec, seeded

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "shared/sentry-api/openapi-derefed.json"
TOKEN = "sntryu_" + "c0ffee" * 10 + "cafe"  # canary, not a real token
SO = "/api/0/organizations/{organization_id_or_slug}"
SP = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}"

pytestmark = pytest.mark.skipif(
    not SCHEMA_FILE.exists(), reason=f"Sentry's OpenAPI schema is absent: {SCHEMA_FILE}"
)


class Ids:
    """Ids a representative request needs, discovered from the running simulator."""

    def __init__(self, client: httpx.Client) -> None:
        issues = client.get("/api/0/organizations/acme/issues/", params={"limit": 1}).json()
        self.issue = issues[0]["id"]
        latest = client.get(f"/api/0/organizations/acme/issues/{self.issue}/events/latest/")
        self.event = latest.json()["eventID"]
        self.release = "codictate@1.2.0"


#: Documented (templated) path -> representative request path and query.
REQUESTS: dict[str, Callable[[Ids], tuple[str, dict[str, Any]]]] = {
    "/api/0/organizations/": lambda ids: ("/api/0/organizations/", {}),
    SO + "/": lambda ids: ("/api/0/organizations/acme/", {}),
    SO + "/projects/": lambda ids: ("/api/0/organizations/acme/projects/", {}),
    SO + "/issues/": lambda ids: (
        "/api/0/organizations/acme/issues/",
        {"query": "", "statsPeriod": "14d", "limit": 100},
    ),
    SO + "/issues/{issue_id}/": lambda ids: (f"/api/0/organizations/acme/issues/{ids.issue}/", {}),
    SO + "/issues/{issue_id}/events/": lambda ids: (
        f"/api/0/organizations/acme/issues/{ids.issue}/events/",
        {},
    ),
    SO + "/issues/{issue_id}/events/{event_id}/": lambda ids: (
        f"/api/0/organizations/acme/issues/{ids.issue}/events/latest/",
        {},
    ),
    SO + "/releases/": lambda ids: ("/api/0/organizations/acme/releases/", {"health": 1}),
    SO + "/releases/{version}/": lambda ids: (
        f"/api/0/organizations/acme/releases/{ids.release}/",
        {"project": "codictate", "health": 1},
    ),
    SO + "/releases/{version}/files/": lambda ids: (
        f"/api/0/organizations/acme/releases/{ids.release}/files/",
        {},
    ),
    SO + "/sessions/": lambda ids: (
        "/api/0/organizations/acme/sessions/",
        {
            "field": ["crash_free_rate(session)", "sum(session)", "count_unique(user)"],
            "groupBy": "release",
            "statsPeriod": "14d",
        },
    ),
    SP + "/": lambda ids: ("/api/0/projects/acme/codictate/", {}),
    SP + "/keys/": lambda ids: ("/api/0/projects/acme/codictate/keys/", {"status": "active"}),
    SP + "/events/{event_id}/": lambda ids: (
        f"/api/0/projects/acme/codictate/events/{ids.event}/",
        {},
    ),
    SP + "/events/{event_id}/source-map-debug/": lambda ids: (
        f"/api/0/projects/acme/codictate/events/{ids.event}/source-map-debug/",
        {},
    ),
    SP + "/releases/": lambda ids: ("/api/0/projects/acme/codictate/releases/", {}),
    SP + "/releases/{version}/files/": lambda ids: (
        f"/api/0/projects/acme/codictate/releases/{ids.release}/files/",
        {},
    ),
    SO + "/stats_v2/": lambda ids: (
        "/api/0/organizations/acme/stats_v2/",
        {
            "field": "sum(quantity)",
            "groupBy": ["outcome", "reason", "category"],
            "statsPeriod": "24h",
            "interval": "1h",
        },
    ),
    SO + "/releases/{version}/deploys/": lambda ids: (
        f"/api/0/organizations/acme/releases/{ids.release}/deploys/",
        {},
    ),
    SO + "/teams/": lambda ids: ("/api/0/organizations/acme/teams/", {}),
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """Sentry's dereferenced OpenAPI document."""
    document: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return document


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """A client of a running seeded simulator."""
    from sentry_simulator.outcomes_data import add_deploy, add_dropped_events

    sim = Simulator(data=seeded(seed=7, issues=120))
    sim.add_token(TOKEN, TokenSpec())
    add_dropped_events(sim.data, project="codictate")
    add_deploy(sim.data, "codictate@1.2.0", finished=sim.data.now_epoch - 3600)
    sim.data.teams[("acme", 2)] = "audio-pipeline"
    with (
        sim,
        httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
    ):
        yield http


def _validate(openapi: dict[str, Any], documented: str, body: Any) -> None:
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    operation = openapi["paths"][documented]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(body)


def test_every_documented_path_served_has_a_representative_request(
    openapi: dict[str, Any],
) -> None:
    # Given the routes the simulator marks as documented in Sentry's schema
    served = set(DOCUMENTED_PATHS)

    # Then each is a real GET path of the schema, and each has a request in this module
    assert served <= {p for p, ops in openapi["paths"].items() if "get" in ops}
    assert served == set(REQUESTS)
    assert len(served) == 20


@pytest.mark.parametrize("documented", sorted(REQUESTS))
def test_response_validates_against_the_openapi_schema(
    documented: str, openapi: dict[str, Any], client: httpx.Client
) -> None:
    # Given a representative request for the documented path
    path, params = REQUESTS[documented](Ids(client))

    # When the simulator answers it
    response = client.get(path, params=params)

    # Then the answer is a 200 whose body validates against the path's 200 schema
    assert response.status_code == 200, response.text
    body = response.json()
    assert body, f"empty body for {path}"
    _validate(openapi, documented, body)


def test_an_ingested_event_validates_as_an_event(
    openapi: dict[str, Any], client: httpx.Client
) -> None:
    # Given an event sent through the envelope endpoint, with a user and tags
    key = client.get("/api/0/projects/acme/codictate/keys/").json()[0]
    event = {
        "event_id": "ab" * 16,
        "message": "schema smoke",
        "level": "error",
        "release": "codictate@9.9.9",
        "environment": "production",
        "tags": {"source": "sentry-gate"},
        "user": {"id": "42"},
        "exception": {
            "values": [
                {
                    "type": "Error",
                    "value": "schema smoke",
                    "stacktrace": {"frames": [{"abs_path": "app://localhost/a.js", "lineno": 1}]},
                }
            ]
        },
    }
    envelope = "\n".join(
        [json.dumps({"event_id": "ab" * 16}), json.dumps({"type": "event"}), json.dumps(event)]
    )
    sent = client.post(
        f"/api/{key['projectId']}/envelope/",
        content=envelope.encode(),
        headers={"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key['public']}"},
    )
    assert sent.status_code == 200

    # When it is read back through the project event endpoint
    response = client.get(f"/api/0/projects/acme/codictate/events/{'ab' * 16}/")

    # Then it validates against the event schema
    assert response.status_code == 200
    _validate(openapi, SP + "/events/{event_id}/", response.json())
