"""Issue search: the ``query`` terms, time windows, projects, environments and sort orders.

Terms are space separated and ANDed (Sentry allows no AND/OR in issue search); ``!key:value``
negates one. Supported keys: ``is:`` (statuses, substatuses, ``assigned``/``unassigned``,
``for_review``, ``linked``/``unlinked``), ``level:``, ``release:``, ``firstRelease:`` (and
``first-release:``/``first_release:``), ``regressed_in_release:``, ``firstSeen:``/``age:``/
``lastSeen:`` (``-24h``, ``+7d``, ``>2026-11-01``, ``<=…``), ``issue.priority:``,
``issue.category:``, ``error.unhandled:``, ``timesSeen:``, ``environment:``; values may be lists
(``level:[error,fatal]``) and quoted. A word without a colon matches titles and culprits.
Anything else is ``InvalidQuery`` (HTTP 400).

Results are cached per (data version, filters, sort), so paging 50,000 issues page by page does
not re-filter and re-sort on every request.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .clock import parse_period, to_epoch
from .data import SimulatorData
from .legacy import PARSE_ERROR
from .model import Issue

INVALID_QUERY = "Invalid query. {reason}"
DEFAULT_QUERY = "is:unresolved"
_ID_SPAN = 10**12  # sort keys are field * span + id: ints compare faster than tuples
SORTS: dict[str, Callable[[Issue], int]] = {
    "date": lambda i: i.last_seen * _ID_SPAN + i.id,
    "new": lambda i: i.first_seen * _ID_SPAN + i.id,
    "freq": lambda i: i.count * _ID_SPAN + i.id,
    "user": lambda i: i.user_count * _ID_SPAN + i.id,
    "trends": lambda i: i.last_seen * _ID_SPAN + i.id,
    "inbox": lambda i: i.first_seen * _ID_SPAN + i.id,
    "recommended": lambda i: i.last_seen * _ID_SPAN + i.id,
}
STATUSES = {"unresolved", "resolved", "ignored", "reprocessing"}
STATUS_ALIASES = {"archived": "ignored", "muted": "ignored"}
SUBSTATUS_PARENT = {
    "archived_until_escalating": "ignored",
    "archived_until_condition_met": "ignored",
    "archived_forever": "ignored",
    "escalating": "unresolved",
    "ongoing": "unresolved",
    "regressed": "unresolved",
    "new": "unresolved",
}
LEVELS = {"sample", "debug", "info", "warning", "error", "fatal", "unknown"}
PRIORITIES = {"low", "medium", "high"}
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_DATE_TERM = re.compile(r"^([-+])(\d+[smhdw])$|^(>=|<=|>|<)?(.+)$")
_NUMBER_TERM = re.compile(r"^(>=|<=|>|<)?(\d+)$")

Predicate = Callable[[Issue], bool]


class InvalidQuery(ValueError):
    """A query term the simulator (like Sentry) refuses; the message is the 400 ``detail``."""


@dataclass(frozen=True)
class IssueFilter:
    """Everything that selects issues, hashable for the cache."""

    org: str
    project_ids: tuple[int, ...]
    environments: tuple[str, ...]
    query: str
    since: int | None
    until: int | None
    sort: str


_CACHE_SIZE = 32


def search(data: SimulatorData, flt: IssueFilter) -> list[Issue]:
    """The matching issues, sorted (newest/biggest first). Raises ``InvalidQuery``."""
    _cache: OrderedDict[tuple[int, object], list[Issue]] = data.search_cache
    key = (data.version, flt)
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    if flt.sort not in SORTS:
        raise InvalidQuery(INVALID_QUERY.format(reason=f"Invalid sort: {flt.sort}"))
    predicates = parse_query(flt.query, data)
    items = _ordered(data, flt.sort)
    projects = set(flt.project_ids)
    if projects != set(data.projects):
        items = [i for i in items if i.project_id in projects]
    if flt.environments:
        envs = set(flt.environments)
        items = [i for i in items if i.environment in envs]
    if flt.since is not None:
        since = flt.since
        items = [i for i in items if i.last_seen >= since]
    if flt.until is not None:
        until = flt.until
        items = [i for i in items if i.first_seen <= until]
    for predicate in predicates:
        items = [i for i in items if predicate(i)]
    _cache[key] = items
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return items


def _ordered(data: SimulatorData, sort: str) -> list[Issue]:
    """Every issue in ``sort`` order, computed once per data version."""
    key = (data.version, ("order", sort))
    cached = data.search_cache.get(key)
    if cached is None:
        cached = sorted(data.issues, key=SORTS[sort], reverse=True)
        data.search_cache[key] = cached
    return cached


def _values(raw: str) -> list[str]:
    raw = raw.strip('"')
    if raw.startswith("[") and raw.endswith("]"):
        return [v.strip().strip('"') for v in raw[1:-1].split(",") if v.strip()]
    return [raw]


def parse_query(query: str, data: SimulatorData) -> list[Predicate]:
    """Predicates for a query string (see the module docstring)."""
    terms = _TOKEN.findall(query)
    has_status = any(t.startswith("is:") and t[3:] in STATUSES | set(STATUS_ALIASES) for t in terms)
    predicates: list[Predicate] = []
    for term in terms:
        negate = term.startswith("!")
        body = term[1:] if negate else term
        key, colon, raw = body.partition(":")
        if not colon:
            predicate = _text(body.strip('"').lower())
        else:
            predicate = _term(key, _values(raw), data, has_status)
        predicates.append(_negate(predicate) if negate else predicate)
    return predicates


def _text(word: str) -> Predicate:
    return lambda i: word in i.title.lower() or word in i.culprit.lower()


def _negate(predicate: Predicate) -> Predicate:
    return lambda i: not predicate(i)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda i: first(i) and second(i)


def _field_is(name: str, value: object) -> Predicate:
    if name == "status":
        return lambda i: i.status == value
    return lambda i: i.substatus == value


def _term(key: str, values: list[str], data: SimulatorData, has_status: bool) -> Predicate:
    if key == "is":
        unknown = [v for v in values if v in data.server.unsupported_is]
        if unknown:
            valid = sorted(STATUSES | {"assigned", "unassigned"})
            raise InvalidQuery(PARSE_ERROR.format(valid=valid))
        return _is_term(values, has_status)
    if key == "level":
        _check(values, LEVELS, "Invalid level value")
        levels = set(values)
        return lambda i: i.level in levels
    if key == "issue.priority" and not data.server.priority:
        return lambda i: False  # an unknown tag before issue priority: matches nothing
    if key == "issue.priority":
        _check(values, PRIORITIES, "Invalid priority value")
        priorities = set(values)
        return lambda i: i.priority in priorities
    if key == "release":  # any event of the issue tagged with the release, not only first/last
        versions = set(_latest(values, data))
        stored = data._events_by_issue
        return lambda i: (
            i.last_release in versions
            or i.first_release in versions
            or any(data.events[e].release in versions for e in stored.get(i.id, ()))
        )
    if key == "regressed_in_release":  # GroupHistory: regressed in the release, at any time
        versions = set(_latest(values, data))
        return lambda i: any(r in versions for r in i.regressed_in)
    if key in ("firstRelease", "first-release", "first_release"):
        versions = set(_latest(values, data))
        return lambda i: i.first_release in versions
    if key in ("firstSeen", "age", "first_seen"):
        return _date_term(values[0], data, lambda i: i.first_seen)
    if key in ("lastSeen", "last_seen"):
        return _date_term(values[0], data, lambda i: i.last_seen)
    if key in ("environment",):
        envs = set(values)
        return lambda i: i.environment in envs
    if key == "issue.category":
        categories = set(values)
        return lambda i: i.category in categories
    if key == "error.unhandled":
        wanted = values[0].lower() in ("true", "1", "yes")
        return lambda i: i.is_unhandled == wanted
    if key in ("timesSeen", "times_seen"):
        match = _NUMBER_TERM.match(values[0])
        if match is None:
            raise InvalidQuery(INVALID_QUERY.format(reason=f"Invalid number: {values[0]}"))
        return _compare(match.group(1) or "=", int(match.group(2)), lambda i: i.count)
    raise InvalidQuery(INVALID_QUERY.format(reason=f"Invalid search term: {key}"))


def _check(values: list[str], allowed: set[str], reason: str) -> None:
    for value in values:
        if value not in allowed:
            raise InvalidQuery(INVALID_QUERY.format(reason=f"{reason}: {value}"))


def _latest(values: list[str], data: SimulatorData) -> list[str]:
    if "latest" not in values:
        return values
    newest = max(data.releases.values(), key=lambda r: (r.date_created, r.id), default=None)
    return [v for v in values if v != "latest"] + ([newest.version] if newest else [])


def _is_term(values: list[str], has_status: bool) -> Predicate:
    preds: list[Predicate] = []
    for value in values:
        value = STATUS_ALIASES.get(value, value)
        if value in STATUSES:
            preds.append(_field_is("status", value))
        elif value in SUBSTATUS_PARENT and has_status:
            preds.append(_field_is("substatus", value))
        elif value in SUBSTATUS_PARENT:  # a substatus implies its parent status
            preds.append(
                _both(_field_is("substatus", value), _field_is("status", SUBSTATUS_PARENT[value]))
            )
        elif value == "unassigned":
            preds.append(lambda i: i.assigned_to is None)
        elif value == "assigned":
            preds.append(lambda i: i.assigned_to is not None)
        elif value == "for_review":
            preds.append(lambda i: i.status == "unresolved" and i.substatus in ("new", "regressed"))
        elif value == "unlinked":
            preds.append(lambda i: True)
        elif value == "linked":
            preds.append(lambda i: False)
        else:
            raise InvalidQuery(INVALID_QUERY.format(reason=f"Invalid status value: {value}"))
    if len(preds) == 1:
        return preds[0]
    return lambda i: any(p(i) for p in preds)


def _compare(op: str, bound: int, get: Callable[[Issue], int]) -> Predicate:
    ops: dict[str, Predicate] = {
        ">": lambda i: get(i) > bound,
        ">=": lambda i: get(i) >= bound,
        "<": lambda i: get(i) < bound,
        "<=": lambda i: get(i) <= bound,
        "=": lambda i: get(i) == bound,
    }
    return ops[op]


def _date_term(raw: str, data: SimulatorData, get: Callable[[Issue], int]) -> Predicate:
    match = _DATE_TERM.match(raw)
    if match is None:  # pragma: no cover - the pattern matches any text
        raise InvalidQuery(INVALID_QUERY.format(reason=f"Invalid date: {raw}"))
    sign, period, op, text = match.groups()
    if period is not None:
        cutoff = data.now_epoch - (parse_period(period) or 0)
        # "-24h": within the last 24 hours; "+24h": older than 24 hours.
        return _compare(">=" if sign == "-" else "<=", cutoff, get)
    try:
        when = to_epoch(text)
    except ValueError:
        raise InvalidQuery(INVALID_QUERY.format(reason=f"Invalid date: {raw}")) from None
    return _compare(op or ">=", when, get)
