"""Endpoints for releases, release files, artifact bundles and release health (sessions)."""

from __future__ import annotations

import base64
import re

from .api_core import _project_ids, get_org, get_project
from .clock import iso, parse_period
from .data import SimulatorData
from .faults import DETAIL_NOT_FOUND
from .model import ArtifactBundle, JsonDict, Organization, Release
from .serialize_events import bundle_files
from .serialize_issues import bundle, release, release_file
from .wire import HttpError, Reply, Request, paginate

INVALID_SORT = "Invalid sortBy value"
UNKNOWN_BUNDLE = (
    "The artifact bundle with {bundle_id} is not bound to this project or doesn't exist"
)
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
MISSING_FIELD = 'Request is missing a "field"'
INVALID_FIELD = 'Invalid field: "{field}"'
INVALID_SESSIONS_QUERY = "Invalid search query: {query}"
SESSION_FIELDS = (
    "sum(session)",
    "count_unique(user)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "crash_rate(session)",
    "crash_rate(user)",
)
#: Sentry's SourceFileType values, as the bundle-files view reports ``fileType``.
FILE_TYPES = {"source": 1, "minified_source": 2, "source_map": 3}


def _newest_first(releases: list[Release]) -> list[Release]:
    return sorted(releases, key=lambda r: (r.date_created, r.id), reverse=True)


def _org_releases(data: SimulatorData, project_ids: tuple[int, ...]) -> list[Release]:
    wanted = set(project_ids)
    return [r for r in data.releases.values() if wanted & set(r.projects)]


def _listing(req: Request, releases: list[Release], data: SimulatorData) -> Reply:
    query = (req.arg("query") or "").lower()
    items = _newest_first([r for r in releases if query in r.version.lower()])
    chunk, headers = paginate(req, items)
    health = (req.arg("health") or "").lower() in ("1", "true")
    return Reply(body=[release(data, r, health=health) for r in chunk], headers=headers)


