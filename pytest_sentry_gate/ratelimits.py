"""``X-Sentry-Rate-Limits``: what ingestion says it is dropping, parsed as the SDKs parse it.

Relay answers with ``X-Sentry-Rate-Limits: <seconds>:<categories>:<scope>[:<reason>[:…]]``, limits
separated by commas, categories by semicolons (none: every category), e.g.
``3600:error;default;security:organization:usage_exceeded`` (``shared/reference/sentry-api.md``
§13 "Ingestion answers"). The SDKs read it on every status, not only on 429: a 200 may carry a
limit on another category. Scope ``key`` is the DSN's own rate limit; ``organization`` and
``project`` are quotas or rate limits of the org or project. A malformed entry is skipped, as
sentry-python's ``_parse_rate_limits`` does. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

HEADER: Final = "X-Sentry-Rate-Limits"
#: Whose limit it is, in words.
SCOPES: Final = {
    "key": "the DSN's own rate limit",
    "project": "the project's",
    "organization": "the organization's",
    "global": "Sentry's global",
}
#: The category an error event (the smoke event) is counted in.
ERROR_CATEGORY: Final = "error"


@dataclass(frozen=True)
class RateLimit:
    """One limit: for ``seconds``, on ``categories`` (empty: all), at ``scope``, for ``reason``."""

    seconds: int
    categories: tuple[str, ...]
    scope: str
    reason: str

    def covers(self, category: str) -> bool:
        """Whether events of ``category`` are dropped by this limit."""
        return not self.categories or category in self.categories

    def describe(self) -> str:
        """E.g. ``quota usage_exceeded (the organization's) on error, default, security for 1h``."""
        what = f"quota {self.reason}" if self.reason else "rate limit"
        whose = SCOPES.get(self.scope, f"scope {self.scope}" if self.scope else "")
        cats = ", ".join(self.categories) if self.categories else "every category"
        return f"{what} ({whose}) on {cats} for {duration(self.seconds)}"


def duration(seconds: int) -> str:
    """``3600`` → ``1h``, ``90`` → ``1m30s``, ``0`` → ``0s``."""
    parts = []
    rest = seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    if rest or not parts:
        parts.append(f"{rest}s")
    return "".join(parts)


def parse(header: str | None) -> tuple[RateLimit, ...]:
    """Every well-formed limit in the header, in order (malformed entries are skipped)."""
    limits = []
    for entry in (header or "").split(","):
        fields = entry.strip().split(":")
        if len(fields) < 2 or not fields[0].strip().isdigit():
            continue
        categories = tuple(c.strip() for c in fields[1].split(";") if c.strip())
        scope = fields[2].strip() if len(fields) > 2 else ""
        reason = fields[3].strip() if len(fields) > 3 else ""
        limits.append(RateLimit(int(fields[0].strip()), categories, scope, reason))
    return tuple(limits)


def dropping(
    limits: tuple[RateLimit, ...], category: str = ERROR_CATEGORY
) -> tuple[RateLimit, ...]:
    """The limits that drop events of ``category`` (an error event: ``error``)."""
    return tuple(limit for limit in limits if limit.covers(category) and limit.seconds > 0)


def header_of(headers: dict[str, str] | None) -> str | None:
    """The header's value from a response's headers (any case), or ``None``."""
    for name, value in (headers or {}).items():
        if name.lower() == HEADER.lower():
            return value
    return None


DROPPING: Final = "Sentry is dropping this project's {category} events: {limits}"
LIMITED: Final = "ingestion named limits on other data: {limits}"


def dropping_message(limits: tuple[RateLimit, ...], category: str = ERROR_CATEGORY) -> str | None:
    """What the limits that drop ``category`` mean, in words, or ``None`` when none does."""
    found = dropping(limits, category)
    if not found:
        return None
    return DROPPING.format(category=category, limits="; ".join(x.describe() for x in found))


def other_message(limits: tuple[RateLimit, ...], category: str = ERROR_CATEGORY) -> str | None:
    """The limits on other categories (a risk, not this event's fate), or ``None``."""
    others = tuple(x for x in limits if x not in dropping(limits, category) and x.seconds > 0)
    return LIMITED.format(limits="; ".join(x.describe() for x in others)) if others else None
