"""The parsers of the numeric settings: thresholds, counts, seconds and the time window.

Every numeric setting has a finite upper bound, so an absurd value (``1e308``, a 5,000-digit
number) is a usage error naming the value (cut to a readable length) and its source.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from pytest_sentry_gate.setting_parsers import Parser, Source, bad, text_of

PERIOD_RE: Final = re.compile(r"^(\d+)([smhdw])$")
#: Issue search covers at most 90 days; Sentry silently shortens a longer ``statsPeriod``
#: (``reference/sentry-api.md`` §13 "Retention").
MAX_PERIOD_SECONDS: Final = 90 * 86400
TOO_LONG: Final = (
    "at most 90d (Sentry's issue search covers 90 days and silently shortens a longer window)"
)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_period(value: Any, source: Source) -> str:
    text = text_of(value)
    match = PERIOD_RE.match(text)
    allowed = "a positive number with a unit s, m, h, d or w, such as 24h or 14d"
    if not match or int(match.group(1)) <= 0:
        raise bad("time window", text, source, allowed)
    if int(match.group(1)) * _UNIT_SECONDS[match.group(2)] > MAX_PERIOD_SECONDS:
        raise bad("time window", text, source, TOO_LONG)
    return text


def parse_number(
    what: str,
    *,
    whole: bool = False,
    low: float = 0.0,
    high: float = math.inf,
    above: bool = False,
    unit: str = "",
) -> Parser:
    """A parser for a finite number in ``[low, high]`` (``(low, high]`` with ``above``).

    Every numeric setting has a finite ``high``: an absurd value (``1e308``) is a usage error
    here, not an ``OverflowError`` in every check that uses it.
    """
    bound = f"above {low:g}" if above else f"at least {low:g}"
    allowed = f"{'a whole number' if whole else 'a number'}{f' of {unit}' if unit else ''} {bound}"
    if high != math.inf:
        allowed += f" and at most {high:g}"

    def parse(value: Any, source: Source) -> float | int:
        text = text_of(value)
        number: float | int
        try:
            number = int(text) if whole else float(text)
        except ValueError:  # also a whole number of more digits than Python converts
            number = math.nan
        if whole and abs(number) > high:  # before math.isfinite, which overflows on a huge int
            raise bad(what, _shown(text), source, allowed)
        if not math.isfinite(number) or number < low or number > high or (above and number == low):
            raise bad(what, _shown(text), source, allowed)
        return number

    return parse


#: Seconds to wait for one Sentry response: above 0, at most ten minutes.
parse_seconds = parse_number("timeout", above=True, high=600.0, unit="seconds")


def _shown(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message (a 5,000-digit number stays readable)."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
