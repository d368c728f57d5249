"""JSON shapes of issues, releases, release files and artifact bundles.

Issue ``count`` is a string and ``userCount`` an int; release ``id`` is an int; the list shape
carries every field the OpenAPI schema marks required (``inbox``/``owners`` included), the
detail adds ``firstRelease``/``lastRelease`` objects, ``tags`` and ``activity``.
"""

from __future__ import annotations

from .clock import iso
from .data import SimulatorData
from .model import ArtifactBundle, Deploy, Issue, JsonDict, Release, ReleaseFile


def _assigned(value: str | None) -> JsonDict | None:
    if value is None:
        return None
    kind, _, name = value.partition(":")
    return {"type": "team" if kind == "team" else "user", "id": "1", "name": name}


def window_values(item: Issue, since: int | None) -> tuple[int, int, int]:
    """(firstSeen, count, userCount) within a window starting at ``since``: the first event in
    the window (an issue that came back after a quiet spell: its return), the events since then.
    Counts of an issue active through the window stay the lifetime ones (a simplification)."""
    if since is None or item.first_seen >= since:
        return item.first_seen, item.count, item.user_count
    if item.resumed_at is not None and item.resumed_at >= since:
        count = item.resumed_count or item.count
        return item.resumed_at, count, min(item.user_count, count)
    return since, item.count, item.user_count


def issue(data: SimulatorData, item: Issue, base: str, since: int | None = None) -> JsonDict:
    """An issue as the organization issue list returns it: with a window (``since``) the
    top-level ``firstSeen``, ``count`` and ``userCount`` are the window's, ``lifetime{}`` holds
    the issue's own (sentry-api.md §13 "Window-scoped issue fields")."""
    project = data.projects[item.project_id]
    first, last = iso(item.first_seen), iso(item.last_seen)
    window_first, window_count, window_users = window_values(item, since)
    hour = item.last_seen - item.last_seen % 3600
    stats = {"24h": [[hour - 3600 * (23 - n), 0] for n in range(23)] + [[hour, item.count]]}
    body: JsonDict = {
        "id": str(item.id),
        "shareId": None,
        "shortId": data.short_id(item),
        "title": item.title,
        "culprit": item.culprit,
        "permalink": f"{base}/organizations/{project.org}/issues/{item.id}/",
        "logger": item.logger,
        "level": item.level,
        "status": item.status,
        "statusDetails": {},
        "substatus": item.substatus,
        "isPublic": False,
        "platform": project.platform,
        "priority": item.priority,
        "priorityLockedAt": None,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "project": {
            "id": str(project.id),
            "name": project.name,
            "slug": project.slug,
            "platform": project.platform,
        },
        "type": "error" if item.category == "error" else "generic",
        "issueType": item.issue_type,
        "issueCategory": item.category,
        "metadata": {"type": item.exc_type, "value": item.exc_value, "title": item.title},
        "numComments": 0,
        "assignedTo": _assigned(item.assigned_to),
        "isBookmarked": False,
        "isSubscribed": False,
        "subscriptionDetails": None,
        "hasSeen": False,
        "annotations": [],
        "isUnhandled": item.is_unhandled,
        "count": str(window_count),
        "userCount": window_users,
        "firstSeen": iso(window_first),
        "lastSeen": last,
        "derivedData": {
            "blocker": "none",
            "progress": "none",
            "status": "open",
            "viewCount": 0,
            "hasOpenFixPr": False,
            "isAssigned": item.assigned_to is not None,
            "hasRootCause": False,
            "lastCompletedAutofixStep": "none",
            "lastProgressedAt": None,
        },
        "stats": stats,
        "lifetime": {
            "count": str(item.count),
            "userCount": item.user_count,
            "firstSeen": first,
            "lastSeen": last,
        },
        "filtered": None,
        "sessionCount": 0,
        "inbox": {"reason": 0, "reason_details": None, "date_added": first},
        "owners": {"type": "ownershipRule", "owner": "team:1", "date_added": first},
        "integrationIssues": [],
        "sentryAppIssues": [],
        "latestEventHasAttachments": False,
        "matchingEventId": None,
        "matchingEventEnvironment": None,
    }
    if not data.server.priority:  # before issue priority (sentry-api.md §13 "Priority")
        del body["priority"], body["priorityLockedAt"]
    return body


def release_ref(release: Release | None) -> JsonDict | None:
    """The short release object of an issue's ``firstRelease``/``lastRelease``."""
    if release is None:
        return None
    return {
        "version": release.version,
        "shortVersion": short_version(release.version),
        "dateCreated": iso(release.date_created),
        "dateReleased": iso(release.date_released),
        "ref": release.ref,
        "url": None,
    }


