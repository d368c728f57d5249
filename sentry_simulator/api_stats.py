"""The organization's outcomes (``stats_v2``), a release's deploys and the organization's teams,
in Sentry's shapes.

``GET /api/0/organizations/{org}/stats_v2/`` follows Sentry's ``src/sentry/snuba/outcomes.py``
(``QueryDefinition``, the dimensions' ``map_row``) and ``sessions_v2.massage_sessions_result``:
``field`` is required and one of ``sum(quantity)``/``sum(times_seen)`` (else 400 ``Invalid
field: "…"``); ``groupBy`` values are ``outcome``, ``category``, ``reason``, ``project`` (else 400
``Invalid groupBy: "…"``); a query without ``category`` as a filter or a grouping is refused
("Query must have category as groupby or filter"); ``error``, ``default`` and ``security`` rows
are served together as ``error``; the answer is ``{start, end, intervals, groups: [{by, totals,
series}]}`` (``shared/sentry-api/openapi-derefed.json`` ``listOrganizationStatsV2``;
``shared/reference/sentry-api.md`` §13 "Outcomes"). Scope ``org:read``.

``GET /api/0/organizations/{org}/releases/{version}/deploys/`` answers the release's deploys,
newest finished first, each ``{id, environment, dateStarted, dateFinished, name, url}`` (the
schema's ``listOrganizationReleaseDeploys``), paginated with a cursor.

``GET /api/0/organizations/{org}/teams/`` (``listOrganizationTeams``, scope ``org:read``) answers
the teams, each with at least ``id`` (a string), ``slug`` and ``name``: what turns a suggested
owner ``team:<id>`` into its slug.
"""

from __future__ import annotations

from typing import Any, Final

from .api_core import _project_ids, get_org
from .api_releases import _release
from .clock import iso, parse_period
from .data import SimulatorData
from .model import OutcomeRow
from .serialize_issues import deploy
from .wire import HttpError, Reply, Request, paginate

FIELDS: Final = ("sum(quantity)", "sum(times_seen)")
GROUP_BY: Final = ("outcome", "category", "reason", "project")
#: Relay's categories that Sentry reports together as ``error`` (``DataCategory.error_categories``).
ERROR_CATEGORIES: Final = ("error", "default", "security")
INVALID_FIELD: Final = 'Invalid field: "{field}"'
NO_FIELD: Final = 'At least one "field" is required.'
INVALID_GROUP_BY: Final = 'Invalid groupBy: "{group}"'
NEEDS_CATEGORY: Final = "Query must have category as groupby or filter"
INVALID_INTERVAL: Final = "Invalid interval: {value}"
HOUR: Final = 3600


def _api_category(category: str) -> str:
    return "error" if category in ERROR_CATEGORIES else category


def _value(row: OutcomeRow, group: str) -> Any:
    if group == "outcome":
        return row.outcome
    if group == "category":
        return _api_category(row.category)
    if group == "reason":
        return row.reason
    return row.project_id


def _wanted(req: Request, row: OutcomeRow) -> bool:
    for name in ("outcome", "reason"):
        values = req.args(name)
        if values and _value(row, name) not in values:
            return False
    categories = {_api_category(c) for c in req.args("category")}
    return not categories or _api_category(row.category) in categories


def stats_v2(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/stats_v2/``: the outcomes, grouped and bucketed."""
    found = get_org(data, org)
    fields = req.args("field")
    if not fields:
        raise HttpError(400, NO_FIELD)
    for name in fields:
        if name not in FIELDS:
            raise HttpError(400, INVALID_FIELD.format(field=name))
    groups = req.args("groupBy")
    for group in groups:
        if group not in GROUP_BY:
            raise HttpError(400, INVALID_GROUP_BY.format(group=group))
    if "category" not in groups and not req.args("category"):
        raise HttpError(400, NEEDS_CATEGORY)
    step = parse_period(req.arg("interval") or "1h")
    if step is None or step < HOUR or 86400 % step:
        raise HttpError(400, INVALID_INTERVAL.format(value=req.arg("interval")))
    seconds = parse_period(req.arg("statsPeriod") or "14d") or 14 * 86400
    end = data.now_epoch - data.now_epoch % step + step
    start = end - max(seconds // step, 1) * step
    intervals = list(range(start, end, step))
    ids = set(_project_ids(data, found, req.args("project")))
    buckets: dict[tuple[Any, ...], list[int]] = {}
    with data.lock:
        rows = [r for r in data.outcomes if r.project_id in ids and start <= r.timestamp < end]
    for row in rows:
        if not _wanted(req, row):
            continue
        key = tuple(_value(row, g) for g in groups)
        series = buckets.setdefault(key, [0] * len(intervals))
        series[(row.timestamp - start) // step] += row.quantity
    body_groups = []
    for key, series in sorted(buckets.items(), key=str):
        body_groups.append(
            {
                "by": dict(zip(groups, key, strict=True)),
                "totals": {name: sum(series) for name in fields},
                "series": {name: list(series) for name in fields},
            }
        )
    body = {
        "start": iso(start),
        "end": iso(end),
        "intervals": [iso(t) for t in intervals],
        "groups": body_groups,
    }
    return Reply(body=body)


def release_deploys(data: SimulatorData, req: Request, org: str, version: str) -> Reply:
    """``GET /api/0/organizations/{org}/releases/{version}/deploys/``, newest finished first."""
    found = get_org(data, org)
    item = _release(data, found, version, None)
    deploys = sorted(item.deploys, key=lambda d: (d.finished, d.id), reverse=True)
    chunk, headers = paginate(req, deploys)
    body = [deploy(d) for d in chunk]
    return Reply(body=body, headers=headers)


def teams(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/teams/``: the organization's teams, by slug."""
    found = get_org(data, org)
    with data.lock:
        mine = sorted((slug, tid) for (o, tid), slug in data.teams.items() if o == found.slug)
    chunk, headers = paginate(req, mine)
    body: list[dict[str, Any]] = [
        {
            "id": str(tid), "slug": slug, "name": slug.replace("-", " ").title(),
            "dateCreated": None, "isMember": False, "teamRole": None,
            "flags": {"idp:provisioned": False}, "access": [], "hasAccess": True,
            "isPending": False, "memberCount": 1,
            "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
        }
        for slug, tid in chunk
    ]  # fmt: skip
    return Reply(body=body, headers=headers)
