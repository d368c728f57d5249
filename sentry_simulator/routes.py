"""The route table: path pattern, endpoint and the scopes that grant access (any one of them).

Scopes follow each endpoint's ``security`` in Sentry's OpenAPI schema; the artifact-bundle views
(not in the schema) use Sentry's ``ProjectReleasePermission``, whose GET scopes include ``org:ci``.
``DOCUMENTED_PATHS`` maps each route to the schema's templated path, for the schema tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import api_core, api_releases, api_stats
from .wire import Reply

ORG_SCOPES = ("org:admin", "org:read", "org:write")
PROJECT_SCOPES = ("project:admin", "project:read", "project:write")
EVENT_SCOPES = ("event:admin", "event:read", "event:write")
RELEASE_SCOPES = ("org:ci", "project:admin", "project:read", "project:releases", "project:write")

_SEG = r"[^/]+"
ORG_RE = "/api/0/organizations/(?P<org>" + _SEG + ")"
PROJ_RE = "/api/0/projects/(?P<org>" + _SEG + ")/(?P<project>" + _SEG + ")"
SO = "/api/0/organizations/{organization_id_or_slug}"
SP = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}"


@dataclass(frozen=True)
class Route:
    """One GET endpoint."""

    pattern: re.Pattern[str]
    endpoint: Callable[..., Reply]
    scopes: tuple[str, ...]
    documented: str | None


def _r(regex: str, endpoint: Callable[..., Any], scopes: tuple[str, ...], doc: str | None) -> Route:
    return Route(re.compile("^" + regex + "$"), endpoint, scopes, doc)


ROUTES: tuple[Route, ...] = (
    _r("/api/0/", api_core.index, (), None),
    _r("/api/0/organizations/", api_core.organizations, ORG_SCOPES, "/api/0/organizations/"),
    _r(ORG_RE + "/", api_core.organization_detail, ORG_SCOPES, SO + "/"),
    _r(ORG_RE + "/projects/", api_core.organization_projects, ORG_SCOPES, SO + "/projects/"),
    _r(ORG_RE + "/issues/", api_core.issues, EVENT_SCOPES, SO + "/issues/"),
    _r(
        ORG_RE + "/issues/(?P<issue_id>[^/]+)/",
        api_core.issue_one,
        EVENT_SCOPES,
        SO + "/issues/{issue_id}/",
    ),
    _r(
        ORG_RE + "/issues/(?P<issue_id>[^/]+)/events/",
        api_core.issue_events,
        EVENT_SCOPES,
        SO + "/issues/{issue_id}/events/",
    ),
    _r(
        ORG_RE + "/issues/(?P<issue_id>[^/]+)/events/(?P<event>[^/]+)/",
        api_core.issue_event,
        EVENT_SCOPES,
        SO + "/issues/{issue_id}/events/{event_id}/",
    ),
    _r(ORG_RE + "/releases/", api_releases.org_releases, RELEASE_SCOPES, SO + "/releases/"),
    _r(
        ORG_RE + "/releases/(?P<version>[^/]+)/",
        api_releases.release_one,
        RELEASE_SCOPES,
        SO + "/releases/{version}/",
    ),
    _r(
        ORG_RE + "/releases/(?P<version>[^/]+)/files/",
        api_releases.org_release_files,
        RELEASE_SCOPES,
        SO + "/releases/{version}/files/",
    ),
    _r(ORG_RE + "/sessions/", api_releases.sessions, ORG_SCOPES, SO + "/sessions/"),
    _r(PROJ_RE + "/", api_core.project, PROJECT_SCOPES, SP + "/"),
    _r(PROJ_RE + "/keys/", api_core.project_keys, PROJECT_SCOPES, SP + "/keys/"),
    _r(
        PROJ_RE + "/events/(?P<event>[^/]+)/",
        api_core.project_event,
        PROJECT_SCOPES,
        SP + "/events/{event_id}/",
    ),
    _r(
        PROJ_RE + "/events/(?P<event>[^/]+)/source-map-debug/",
        api_core.event_source_map_debug,
        PROJECT_SCOPES,
        SP + "/events/{event_id}/source-map-debug/",
    ),
    _r(PROJ_RE + "/releases/", api_releases.project_releases, RELEASE_SCOPES, SP + "/releases/"),
    _r(
        PROJ_RE + "/releases/(?P<version>[^/]+)/files/",
        api_releases.project_release_files,
        RELEASE_SCOPES,
        SP + "/releases/{version}/files/",
    ),
    _r(PROJ_RE + "/files/artifact-bundles/", api_releases.artifact_bundles, RELEASE_SCOPES, None),
    _r(
        PROJ_RE + "/artifact-bundles/(?P<bundle_id>[^/]+)/files/",
        api_releases.artifact_bundle_files,
        RELEASE_SCOPES,
        None,
    ),
    _r(ORG_RE + "/stats_v2/", api_stats.stats_v2, ORG_SCOPES, SO + "/stats_v2/"),
    _r(
        ORG_RE + "/releases/(?P<version>[^/]+)/deploys/",
        api_stats.release_deploys,
        RELEASE_SCOPES,
        SO + "/releases/{version}/deploys/",
    ),
    _r(ORG_RE + "/teams/", api_stats.teams, ORG_SCOPES, SO + "/teams/"),
)

#: The schema's templated paths the simulator serves (every one is validated by a test).
DOCUMENTED_PATHS: tuple[str, ...] = tuple(r.documented for r in ROUTES if r.documented)

ENVELOPE = re.compile(r"^/api/(?P<project_id>\d+)/envelope/$")


def match(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a (percent-encoded) path and its raw path parameters."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is not None:
            return route, found.groupdict()
    return None
