"""Every Sentry endpoint the checks read: its path, the scopes granting it, the modes calling it.

One row per endpoint. Paths are templates whose ``{segments}`` are quoted when filled (a release
may hold ``@``, ``+`` or spaces; ``/`` never resolves). ``scopes`` are the alternatives Sentry
accepts for a GET (any one grants it), from its permission classes
(``src/sentry/api/bases/project.py``, ``bases/organization.py``; ``shared/reference/sentry-api.md``
§12). Which modes read an endpoint is declared by each mode (``Mode.endpoints``, by the row's
name); the ``common`` rows (the organization and the project) are read by every mode. So the
preflight judges a token against exactly what the selected modes will ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from pytest_sentry_gate import modes as _modes

ORG_READ: Final = frozenset({"org:read", "org:write", "org:admin"})
PROJECT_READ: Final = frozenset({"project:read", "project:write", "project:admin"})
RELEASE_READ: Final = PROJECT_READ | {"project:releases", "org:ci"}
EVENT_READ: Final = frozenset({"event:read", "event:write", "event:admin"})


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: a path template, the scopes that grant it, and whether every mode reads it."""

    name: str
    template: str
    scopes: frozenset[str]
    common: bool = False

    @property
    def modes(self) -> frozenset[str]:
        """The modes that read it: every mode for a common row, else the modes whose declaration
        names it (``Mode.endpoints``)."""
        return frozenset(
            mode.name
            for mode in _modes.MODES
            if mode.holds_checks and (self.common or self.name in mode.endpoints)
        )

    def path(self, **segments: str) -> str:
        """The path with each ``{segment}`` quoted (``@`` and ``+`` stay readable)."""
        return self.template.format(**{k: quote(str(v), safe="@+") for k, v in segments.items()})

    def granted_by(self, scopes: Iterable[str]) -> bool:
        """Whether a token holding ``scopes`` may read it (the hierarchy is applied first)."""
        return not self.scopes or bool(self.scopes & expand(scopes))

    @property
    def needed(self) -> str:
        """The scope to ask for: the narrowest alternative (``project:read``, ``event:read``)."""
        return min(self.scopes, key=_narrowness) if self.scopes else ""

    def matches(self, path: str) -> bool:
        """Whether a request path (without query) is this endpoint's."""
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(self.template))
        return re.fullmatch(pattern, path) is not None


