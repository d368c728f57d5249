"""Who Sentry says owns an issue: its assignee and its suggested owners, as short text.

The issue detail carries ``assignedTo`` (``{"type": "user"|"team", "id", "name", …}`` or null)
and ``owners`` (Sentry's suggested owners, GroupOwner rows: ``{"type": "suspectCommit" |
"ownershipRule" | "codeowners", "owner": "user:<id>" | "team:<id>", "date_added"}``), both from
``GET /api/0/organizations/{org}/issues/{id}/``. Triage shows them beside the CODEOWNERS owner.
Names are Sentry's (untrusted text: escaped by the caller); an email is never shown. Pure.
"""

from __future__ import annotations

from typing import Any, Final

#: How Sentry's suggestion kinds read.
KINDS: Final = {
    "suspectCommit": "suspect commit",
    "ownershipRule": "ownership rule",
    "codeowners": "CODEOWNERS in Sentry",
}


def assignee(value: Any) -> str | None:
    """``"#backend"`` for a team, the user's name for a user, ``None`` when unassigned."""
    if not isinstance(value, dict) or not value.get("name"):
        return None
    name = str(value["name"])
    return f"#{name}" if value.get("type") == "team" else name


def suggested(value: Any) -> list[str]:
    """Sentry's suggested owners, e.g. ``["team:2 (ownership rule)"]`` (none: ``[]``)."""
    found = []
    for row in value if isinstance(value, list) else []:
        if isinstance(row, dict) and row.get("owner"):
            kind = str(row.get("type") or "")
            found.append(f"{row['owner']} ({KINDS.get(kind, kind or 'suggested')})")
    return found
