"""Triage as pure functions: buckets, frame paths, key tags, the fix version, safe text.

Buckets follow the runbook's order:

1. ``new``: with a previous checkpoint, unresolved now but not at the previous check (the very
   ids verify_loop counts as new, so one run says one thing); without one, first seen (over the
   issue's lifetime) within the last 24 hours;
2. ``urgent``: fatal, high priority, escalating, regressed, or unhandled with many users. A new
   issue that is urgent is in both buckets: "new" says it appeared, "urgent" asks to act today;
3. ``recurring``: many events per user, or long-lived; only an issue in neither bucket above.

Titles, culprits, messages and tags come from whoever triggered the error: ``safe`` escapes
control characters (terminal escapes, newlines) before anything is printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.assignees import assignee, suggested, user_names
from pytest_sentry_gate.redact import active

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.issues import IssueSummary, QueryResult

BUCKETS: Final = ("new", "urgent", "recurring")
NEW_WINDOW: Final = timedelta(hours=24)
MANY_USERS: Final = 10
EVENTS_PER_USER: Final = 10.0
LONG_LIVED: Final = timedelta(days=30)
KEY_TAGS: Final = ("os", "os.name", "browser", "browser.name", "device", "environment")
TEXT_LIMIT: Final = 200
NOT_AT_LAST_CHECK: Final = "not unresolved at the last check (first seen {first})"
#: One query per reason ``why_urgent`` gives, in its order (with its sort): when each one's page
#: held all its issues, every likely urgent issue was read, however large the backlog.
URGENT_QUERIES: Final[tuple[tuple[str, dict[str, str]], ...]] = (
    ("is:unresolved level:fatal", {}),
    ("is:unresolved issue.priority:high", {}),
    ("is:unresolved is:escalating", {}),
    ("is:unresolved is:regressed", {}),
    ("is:unresolved error.unhandled:true", {"sort": "user"}),
)
#: Why an urgent query's page may have left a likely urgent issue unread.
MORE_THAN_A_PAGE: Final = "{query} has more issues than the {read} of its first page"
NOT_SUPPORTED: Final = "this Sentry does not support {terms} (in {query})"
_SCHEME_HOST: Final = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]*", re.IGNORECASE)


def parse_time(text: str) -> datetime | None:
    """An ISO-8601 time from Sentry (``Z`` or an offset), or ``None``."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def why_urgent(issue: IssueSummary) -> str | None:
    """Why the issue is likely urgent, or ``None``."""
    if issue.level == "fatal":
        return "fatal"
    if issue.priority == "high":
        return "high priority"
    if issue.substatus in ("escalating", "regressed"):
        return issue.substatus
    if issue.unhandled and issue.users >= MANY_USERS:
        return f"unhandled, {issue.users} users"
    return None


def urgent_unread(pages: Iterable[QueryResult]) -> list[str]:
    """Why a likely urgent issue may be on none of ``URGENT_QUERIES``' pages (``pages``, in that
    order): a page with more issues behind it, or a query this Sentry could not answer as asked;
    ``[]`` when the pages held every issue their queries select."""
    why: list[str] = []
    for page in pages:
        if page.unsupported:
            why.append(NOT_SUPPORTED.format(query=page.query, terms=", ".join(page.unsupported)))
        elif not page.exact:
            why.append(MORE_THAN_A_PAGE.format(query=page.query, read=len(page.issues)))
    return why


def why_recurring(issue: IssueSummary, now: datetime) -> str | None:
    """Why the issue is recurring or noisy, or ``None``."""
    if issue.events >= EVENTS_PER_USER * max(issue.users, 1):
        return f"{issue.events} events for {issue.users} users"
    first = parse_time(issue.first_seen)
    if first is not None and now - first >= LONG_LIVED:
        return f"open since {issue.first_seen[:10]}"
    return None


def bucket(
    issues: Iterable[IssueSummary],
    *,
    since: datetime | None,
    now: datetime,
    new_ids: frozenset[str] | None = None,
) -> dict[str, list[tuple[IssueSummary, str]]]:
    """Each issue in its bucket(s) with the reason; duplicates (by id) counted once.

    ``new_ids`` (the checkpoint's delta, when there is a checkpoint) decides the ``new`` bucket;
    without it, ``since`` (the previous check's time; ``None``: the last 24 hours) does. Within a
    bucket, issues keep the most users first, then the most events.
    """
    cutoff = since if since is not None else now - NEW_WINDOW
    result: dict[str, list[tuple[IssueSummary, str]]] = {name: [] for name in BUCKETS}
    seen: set[str] = set()
    for issue in issues:
        if issue.id in seen:
            continue
        seen.add(issue.id)
        if new_ids is not None:
            new = issue.id in new_ids
            why_new = NOT_AT_LAST_CHECK.format(first=issue.first_seen)
        else:
            first = parse_time(issue.first_seen)
            new = first is not None and first > cutoff
            why_new = f"first seen {issue.first_seen}"
        if new:
            result["new"].append((issue, why_new))
        reason = why_urgent(issue)
        if reason is not None:  # new and urgent: in both buckets
            result["urgent"].append((issue, reason))
        elif not new and (reason := why_recurring(issue, now)) is not None:
            result["recurring"].append((issue, reason))
    for entries in result.values():
        entries.sort(key=lambda e: (-e[0].users, -e[0].events, e[0].id))
    return result