#: Sentry's ``SENTRY_SCOPE_HIERARCHY_MAPPING`` (``src/sentry/conf/server.py``): a scope grants the
#: ones listed. ``project:releases`` and ``org:ci`` grant only themselves.
_LEVELS: Final = ("read", "write", "admin")
HIERARCHY: Final = {
    f"{kind}:{level}": frozenset(f"{kind}:{lower}" for lower in _LEVELS[: _LEVELS.index(level) + 1])
    for kind in ("org", "project", "event", "team", "member")
    for level in _LEVELS
}


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes a token holds once the hierarchy is applied (``org:admin`` -> ``org:read``...)."""
    held: set[str] = set()
    for scope in scopes:
        held.add(scope)
        held |= HIERARCHY.get(scope, frozenset())
    return frozenset(held)


def _narrowness(scope: str) -> tuple[int, str]:
    order = {"read": 0, "releases": 1, "write": 2, "ci": 3, "admin": 4}
    return order.get(scope.partition(":")[2], 5), scope


ROOT: Final = Endpoint("API root", "/api/0/", frozenset(), common=True)
ORGANIZATIONS: Final = Endpoint("organization list", "/api/0/organizations/", ORG_READ, common=True)
ORGANIZATION: Final = Endpoint("organization", "/api/0/organizations/{org}/", ORG_READ, common=True)
ORG_PROJECTS: Final = Endpoint(
    "project list", "/api/0/organizations/{org}/projects/", ORG_READ, common=True
)
PROJECT: Final = Endpoint("project", "/api/0/projects/{org}/{project}/", PROJECT_READ, common=True)
RELEASES: Final = Endpoint("release list", "/api/0/organizations/{org}/releases/", RELEASE_READ)
RELEASE: Final = Endpoint("release", "/api/0/organizations/{org}/releases/{version}/", RELEASE_READ)
RELEASE_FILES: Final = Endpoint(
    "release files",
    "/api/0/projects/{org}/{project}/releases/{version}/files/",
    RELEASE_READ,
)
ORG_RELEASE_FILES: Final = Endpoint(
    "organization release files",
    "/api/0/organizations/{org}/releases/{version}/files/",
    RELEASE_READ,
)
ARTIFACT_BUNDLES: Final = Endpoint(
    "artifact bundles",
    "/api/0/projects/{org}/{project}/files/artifact-bundles/",
    RELEASE_READ,
)
BUNDLE_FILES: Final = Endpoint(
    "artifact bundle files",
    "/api/0/projects/{org}/{project}/artifact-bundles/{bundle_id}/files/",
    RELEASE_READ,
)
ISSUES: Final = Endpoint("issue list", "/api/0/organizations/{org}/issues/", EVENT_READ)
LATEST_EVENT: Final = Endpoint(
    "latest event of an issue",
    "/api/0/organizations/{org}/issues/{issue_id}/events/latest/",
    EVENT_READ,
)
ISSUE: Final = Endpoint("issue detail", "/api/0/organizations/{org}/issues/{issue_id}/", EVENT_READ)
SESSIONS: Final = Endpoint("sessions", "/api/0/organizations/{org}/sessions/", ORG_READ)
SOURCE_MAP_DEBUG: Final = Endpoint(
    "source-map debug",
    "/api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/",
    PROJECT_READ,
)
PROJECT_KEYS: Final = Endpoint("client keys", "/api/0/projects/{org}/{project}/keys/", PROJECT_READ)
PROJECT_EVENT: Final = Endpoint(
    "event by id", "/api/0/projects/{org}/{project}/events/{event_id}/", PROJECT_READ
)
ORG_STATS: Final = Endpoint(
    "organization outcomes (stats_v2)",
    "/api/0/organizations/{org}/stats_v2/",
    ORG_READ,
)
RELEASE_DEPLOYS: Final = Endpoint(
    "release deploys",
    "/api/0/organizations/{org}/releases/{version}/deploys/",
    RELEASE_READ,
)
ORG_TEAMS: Final = Endpoint("team list", "/api/0/organizations/{org}/teams/", ORG_READ)

TABLE: Final = (
    ROOT,
    ORGANIZATIONS,
    ORGANIZATION,
    ORG_PROJECTS,
    PROJECT,
    RELEASES,
    RELEASE,
    RELEASE_FILES,
    ORG_RELEASE_FILES,
    ARTIFACT_BUNDLES,
    BUNDLE_FILES,
    ISSUES,
    LATEST_EVENT,
    ISSUE,
    SESSIONS,
    SOURCE_MAP_DEBUG,
    PROJECT_KEYS,
    PROJECT_EVENT,
    ORG_STATS,
    RELEASE_DEPLOYS,
    ORG_TEAMS,
)


def for_modes(selected: Iterable[str]) -> tuple[Endpoint, ...]:
    """The endpoints the checks of ``selected`` modes read, in table order."""
    chosen = set(selected)
    if "verify_loop" in chosen:
        chosen |= set(_modes.LOOP_MODES)
    return tuple(e for e in TABLE if e.modes & chosen)


def named(name: str) -> Endpoint | None:
    """The table row called ``name`` (as ``Mode.endpoints`` names it), or ``None``."""
    return next((e for e in TABLE if e.name == name), None)


def ungranted(scopes: Iterable[str], table: Iterable[Endpoint]) -> tuple[Endpoint, ...]:
    """The endpoints of ``table`` that a token holding ``scopes`` may not read."""
    held = expand(scopes)
    return tuple(e for e in table if not e.granted_by(held))


def find(path: str) -> Endpoint | None:
    """The table row of a request path (query ignored), or ``None``."""
    bare = path.partition("?")[0]
    return next((e for e in TABLE if e.matches(bare)), None)
