"""Time helpers of the simulator: epoch seconds inside, ISO-8601 ``Z`` strings on the wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime

#: The fixed "now" of seeded data: the simulator's clock does not move unless a test moves it.
DEFAULT_NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)

_PERIOD = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def to_epoch(value: datetime | str | float | None, *, default: int = 0) -> int:
    """Epoch seconds of a datetime, an ISO-8601 string or a number (``None`` gives ``default``)."""
    if value is None:
        return default
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def iso(epoch: int | None) -> str | None:
    """``2026-11-28T12:00:00Z`` for an epoch, ``None`` for ``None``."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_period(text: str) -> int | None:
    """Seconds in a Sentry period like ``24h`` or ``14d``; ``None`` when it is not one."""
    match = _PERIOD.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