def issue_detail(data: SimulatorData, item: Issue, base: str) -> JsonDict:
    """An issue as ``GET /organizations/{org}/issues/{id}/`` returns it."""
    body = issue(data, item, base)
    body["owners"] = [
        {"type": kind, "owner": owner, "date_added": body.get("firstSeen")}
        for kind, owner in item.suggested_owners
    ] or None
    body["inbox"] = None
    tag_counts: dict[str, dict[str, int]] = {}
    for event in data.events_of(item):
        for key, value in event.tags:
            tag_counts.setdefault(key, {}).setdefault(value, 0)
            tag_counts[key][value] += 1
    body.update(
        {
            "firstRelease": release_ref(data.releases.get(item.first_release or "")),
            "lastRelease": release_ref(data.releases.get(item.last_release or "")),
            "tags": [
                {
                    "key": key,
                    "name": key,
                    "totalValues": sum(values.values()),
                    "topValues": [{"value": v, "count": c} for v, c in values.items()],
                }
                for key, values in sorted(tag_counts.items())
            ],
            "activity": [],
            "seenBy": [],
            "participants": [],
            "userReportCount": 0,
        }
    )
    return body


def short_version(version: str) -> str:
    """``1.2.0`` for ``codictate@1.2.0``."""
    return version.rpartition("@")[2]


def release(data: SimulatorData, item: Release, *, health: bool = False) -> JsonDict:
    """A release (list item and detail); ``health`` adds each project's ``healthData``."""
    projects = []
    for project_id in item.projects:
        project = data.projects[project_id]
        numbers = item.health.get(project_id)
        entry: JsonDict = {
            "id": project.id,
            "slug": project.slug,
            "name": project.name,
            "platform": project.platform,
            "platforms": [project.platform],
            "newGroups": item.new_groups,
            "hasHealthData": numbers is not None,
        }
        if health:
            entry["healthData"] = None if numbers is None else {
                "crashFreeUsers": numbers.crash_free_users,
                "crashFreeSessions": numbers.crash_free_sessions,
                "totalUsers": numbers.total_users,
                "totalSessions": numbers.total_sessions,
                "sessionsCrashed": numbers.sessions_crashed,
                "sessionsErrored": numbers.sessions_errored,
                "adoption": None,
                "sessionsAdoption": None,
                "hasHealthData": True,
                "stats": {},
            }  # fmt: skip
        projects.append(entry)
    return {
        "id": item.id,
        "version": item.version,
        "shortVersion": short_version(item.version),
        "status": "open",
        "newGroups": item.new_groups,
        "versionInfo": {
            "package": item.version.rpartition("@")[0] or None,
            "version": {"raw": short_version(item.version)},
            "description": short_version(item.version),
            "buildHash": None,
        },
        "data": {},
        "commitCount": len(item.authors),
        "deployCount": 0,
        "authors": [dict(a) for a in item.authors],
        "projects": projects,
        "ref": item.ref,
        "url": None,
        "dateCreated": iso(item.date_created),
        "dateReleased": iso(item.date_released),
        "owner": None,
        "lastCommit": dict(item.last_commit) if item.last_commit else None,
        "lastDeploy": _last_deploy(item),
        "firstEvent": None,
        "lastEvent": None,
        "currentProjectMeta": {},
        "userAgent": None,
    }


def release_file(item: ReleaseFile) -> JsonDict:
    """A legacy release artifact."""
    return {
        "id": item.id,
        "name": item.name,
        "dist": item.dist,
        "headers": dict(item.headers) or {"Content-Type": "application/javascript"},
        "size": item.size,
        "sha1": item.sha1,
        "dateCreated": iso(item.date_created),
    }


def bundle(item: ArtifactBundle) -> JsonDict:
    """An artifact bundle as ``GET /projects/{org}/{project}/files/artifact-bundles/`` lists it."""
    return {
        "bundleId": item.bundle_id,
        "associations": [{"release": r, "dist": d} for r, d in item.associations],
        "fileCount": len(item.files),
        "date": iso(item.date),
    }


def deploy(item: Deploy) -> JsonDict:
    """A deploy as Sentry's ``DeploySerializer`` gives it."""
    return {
        "id": str(item.id), "environment": item.environment, "dateStarted": iso(item.started),
        "dateFinished": iso(item.finished), "name": item.name, "url": item.url,
    }  # fmt: skip


def _last_deploy(item: Release) -> JsonDict | None:
    """The release's newest finished deploy (``lastDeploy``), or ``None``."""
    return deploy(max(item.deploys, key=lambda d: (d.finished, d.id))) if item.deploys else None
