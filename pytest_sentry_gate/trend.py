"""The verify_loop history: one point per run, the last ``KEEP`` runs, and sparklines of them.

A point is what one run saw: when, the unresolved count, the high-severity count, how many issues
were new and resolved since the run before, and the crash-free session and user rates of the
release under check (``None`` where the run did not read it). The checkpoint keeps the series; the
terminal line, the step summary and the agent report draw or carry it. Standard library only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

#: How many runs the checkpoint keeps.
KEEP: Final = 30
BARS: Final = "▁▂▃▄▅▆▇█"
#: A run that did not read the value: a gap in the sparkline.
GAP: Final = "·"
#: The fields of a point and the JSON types each may hold (besides ``null``).
FIELDS: Final[Mapping[str, tuple[type, ...]]] = {
    "checked_at": (str,),
    "release": (str,),
    "unresolved": (int,),
    "high_severity": (int,),
    "new": (int,),
    "resolved": (int,),
    "crash_free_sessions": (int, float),
    "crash_free_users": (int, float),
}


def point(**values: Any) -> dict[str, Any]:
    """One run's point: every field, ``None`` where the run did not read it."""
    return {name: values.get(name) for name in FIELDS}


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def from_section(
    section: Mapping[str, Any],
    checked_at: str,
    *,
    high_read: bool,
    rates: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One run's point from its verify_loop section (new and resolved are unknown on a baseline)
    and the release's crash-free rates, if they were read."""
    baseline = bool(section["baseline_established"])
    rate = rates[-1] if rates else {}
    return point(
        checked_at=checked_at,
        release=section.get("release"),
        unresolved=section["unresolved_count"],
        high_severity=len(section["high_severity"]) if high_read else None,
        new=None if baseline else section["new_since_last"]["count"],
        resolved=None if baseline else section["resolved_since_last"]["count"],
        crash_free_sessions=_rate(rate.get("crash_free_sessions")),
        crash_free_users=_rate(rate.get("crash_free_users")),
    )


def valid_point(value: Any) -> dict[str, Any]:
    """``value`` as a point; ``ValueError`` naming the field that is not well-typed."""
    if not isinstance(value, dict) or not isinstance(value.get("checked_at"), str):
        raise ValueError("a history entry is not an object with checked_at")
    for name, kinds in FIELDS.items():
        field = value.get(name)
        bad = isinstance(field, bool) or not (field is None or isinstance(field, kinds))
        if bad or (isinstance(field, float) and not math.isfinite(field)):
            raise ValueError(f"history field {name} is not a {kinds[0].__name__}")
    return point(**value)


def extend(
    history: Sequence[Mapping[str, Any]], latest: Mapping[str, Any]
) -> tuple[dict[str, Any], ...]:
    """The series with ``latest`` appended, trimmed to the last ``KEEP`` runs."""
    return tuple(dict(p) for p in (*history, latest))[-KEEP:]


def values(history: Iterable[Mapping[str, Any]], name: str) -> list[float | None]:
    return [None if p.get(name) is None else float(p[name]) for p in history]


def sparkline(series: Sequence[float | None]) -> str:
    """``▁▂▃▄▅▆▇█`` scaled between the series' minimum and maximum (a flat series: ``▄``)."""
    known = [v for v in series if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    bars = []
    for value in series:
        if value is None:
            bars.append(GAP)
        elif high == low:
            bars.append(BARS[3])
        else:
            bars.append(BARS[round((value - low) / (high - low) * (len(BARS) - 1))])
    return "".join(bars)


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.2f}%" if value <= 1 else f"{value:.2f}%"
    return str(int(value)) if value == int(value) else f"{value:g}"


def describe(history: Sequence[Mapping[str, Any]], name: str, label: str) -> str | None:
    """``unresolved ▁▃█ 3 → 9 (3 runs)``: the sparkline with the first and last values read
    (``None``: no run read it)."""
    series = values(history, name)
    known = [v for v in series if v is not None]
    if not known:
        return None
    percent = name.startswith("crash_free")
    first, last = _number(known[0], percent), _number(known[-1], percent)
    runs = f"{len(series)} run" + ("" if len(series) == 1 else "s")
    return f"{label} {sparkline(series)} {first} → {last} ({runs})"


def trend_lines(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """The sparklines of unresolved and crash-free (sessions, users) over the kept runs."""
    lines = [
        describe(history, "unresolved", "unresolved"),
        describe(history, "crash_free_sessions", "crash-free sessions"),
        describe(history, "crash_free_users", "crash-free users"),
    ]
    return [line for line in lines if line is not None]


def rising(history: Sequence[Mapping[str, Any]], latest: int, runs: int) -> list[int] | None:
    """The unresolved counts of the last ``runs`` + 1 runs (this one, ``latest``, last) when the
    count rose in each of those ``runs`` runs; ``None`` otherwise, or when ``runs`` is 0.

    A run that did not read the count ends the streak: a rise is only claimed between two counts
    that were read.
    """
    if runs <= 0:
        return None
    counts = [p.get("unresolved") for p in history[-runs:]] + [latest]
    if len(counts) < runs + 1 or not all(isinstance(c, int) for c in counts):
        return None
    known = [int(c) for c in counts if isinstance(c, int)]
    return known if all(a < b for a, b in itertools.pairwise(known)) else None
