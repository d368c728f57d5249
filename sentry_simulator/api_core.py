"""Endpoints for the API root, organizations, projects, client keys, issues and events."""

from __future__ import annotations

from .clock import parse_period, to_epoch
from .data import SimulatorData
from .faults import DETAIL_NO_PERMISSION, DETAIL_NOT_FOUND
from .model import Event, Issue, Organization, Project
from .scopes import expand
from .search import DEFAULT_QUERY, InvalidQuery, IssueFilter, search
from .serialize import client_key, organization, project_detail, project_summary
from .serialize_events import event_detail, event_summary, source_map_debug
from .serialize_issues import issue, issue_detail
from .wire import HttpError, Reply, Request, paginate

INVALID_STATS_PERIOD = "Invalid statsPeriod: {value}"
MAX_STATS_PERIOD = 90 * 86400
INVALID_DATE = "Invalid date: {value}"
REQUIRED_PARAM = "Query parameter '{name}' is required"


def _scopes(req: Request) -> tuple[str, ...]:
    return req.token.scopes if req.token else ()


def get_org(data: SimulatorData, slug: str) -> Organization:
    """The organization or 404."""
    org = data.org(slug)
    if org is None:
        raise HttpError(404, DETAIL_NOT_FOUND)
    return org


def get_project(data: SimulatorData, org: str, slug: str) -> tuple[Organization, Project]:
    """The organization and project or 404."""
    found = get_org(data, org)
    project = data.project(found.slug, slug)
    if project is None:
        raise HttpError(404, DETAIL_NOT_FOUND)
    return found, project


def index(data: SimulatorData, req: Request) -> Reply:
    """``GET /api/0/``: who is asking (``auth``/``user`` null without a token)."""
    token = req.token
    user = None
    if token is not None and token.kind == "user":
        user = {
            "id": token.user_id,
            "name": token.email.split("@")[0],
            "username": token.email,
            "email": token.email,
            "isActive": True,
        }
    auth = {"scopes": list(expand(token.scopes))} if token is not None else None
    return Reply(body={"version": "0", "auth": auth, "user": user})


def organizations(data: SimulatorData, req: Request) -> Reply:
    """``GET /api/0/organizations/``."""
    orgs = sorted(data.organizations.values(), key=lambda o: o.slug)
    query = (req.arg("query") or "").lower()
    orgs = [o for o in orgs if query in o.slug.lower() or query in o.name.lower()]
    chunk, headers = paginate(req, orgs)
    return Reply(body=[organization(o, req.base, _scopes(req)) for o in chunk], headers=headers)


