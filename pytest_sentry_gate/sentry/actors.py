"""Names for Sentry's actor ids: a suggested owner ``team:<id>`` becomes ``team:<slug>``.

An issue detail's ``owners`` (GroupOwner rows) name their owner as ``"team:<id>"`` or
``"user:<id>"``. ``GET /api/0/organizations/{org}/teams/`` (OpenAPI ``listOrganizationTeams``,
scope ``org:read``) gives each team's ``id`` and ``slug``; it is read once, and only when a
suggested owner is a team. Users are not looked up (the member list needs ``member:read`` and
holds emails): a user keeps its id unless the issue's own ``assignedTo`` names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from pytest_sentry_gate.errors import ApiError
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.client import SentryClient

#: Pages of 100 teams read at most.
MAX_PAGES: Final = 5


def _owners(detail: Any) -> list[str]:
    rows = detail.get("owners") if isinstance(detail, dict) else None
    return [str(r["owner"]) for r in rows or () if isinstance(r, dict) and r.get("owner")]


def team_names(client: SentryClient, org: str, details: Iterable[Any]) -> dict[str, str]:
    """``{"team:<id>": "team:<slug>"}`` for the organization's teams, when one of ``details``
    suggests a team; ``{}`` otherwise or when the list cannot be read (the ids stay)."""
    if not any(o.startswith("team:") for d in details for o in _owners(d)):
        return {}
    try:
        listing = client.collect(
            endpoints.ORG_TEAMS.path(org=org), {"per_page": 100}, max_pages=MAX_PAGES
        )
    except ApiError:
        return {}
    return {
        f"team:{t['id']}": f"team:{t['slug']}"
        for t in listing.items
        if isinstance(t, dict) and t.get("id") and t.get("slug")
    }
