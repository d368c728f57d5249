"""Who Sentry says owns an issue: its assignee and its suggested owners, as short text.

The issue detail carries ``assignedTo`` (``{"type": "user"|"team", "id", "name", …}`` or null)
and ``owners`` (Sentry's suggested owners, GroupOwner rows: ``{"type": "suspectCommit" |
"ownershipRule" | "codeowners", "owner": "user:<id>" | "team:<id>", "date_added"}``), both from
``GET /api/0/organizations/{org}/issues/{id}/``. Triage shows them beside the CODEOWNERS owner.
Names are Sentry's (untrusted text: escaped by the caller); an email is never shown: Sentry's
display name of a user without a name is their email, so such a user is shown as ``user:<id>``.
A suggested owner's id is shown by name when ``names`` has it (``team:<id>`` -> ``team:<slug>``
from the team list; ``user:<id>`` -> ``user:<name>`` when the issue is assigned to that user).
Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

#: How Sentry's suggestion kinds read.
KINDS: Final = {
    "suspectCommit": "suspect commit",
    "ownershipRule": "ownership rule",
    "codeowners": "CODEOWNERS in Sentry",
}


def assignee(value: Any) -> str | None:
    """``"#backend"`` for a team, the user's name for a user (``user:<id>`` when the name is an
    email), ``None`` when unassigned."""
    if not isinstance(value, dict) or not value.get("name"):
        return None
    name = str(value["name"])
    if value.get("type") == "team":
        return f"#{name}"
    return f"user:{value.get('id')}" if "@" in name else name


def user_names(value: Any) -> dict[str, str]:
    """``{"user:<id>": "user:<name>"}`` from the issue's ``assignedTo`` (never an email)."""
    if isinstance(value, dict) and value.get("type") == "user" and value.get("id"):
        name = str(value.get("name") or "")
        if name and "@" not in name:
            return {f"user:{value['id']}": f"user:{name}"}
    return {}


def suggested(value: Any, names: Mapping[str, str] | None = None) -> list[str]:
    """Sentry's suggested owners, e.g. ``["team:backend (ownership rule)"]`` (an id Sentry's
    answers do not name stays an id: ``team:2``; none: ``[]``)."""
    found = []
    for row in value if isinstance(value, list) else []:
        if isinstance(row, dict) and row.get("owner"):
            kind = str(row.get("type") or "")
            owner = str(row["owner"])
            owner = (names or {}).get(owner, owner)
            found.append(f"{owner} ({KINDS.get(kind, kind or 'suggested')})")
    return found