def org_releases(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/releases/`` (``project``, ``query``; newest first)."""
    found = get_org(data, org)
    ids = _project_ids(data, found, req.args("project"))
    return _listing(req, _org_releases(data, ids), data)


def project_releases(data: SimulatorData, req: Request, org: str, project: str) -> Reply:
    """``GET /api/0/projects/{org}/{project}/releases/``."""
    _, proj = get_project(data, org, project)
    return _listing(req, _org_releases(data, (proj.id,)), data)


def _release(data: SimulatorData, org: Organization, version: str, project: str | None) -> Release:
    item = data.releases.get(version)
    if item is None or any(data.projects[p].org != org.slug for p in item.projects):
        raise HttpError(404, DETAIL_NOT_FOUND)
    if project:
        proj = data.project(org.slug, project)
        if proj is None or proj.id not in item.projects:
            raise HttpError(404, DETAIL_NOT_FOUND)
    return item


def release_one(data: SimulatorData, req: Request, org: str, version: str) -> Reply:
    """``GET /api/0/organizations/{org}/releases/{version}/`` (404 if not in ``project``)."""
    found = get_org(data, org)
    item = _release(data, found, version, req.arg("project") or req.arg("project_id"))
    health = (req.arg("health") or "").lower() in ("1", "true")
    return Reply(body=release(data, item, health=health))


def _files(req: Request, item: Release) -> Reply:
    names = [q.lower() for q in req.args("query")]
    checksums = set(req.args("checksum"))
    files = [
        f
        for f in item.files
        if (not names or any(n in f.name.lower() for n in names))
        and (not checksums or f.sha1 in checksums)
    ]
    chunk, headers = paginate(req, files)
    return Reply(body=[release_file(f) for f in chunk], headers=headers)


def org_release_files(data: SimulatorData, req: Request, org: str, version: str) -> Reply:
    """``GET /api/0/organizations/{org}/releases/{version}/files/``."""
    return _files(req, _release(data, get_org(data, org), version, None))


def project_release_files(
    data: SimulatorData, req: Request, org: str, project: str, version: str
) -> Reply:
    """``GET /api/0/projects/{org}/{project}/releases/{version}/files/``."""
    found, proj = get_project(data, org, project)
    return _files(req, _release(data, found, version, proj.slug))


def _bundle_matches(item: ArtifactBundle, query: str, legacy: frozenset[str]) -> bool:
    """Current Sentry: a UUID matches the bundle id or a file's debug id, a name matches a
    release or dist exactly; 2023 servers (and ``bundle_query_no_debug_id``) match substrings of
    the bundle id, releases and dists only."""
    if not query:
        return True
    names = {(v or "").lower() for pair in item.associations for v in pair}
    if legacy & {"bundles_2023", "bundle_query_no_debug_id"}:
        return query in item.bundle_id or any(query in n for n in names)
    if UUID.fullmatch(query):
        wanted = query.replace("-", "")
        ids = {item.bundle_id, *(f.debug_id or "" for f in item.files)}
        return wanted in {i.lower().replace("-", "") for i in ids if i}
    return query in names


def artifact_bundles(data: SimulatorData, req: Request, org: str, project: str) -> Reply:
    """``GET /api/0/projects/{org}/{project}/files/artifact-bundles/`` (``per_page`` default 10)."""
    _, proj = get_project(data, org, project)
    sort = req.arg("sortBy") or "-date_added"
    if sort not in ("date_added", "-date_added"):
        raise HttpError(400, INVALID_SORT)
    query = (req.arg("query") or "").lower()
    items = [
        b for b in data.bundles if b.project_id == proj.id and _bundle_matches(b, query, req.legacy)
    ]
    items.sort(key=lambda b: (b.date, b.bundle_id), reverse=sort.startswith("-"))
    chunk, headers = paginate(req, items, default=10)
    if "bundles_2023" in req.legacy:
        old = [{k: v for k, v in bundle(b).items() if k != "associations"} for b in chunk]
        return Reply(body=old, headers=headers)
    return Reply(body=[bundle(b) for b in chunk], headers=headers)


def artifact_bundle_files(
    data: SimulatorData, req: Request, org: str, project: str, bundle_id: str
) -> Reply:
    """``GET /api/0/projects/{org}/{project}/artifact-bundles/{bundle_id}/files/``.

    Not in the public schema: modelled on Sentry's internal bundle-files view (the one the web
    UI uses). Body: ``{bundleId, date, dateModified, fileCount, associations, files: [{id,
    filePath, fileSize, fileType, debugId, sourcemap}]}``; ``fileType`` is Sentry's
    ``SourceFileType`` number (2 minified source, 3 source map); ``query`` filters paths.
    """
    _, proj = get_project(data, org, project)
    item = next((b for b in data.bundles if b.bundle_id == bundle_id), None)
    if item is None or item.project_id != proj.id:
        detail = UNKNOWN_BUNDLE.format(bundle_id=bundle_id)
        raise HttpError(400, detail, body={"error": detail})
    query = (req.arg("query") or "").lower()
    files = [f for f in item.files if query in f.file_path.lower()]
    chunk, headers = paginate(req, files, default=100)
    paths = {f.file_path for f in item.files}
    body = [
        {
            "id": base64.urlsafe_b64encode(f"{item.bundle_id}/{f.file_path}".encode()).decode(),
            "filePath": f.file_path,
            "fileSize": f.size,
            "fileType": FILE_TYPES.get(f.file_type, 1),
            "debugId": f.debug_id,
            "sourcemap": f"{f.file_path}.map" if f"{f.file_path}.map" in paths else None,
        }
        for f in chunk
    ]
    if "bundles_2023" in req.legacy:
        return Reply(body=body, headers=headers)
    return Reply(body=bundle_files(item, body), headers=headers)


def _session_versions(query: str) -> set[str] | None:
    versions: set[str] = set()
    for term in query.split():
        key, colon, value = term.partition(":")
        if key != "release" or not colon:
            raise HttpError(400, INVALID_SESSIONS_QUERY.format(query=query))
        value = value.strip('"')
        versions.update(v.strip('"') for v in value.strip("[]").split(","))
    return versions or None


def sessions(data: SimulatorData, req: Request, org: str) -> Reply:
    """``GET /api/0/organizations/{org}/sessions/`` from the releases' health numbers.

    Totals ignore the time window (health numbers are per release); the series put the totals
    in the last interval. Rates are fractions (``0.9976``), as Sentry's sessions API gives them.
    """
    found = get_org(data, org)
    fields = req.args("field")
    if not fields:
        raise HttpError(400, MISSING_FIELD)
    for name in fields:
        if name not in SESSION_FIELDS or name in data.server.unsupported_session_fields:
            raise HttpError(400, INVALID_FIELD.format(field=name))
    ids = set(_project_ids(data, found, req.args("project")))
    versions = _session_versions(req.arg("query") or "")
    envs = set(req.args("environment"))  # repeatable, as Sentry's filter params take it
    group_by = [g for g in req.args("groupBy") if g in ("project", "release")]
    groups: dict[tuple[tuple[str, int | str], ...], list[int]] = {}
    for item in data.releases.values():
        if versions is not None and item.version not in versions:
            continue
        for project_id, numbers in item.health.items():
            if project_id not in ids or (envs and numbers.environment not in envs):
                continue
            by: tuple[tuple[str, int | str], ...] = tuple(
                ("project", project_id) if g == "project" else ("release", item.version)
                for g in group_by
            )
            rate = numbers.crash_free_users if numbers.crash_free_users is not None else 100.0
            users_crashed = round(numbers.total_users * (100.0 - rate) / 100.0)
            acc = groups.setdefault(by, [0, 0, 0, 0])
            for n, value in enumerate(
                (
                    numbers.total_sessions,
                    numbers.sessions_crashed,
                    numbers.total_users,
                    users_crashed,
                )
            ):
                acc[n] += value
    if not groups and not group_by:
        groups[()] = [0, 0, 0, 0]
    seconds = parse_period(req.arg("statsPeriod") or "24h") or 86400
    step = 86400 if (req.arg("interval") or "1h") == "1d" else 3600
    end = data.now_epoch - data.now_epoch % step + step
    start = end - max(seconds // step, 1) * step
    intervals = [iso(t) or "" for t in range(start, end, step)]
    body_groups = []
    for by, (total, crashed, users, users_crashed) in sorted(groups.items(), key=str):
        totals = {name: _value(name, total, crashed, users, users_crashed) for name in fields}
        series: dict[str, list[float | None]] = {}
        for name, total_value in totals.items():
            empty: float | None = 0 if name.startswith(("sum", "count")) else None
            series[name] = [empty] * (len(intervals) - 1) + [total_value]
        body_groups.append({"by": dict(by), "series": series, "totals": totals})
    body: JsonDict = {
        "start": iso(start),
        "end": iso(end),
        "intervals": intervals,
        "groups": body_groups,
        "query": req.arg("query") or "",
    }
    return Reply(body=body)


def _value(name: str, total: int, crashed: int, users: int, users_crashed: int) -> float | None:
    if name == "sum(session)":
        return total
    if name == "count_unique(user)":
        return users
    base, crashes = (total, crashed) if name.endswith("(session)") else (users, users_crashed)
    if base == 0:
        return None
    rate = crashes / base
    return round(1 - rate, 6) if name.startswith("crash_free") else round(rate, 6)