def normalise_path(path: str | None) -> str | None:
    """A frame's path relative to the repository: ``./src/a.ts``, ``webpack:///src/a.ts`` and
    ``app://localhost/src/a.ts`` all become ``src/a.ts``."""
    if not path:
        return None
    text = _SCHEME_HOST.sub("", path.strip())
    text = text.lstrip("/")
    while text.startswith(("./", "../", "~/")):
        text = text.split("/", 1)[1] if "/" in text else ""
    text = text.split("?", 1)[0].split("#", 1)[0]
    return text or None


@dataclass(frozen=True)
class Frame:
    """The top in-app frame: file (as reported and normalised), line and function."""

    file: str
    path: str | None
    line: int | None
    function: str | None

    def describe(self) -> str:
        return f"{self.path or self.file}:{self.line or '?'}:{self.function or '?'}"


def _exception_frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    for entry in event.get("entries") or ():
        if not isinstance(entry, dict) or entry.get("type") != "exception":
            continue
        for value in (entry.get("data") or {}).get("values") or ():
            stack = (value or {}).get("stacktrace") or {}
            frames.extend(f for f in stack.get("frames") or () if isinstance(f, dict))
    return frames


def top_in_app_frame(event: dict[str, Any]) -> Frame | None:
    """The innermost in-app frame of the event's exception (frames are listed outermost first)."""
    for frame in reversed(_exception_frames(event)):
        if not frame.get("inApp"):
            continue
        file = str(frame.get("filename") or frame.get("absPath") or "")
        if not file:
            continue
        line = frame.get("lineNo")
        return Frame(
            file=file,
            path=normalise_path(file),
            line=line if isinstance(line, int) else None,
            function=frame.get("function"),
        )
    return None


def key_tags(tags: Sequence[Any]) -> dict[str, str]:
    """The tags that matter for reproduction (os, browser, device, environment)."""
    found: dict[str, str] = {}
    for tag in tags:
        if isinstance(tag, dict):
            key, value = tag.get("key"), tag.get("value")
            if value is None and tag.get("topValues"):
                value = (tag["topValues"][0] or {}).get("value")
        elif isinstance(tag, list | tuple) and len(tag) == 2:
            key, value = tag
        else:
            continue
        if key in KEY_TAGS and value is not None and key not in found:
            found[str(key)] = safe(str(value))
    return found


def safe(text: str, limit: int = TEXT_LIMIT) -> str:
    """Untrusted text made safe to print: the run's secrets hidden, control characters escaped,
    then the length capped (redacted before it is cut: a cut secret would no longer match)."""
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in active()(text))
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def _version_of(ref: Any) -> str | None:
    return str(ref.get("version")) if isinstance(ref, dict) and ref.get("version") else None


def hints(
    issue: IssueSummary,
    reason: str,
    *,
    detail: dict[str, Any] | None,
    event: dict[str, Any] | None,
    owner_of: Any,
    release: str | None,
    actors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What a person needs to act on one issue; Sentry's text kept as data, escaped.

    ``owner_of`` maps a repository path to its owners as text (``Owners.describe``); ``actors``
    names Sentry's actor ids (``team:<id>`` -> ``team:<slug>``, ``sentry/actors.py``).
    """
    from pytest_sentry_gate.repo.release_name import next_patch  # (a run without a mode: unread)

    assigned = (detail or {}).get("assignedTo")
    names = {**(actors or {}), **user_names(assigned)}
    frame = top_in_app_frame(event) if event else None
    tags = key_tags((event or {}).get("tags") or ()) or key_tags((detail or {}).get("tags") or ())
    return {
        "id": issue.id,
        "short_id": safe(issue.short_id),
        "title": safe(issue.title),
        "culprit": safe(issue.culprit),
        "permalink": issue.permalink,
        "level": issue.level,
        "priority": issue.priority,
        "events": issue.events,
        "users": issue.users,
        "first_seen": issue.first_seen,
        "last_seen": issue.last_seen,
        "why": reason,
        "top_frame": safe(frame.describe()) if frame else None,
        "tags": tags,
        "first_release": _version_of((detail or {}).get("firstRelease")),
        "last_release": _version_of((detail or {}).get("lastRelease")),
        "owner": owner_of(frame.path if frame else None),
        "sentry_assignee": safe(who) if (who := assignee(assigned)) else None,
        "suggested_owners": [safe(o) for o in suggested((detail or {}).get("owners"), names)],
        "fix_version": next_patch(release) if release else None,
        "details_read": detail is not None and event is not None,
    }