def organization_detail(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/``."""
    return Reply(body=organization(get_org(data, org), req.base, _scopes(req)))


def organization_projects(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/projects/`` (``query`` matches name or slug)."""
    found = get_org(data, org)
    query = (req.arg("query") or "").lower()
    projects = [
        p
        for p in sorted(data.projects.values(), key=lambda p: p.slug)
        if p.org == found.slug and (query in p.slug.lower() or query in p.name.lower())
    ]
    chunk, headers = paginate(req, projects)
    body = [project_summary(data, p, _scopes(req)) for p in chunk]
    return Reply(body=body, headers=headers)


def project(data: SimulatorData, req: Request, org: str, project: str) -> Reply:
    """``GET /api/0/projects/{org}/{project}/``."""
    _, found = get_project(data, org, project)
    return Reply(body=project_detail(data, found, req.base, _scopes(req)))


def project_keys(data: SimulatorData, req: Request, org: str, project: str) -> Reply:
    """``GET /api/0/projects/{org}/{project}/keys/`` (``status=active|inactive``)."""
    _, found = get_project(data, org, project)
    status = req.arg("status")
    keys = [
        k
        for k in data.keys
        if k.project_id == found.id and (status is None or (status == "active") == k.is_active)
    ]
    chunk, headers = paginate(req, keys)
    return Reply(body=[client_key(k, req.base) for k in chunk], headers=headers)


def _project_ids(data: SimulatorData, org: Organization, values: list[str]) -> tuple[int, ...]:
    mine = [p for p in data.projects.values() if p.org == org.slug]
    if not values or values == ["-1"]:
        return tuple(p.id for p in mine)
    ids = []
    for value in values:
        match = next((p for p in mine if value in (str(p.id), p.slug)), None)
        if match is None:
            raise HttpError(403, DETAIL_NO_PERMISSION)
        ids.append(match.id)
    return tuple(sorted(set(ids)))


def _window(data: SimulatorData, req: Request) -> tuple[int | None, int | None]:
    period = req.arg("statsPeriod")
    if period:
        seconds = parse_period(period)
        if seconds is None:
            raise HttpError(400, INVALID_STATS_PERIOD.format(value=period))
        # Sentry searches 90 days at most and shortens a longer window without a word
        # (MAX_STATS_PERIOD, sentry-api.md §13 "Retention").
        return data.now_epoch - min(seconds, MAX_STATS_PERIOD), None
    start, end = req.arg("start"), req.arg("end")
    try:
        return (to_epoch(start) if start else None, to_epoch(end) if end else None)
    except ValueError:
        raise HttpError(400, INVALID_DATE.format(value=start or end)) from None


def issues(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/issues/`` (default query ``is:unresolved``)."""
    found = get_org(data, org)
    since, until = _window(data, req)
    query = req.arg("query")
    flt = IssueFilter(
        org=found.slug,
        project_ids=_project_ids(data, found, req.args("project")),
        environments=tuple(sorted(req.args("environment"))),
        query=DEFAULT_QUERY if query is None else query,
        since=since,
        until=until,
        sort=req.arg("sort") or "date",
    )
    try:
        matches = search(data, flt)
    except InvalidQuery as error:
        raise HttpError(400, str(error)) from None
    if req.args("group"):  # "If group ids specified, just ignore any query components"
        wanted = [data.issue(g) for g in req.args("group") if g.isdigit()]
        matches = [i for i in wanted if i is not None and i.project_id in flt.project_ids]
    chunk, headers = paginate(req, matches, param="limit", max_hits=req.max_hits, count_hits=True,
                              hit_ratio=data.server.hit_ratio)  # fmt: skip
    return Reply(body=[issue(data, i, req.base, since) for i in chunk], headers=headers)


def get_issue(data: SimulatorData, org: str, issue_id: str) -> Issue:
    """The issue (by id or short id) of the organization, or 404."""
    found = get_org(data, org)
    item = data.issue(issue_id)
    if item is None or data.projects[item.project_id].org != found.slug:
        raise HttpError(404, DETAIL_NOT_FOUND)
    return item


def issue_one(data: SimulatorData, req: Request, org: str, issue_id: str) -> Reply:
    """``GET /api/0/organizations/{org}/issues/{issue_id}/``."""
    return Reply(body=issue_detail(data, get_issue(data, org, issue_id), req.base))


def issue_events(data: SimulatorData, req: Request, org: str, issue_id: str) -> Reply:
    """``GET …/issues/{issue_id}/events/`` (newest first; ``full=true`` adds entries)."""
    item = get_issue(data, org, issue_id)
    events = list(reversed(data.events_of(item)))
    env = set(req.args("environment"))
    if env:
        events = [e for e in events if e.environment in env]
    chunk, headers = paginate(req, events)
    full = (req.arg("full") or "").lower() in ("1", "true", "yes")
    body = [event_detail(data, e) if full else event_summary(e) for e in chunk]
    return Reply(body=body, headers=headers)


def issue_event(data: SimulatorData, req: Request, org: str, issue_id: str, event: str) -> Reply:
    """``GET …/issues/{issue_id}/events/{event_id|latest|oldest|recommended}/``."""
    item = get_issue(data, org, issue_id)
    events = data.events_of(item)
    chosen: Event | None
    if event in ("latest", "recommended"):
        chosen = events[-1]
    elif event == "oldest":
        chosen = events[0]
    else:
        chosen = next((e for e in events if e.event_id == event), None)
    if chosen is None:
        raise HttpError(404, DETAIL_NOT_FOUND)
    return Reply(body=event_detail(data, chosen))


def _project_event(data: SimulatorData, org: str, project: str, event_id: str) -> Event:
    _, found = get_project(data, org, project)
    event = data.event(event_id)
    if event is None or event.project_id != found.id:
        raise HttpError(404, DETAIL_NOT_FOUND)
    return event


def project_event(data: SimulatorData, req: Request, org: str, project: str, event: str) -> Reply:
    """``GET /api/0/projects/{org}/{project}/events/{event_id}/``."""
    return Reply(body=event_detail(data, _project_event(data, org, project, event)))


def event_source_map_debug(
    data: SimulatorData, req: Request, org: str, project: str, event: str
) -> Reply:
    """``GET /api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/``.

    With ``legacy`` ``debug_needs_frame_idx`` (servers before June 2026), ``frame_idx`` and
    ``exception_idx`` are required (400 without them).
    """
    found = _project_event(data, org, project, event)
    if "debug_needs_frame_idx" in req.legacy:
        for name in ("frame_idx", "exception_idx"):
            if not (req.arg(name) or "").isdigit():
                raise HttpError(400, REQUIRED_PARAM.format(name=name))
    return Reply(body=source_map_debug(data, found))
