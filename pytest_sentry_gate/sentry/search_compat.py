"""Issue queries on servers that do not support every term (``reference/sentry-api.md`` §13
"Priority"): the fallbacks, and how to tell an unsupported term from a broken query.

- **No issue priority** (self-hosted before 2024): issues carry no ``priority`` field and
  ``issue.priority:`` is an unknown tag that matches nothing, silently. ``without_priority``
  turns ``issue.priority:high`` into ``level:[fatal,error]`` (Sentry derives a new error's
  priority from its level: fatal → high, error → high without a severity score, warning →
  medium, info/debug → low), or drops it when the query names a level itself.
- **400 "Error parsing search query" / "Invalid field"**: the server does not know a term. The
  term is found by asking without each term in turn (the message does not name it); its
  ``FALLBACKS`` entry replaces it, or, without one, the query is not counted and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from pytest_sentry_gate.errors import ApiError

#: The 400 details of a server that does not support a term or field.
UNSUPPORTED_DETAILS: Final = ("Error parsing search query", "Invalid field")
_TOKEN: Final = re.compile(r'(?:[^\s"]+|"[^"]*")+')
PRIORITY_LEVELS: Final = {
    "high": ("fatal", "error"),
    "medium": ("warning",),
    "low": ("info", "debug"),
}
NO_PRIORITY: Final = "this Sentry has no issue priority (self-hosted before 2024): {term} {change}"
UNSUPPORTED: Final = "this Sentry does not support {term}: {fallback}"


def _regressed(value: str) -> str:
    return f"is:regressed release:{value}"


#: Term key -> the replacement of ``key:value`` ("" drops the term).
FALLBACKS: Final[dict[str, Callable[[str], str]]] = {
    "regressed_in_release": _regressed,
    "issue.category": lambda _value: "",
    "issue.priority": lambda value: _levels(value.strip("[]").split(",")),
}


def terms(text: str) -> list[str]:
    """The query's terms (quoted values kept whole)."""
    return _TOKEN.findall(text)


def _levels(priorities: list[str]) -> str:
    levels = [lv for p in priorities for lv in PRIORITY_LEVELS.get(p.strip(), ())]
    return f"level:[{','.join(dict.fromkeys(levels))}]" if levels else ""


def without_priority(text: str) -> tuple[str, str | None]:
    """``text`` for a server without issue priority, and the sentence saying what changed."""
    found = terms(text)
    wanted = [t for t in found if t.startswith("issue.priority:")]
    if not wanted:
        return text, None
    has_level = any(t.startswith("level:") for t in found)
    kept = [t for t in found if t not in wanted]
    replacement = "" if has_level else _levels(wanted[0].partition(":")[2].strip("[]").split(","))
    change = f"became {replacement}" if replacement else "was dropped (the query names a level)"
    new = " ".join([*kept, replacement] if replacement else kept)
    return new, NO_PRIORITY.format(term=" ".join(wanted), change=change)


def unsupported(error: ApiError) -> bool:
    """A 400 saying the server does not know a term or field."""
    return error.status == 400 and any(d in error.message for d in UNSUPPORTED_DETAILS)


def optional_terms(text: str) -> list[str]:
    """Terms that may be the unsupported one, last first (``is:unresolved`` is always known)."""
    return [t for t in reversed(terms(text)) if t != "is:unresolved"]


def replace(text: str, term: str, by: str) -> str:
    """``text`` with ``term`` replaced by ``by`` ("" removes it)."""
    return " ".join(by if t == term else t for t in terms(text) if by or t != term).strip()


def fallback(term: str) -> str | None:
    """The replacement of an unsupported ``term`` ("" drops it), or ``None``: no fallback."""
    key, _, value = term.lstrip("!").partition(":")
    make = FALLBACKS.get(key)
    return None if make is None or term.startswith("!") else make(value)
