"""The project's issues as data: an issue summary, a query's result, the unresolved listing, the
count, an issue's details. Frozen values the readers of ``issues.py`` return and the checks judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pytest_sentry_gate.errors import ApiError

#: Fields of an issue summary kept in facts (everything else of the list response is dropped).
SUMMARY_FIELDS: Final = (
    "id",
    "shortId",
    "title",
    "culprit",
    "permalink",
    "level",
    "status",
    "substatus",
    "priority",
    "isUnhandled",
    "count",
    "userCount",
    "firstSeen",
    "lastSeen",
)


@dataclass(frozen=True)
class IssueSummary:
    """One issue as the list shows it. Title and culprit are untrusted text (data, never code)."""

    id: str
    short_id: str
    title: str
    culprit: str
    permalink: str
    level: str
    substatus: str | None
    priority: str | None
    unhandled: bool
    events: int
    users: int
    first_seen: str
    last_seen: str

    def snapshot(self) -> dict[str, Any]:
        """The report's snapshot of the issue (short id, title, level, events, users, link)."""
        return {
            "id": self.id,
            "short_id": self.short_id,
            "title": self.title,
            "level": self.level,
            "priority": self.priority,
            "events": self.events,
            "users": self.users,
            "last_seen": self.last_seen,
            "permalink": self.permalink,
        }


def lifetime_first_seen(raw: dict[str, Any]) -> str:
    """When the issue was first seen at all: ``lifetime.firstSeen``. With a window the top-level
    ``firstSeen`` is the first event *in the window* (an old issue back 3 h ago: 3 h ago;
    ``reference/sentry-api.md`` §13 "Window-scoped issue fields"); it is the fallback."""
    lifetime = raw.get("lifetime")
    if isinstance(lifetime, dict) and lifetime.get("firstSeen"):
        return str(lifetime["firstSeen"])
    return str(raw.get("firstSeen") or "")


def summary(raw: dict[str, Any]) -> IssueSummary:
    """An ``IssueSummary`` from one item of the issue list (``count`` is a string there): events
    and users in the window, first seen over the issue's lifetime."""
    try:
        events = int(raw.get("count") or 0)
    except (TypeError, ValueError):
        events = 0
    return IssueSummary(
        id=str(raw.get("id", "")),
        short_id=str(raw.get("shortId") or raw.get("id", "")),
        title=str(raw.get("title") or ""),
        culprit=str(raw.get("culprit") or ""),
        permalink=str(raw.get("permalink") or ""),
        level=str(raw.get("level") or "unknown"),
        substatus=raw.get("substatus"),
        priority=raw.get("priority"),
        unhandled=bool(raw.get("isUnhandled")),
        events=events,
        users=int(raw.get("userCount") or 0),
        first_seen=lifetime_first_seen(raw),
        last_seen=str(raw.get("lastSeen") or ""),
    )


@dataclass(frozen=True)
class QueryResult:
    """One query: its total (``X-Hits``, "at least" when capped), and its first page."""

    query: str
    period: str
    total: int
    exact: bool
    issues: tuple[IssueSummary, ...]
    endpoint: str
    #: What was changed for this server (``search_compat``), and the terms it does not support.
    notes: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    #: ``X-Hits`` reached ``X-Max-Hits``: the total is "at least".
    capped: bool = False

    def evidence(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "query": self.query,
            "statsPeriod": self.period,
            "count": self.total,
            "exact": self.exact,
            "endpoint": self.endpoint,
        }
        if self.notes:
            found.update(notes=list(self.notes), unsupported=list(self.unsupported))
        return found


@dataclass(frozen=True)
class UnresolvedListing:
    """Every unresolved issue id of the project in the window, and the header count beside it."""

    ids: frozenset[str] = field(repr=False)
    hits: int | None
    max_hits: int | None
    requests: int
    period: str
    endpoint: str
    first_page: tuple[IssueSummary, ...] = field(repr=False)
    #: The tool's own smoke-test issue(s) the walk left out (``X-Hits`` counts them).
    left_out: int = 0
    #: Previous ids not walked but still unresolved per ``?group=`` (``walk_check``): never
    #: "resolved", kept in the checkpoint.
    kept: frozenset[str] = field(default=frozenset(), repr=False)
    #: Why this walk's size cannot be trusted against ``X-Hits`` (``walk_check.disagreement``):
    #: no checkpoint is written from it, and no triage count is called exact.
    disagreement: str | None = None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def tracked(self) -> frozenset[str]:
        """The ids to compare and keep: walked, plus the re-checked still-unresolved ones."""
        return self.ids | self.kept


@dataclass(frozen=True)
class IssueDetails:
    """An issue's detail (release window, tags) and its latest event, as read (or the error)."""

    issue: dict[str, Any] | ApiError
    latest_event: dict[str, Any] | ApiError


@dataclass(frozen=True)
class UnresolvedCount:
    """The exact unresolved count, and how it was obtained (``at_least``: the capped header)."""

    value: int
    source: str  # "x-hits", "x-hits estimate" or "id listing"
    at_least: int | None
    period: str
    query: str
    requests: int
    endpoint: str
    #: False: ``value`` is Sentry's estimate (``X-Hits`` past one page): say "about".
    exact: bool = True
