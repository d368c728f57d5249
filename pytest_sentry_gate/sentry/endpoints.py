"""Every Sentry endpoint the checks read: its path, the scopes granting it, the modes calling it.

One row per endpoint. Paths are templates whose ``{segments}`` are quoted when filled (a release
may hold ``@``, ``+`` or spaces; ``/`` never resolves). ``scopes`` are the alternatives Sentry
accepts for a GET (any one grants it), from its permission classes
(``src/sentry/api/bases/project.py``, ``bases/organization.py``; ``shared/reference/sentry-api.md``
§12). ``modes`` are the runbook modes whose checks call the endpoint, so the preflight can judge a
token against exactly what the selected modes will ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from pytest_sentry_gate import modes as _modes

ORG_READ: Final = frozenset({"org:read", "org:write", "org:admin"})
PROJECT_READ: Final = frozenset({"project:read", "project:write", "project:admin"})
RELEASE_READ: Final = PROJECT_READ | {"project:releases", "org:ci"}
EVENT_READ: Final = frozenset({"event:read", "event:write", "event:admin"})

_ALL: Final = frozenset(_modes.CHECK_MODES)
_RELEASE: Final = frozenset({"release_gate", "incident"})


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: a path template, the scopes that grant it, and the modes that read it."""

    name: str
    template: str
    scopes: frozenset[str]
    modes: frozenset[str]

    def path(self, **segments: str) -> str:
        """The path with each ``{segment}`` quoted (``@`` and ``+`` stay readable)."""
        return self.template.format(**{k: quote(str(v), safe="@+") for k, v in segments.items()})

    def granted_by(self, scopes: frozenset[str] | set[str]) -> bool:
        """Whether a token holding ``scopes`` (as ``GET /api/0/`` lists them) may read it."""
        return not self.scopes or bool(self.scopes & scopes)


ROOT: Final = Endpoint("API root", "/api/0/", frozenset(), _ALL)
ORGANIZATIONS: Final = Endpoint("organization list", "/api/0/organizations/", ORG_READ, _ALL)
ORGANIZATION: Final = Endpoint("organization", "/api/0/organizations/{org}/", ORG_READ, _ALL)
ORG_PROJECTS: Final = Endpoint(
    "project list", "/api/0/organizations/{org}/projects/", ORG_READ, _ALL
)
PROJECT: Final = Endpoint("project", "/api/0/projects/{org}/{project}/", PROJECT_READ, _ALL)
RELEASES: Final = Endpoint(
    "release list", "/api/0/organizations/{org}/releases/", RELEASE_READ, _RELEASE
)
RELEASE: Final = Endpoint(
    "release", "/api/0/organizations/{org}/releases/{version}/", RELEASE_READ, _RELEASE
)
RELEASE_FILES: Final = Endpoint(
    "release files",
    "/api/0/projects/{org}/{project}/releases/{version}/files/",
    RELEASE_READ,
    _RELEASE,
)
ARTIFACT_BUNDLES: Final = Endpoint(
    "artifact bundles",
    "/api/0/projects/{org}/{project}/files/artifact-bundles/",
    RELEASE_READ,
    _RELEASE,
)
BUNDLE_FILES: Final = Endpoint(
    "artifact bundle files",
    "/api/0/projects/{org}/{project}/artifact-bundles/{bundle_id}/files/",
    RELEASE_READ,
    _RELEASE,
)
ISSUES: Final = Endpoint(
    "issue list",
    "/api/0/organizations/{org}/issues/",
    EVENT_READ,
    frozenset({"release_gate", "prod_health", "issue_triage", "incident"}),
)
LATEST_EVENT: Final = Endpoint(
    "latest event of an issue",
    "/api/0/organizations/{org}/issues/{issue_id}/events/latest/",
    EVENT_READ,
    frozenset({"release_gate", "issue_triage", "incident"}),
)
SOURCE_MAP_DEBUG: Final = Endpoint(
    "source-map debug",
    "/api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/",
    PROJECT_READ,
    _RELEASE,
)
PROJECT_KEYS: Final = Endpoint(
    "client keys",
    "/api/0/projects/{org}/{project}/keys/",
    PROJECT_READ,
    frozenset({"local_smoke", "incident"}),
)
PROJECT_EVENT: Final = Endpoint(
    "event by id",
    "/api/0/projects/{org}/{project}/events/{event_id}/",
    PROJECT_READ,
    frozenset({"local_smoke"}),
)

TABLE: Final = (
    ROOT,
    ORGANIZATIONS,
    ORGANIZATION,
    ORG_PROJECTS,
    PROJECT,
    RELEASES,
    RELEASE,
    RELEASE_FILES,
    ARTIFACT_BUNDLES,
    BUNDLE_FILES,
    ISSUES,
    LATEST_EVENT,
    SOURCE_MAP_DEBUG,
    PROJECT_KEYS,
    PROJECT_EVENT,
)


def for_modes(selected: tuple[str, ...] | frozenset[str]) -> tuple[Endpoint, ...]:
    """The endpoints the checks of ``selected`` modes read, in table order."""
    chosen = set(selected)
    return tuple(e for e in TABLE if e.modes & chosen)
