"""JSON shapes of events, source-map-debug answers, bundle file lists and session totals.

The event detail follows ``ReturnAnIssueEvent``: ``tags`` a list of ``{key, value}``;
``release`` the full release object (commit ``authors`` and ``lastCommit`` included) or null;
``entries`` with one ``exception`` entry whose value carries both ``stacktrace`` (processed
frames) and ``rawStacktrace`` (minified frames), then a ``request`` entry when the SDK sent one;
``errors`` as ``{type, message, data}``; and ``_meta``, Sentry's record of what it scrubbed.
The source-map-debug answer is the stored one when a test set it, otherwise it is derived from
the event's minified frames and the release's uploads.
"""

from __future__ import annotations

from .clock import iso
from .data import SimulatorData
from .model import ArtifactBundle, Event, JsonDict
from .serialize_issues import release as release_body_of


def _tags(event: Event) -> list[JsonDict]:
    return [{"key": key, "value": value} for key, value in event.tags]


def _title(event: Event) -> str:
    if event.exc_value or event.exc_type:
        return f"{event.exc_type}: {event.exc_value}" if event.exc_value else event.exc_type
    return event.message or "<unlabeled event>"


def event_summary(event: Event) -> JsonDict:
    """An event as ``GET /organizations/{org}/issues/{id}/events/`` lists it."""
    top = event.frames[-1] if event.frames else {}
    return {
        "id": event.event_id,
        "event.type": "error",
        "groupID": str(event.issue_id),
        "eventID": event.event_id,
        "projectID": str(event.project_id),
        "message": event.message,
        "title": _title(event),
        "location": top.get("filename"),
        "culprit": event.culprit
        or (f"{top.get('function')}({top.get('filename')})" if top else None),
        "user": event.user,
        "tags": _tags(event),
        "platform": event.platform,
        "dateCreated": iso(event.date_created),
        "crashFile": None,
        "metadata": {"type": event.exc_type, "value": event.exc_value},
    }


def _stacktrace(frames: list[JsonDict]) -> JsonDict | None:
    if not frames:
        return None
    return {
        "frames": frames,
        "framesOmitted": None,
        "registers": None,
        "hasSystemFrames": any(not f.get("inApp") for f in frames),
    }


def event_detail(data: SimulatorData, event: Event) -> JsonDict:
    """An event as the event detail endpoints return it."""
    siblings = [e.event_id for e in data.events_of(data.issue(str(event.issue_id)))]  # type: ignore[arg-type]
    index = siblings.index(event.event_id) if event.event_id in siblings else -1
    body = event_summary(event)
    release = data.releases.get(event.release or "")
    # The full release object, commit authors included (sentry-api.md §13 "Events").
    release_body = release_body_of(data, release) if release is not None else None
    if release_body is None and event.release:
        release_body = {"version": event.release, "dateCreated": iso(event.date_created)}
    body.update(
        {
            "type": "error",
            "dateReceived": iso(event.date_created),
            "contexts": dict(event.contexts),
            "context": {},
            "size": 4096,
            "entries": [
                {
                    "type": "exception",
                    "data": {
                        "values": [
                            {
                                "type": event.exc_type,
                                "value": event.exc_value,
                                "module": None,
                                "mechanism": {"type": "onerror", "handled": False},
                                "threadId": None,
                                "stacktrace": _stacktrace(event.frames),
                                "rawStacktrace": _stacktrace(event.raw_frames),
                            }
                        ],
                        "excOmitted": None,
                        "hasSystemFrames": False,
                    },
                }
            ]
            + ([{"type": "request", "data": dict(event.request)}] if event.request else []),
            "dist": event.dist,
            "sdk": event.sdk,
            "packages": {},
            "errors": [dict(e) for e in event.errors],
            "occurrence": None,
            "_meta": dict(event.meta),
            "release": release_body,
            "userReport": None,
            "sdkUpdates": [],
            "resolvedWith": [],
            "nextEventID": siblings[index + 1] if 0 <= index < len(siblings) - 1 else None,
            "previousEventID": siblings[index - 1] if index > 0 else None,
            "fingerprints": [f"{event.issue_id:032x}"],
            "level": event.level,
        }
    )
    return body


def _file_name(abs_path: str) -> str:
    """``~/assets/main.js`` for ``app://localhost/assets/main.js``."""
    rest = abs_path.split("://", 1)[-1]
    return "~" + (rest[rest.find("/") :] if "/" in rest else "/" + rest)


def _bundles_of(data: SimulatorData, event: Event) -> list[ArtifactBundle]:
    return [
        b
        for b in data.bundles
        if b.project_id == event.project_id and any(r == event.release for r, _ in b.associations)
    ]


def _lookup(uploads: set[tuple[str, str | None]], name: str, dist: str | None) -> str:
    """``found``, ``wrong-dist`` (uploaded under another dist only) or ``unsuccessful``."""
    if (name, dist) in uploads:
        return "found"
    return "wrong-dist" if any(n == name for n, _ in uploads) else "unsuccessful"


def source_map_debug(data: SimulatorData, event: Event) -> JsonDict:
    """The stored answer for the event, or one derived from its release's uploads."""
    stored = data.source_map_debug.get(event.event_id)
    if stored is not None:
        return stored
    release = data.releases.get(event.release or "")
    uploads = {(f.name, f.dist) for f in release.files} if release else set()
    for item in _bundles_of(data, event):
        dists = [d for r, d in item.associations if r == event.release]
        uploads |= {(f.file_path, d) for f in item.files for d in dists}
    names = {name for name, _ in uploads}
    frames = []
    for raw in event.raw_frames:
        abs_path = str(raw.get("absPath") or "")
        candidates = (_file_name(abs_path), abs_path)  # Sentry tries the ~ form and the full URL
        wanted = next((c for c in candidates if c in names), candidates[0])
        found = _lookup(uploads, wanted, event.dist)
        map_found = _lookup(uploads, f"{wanted}.map", event.dist)
        frames.append(
            {
                "debug_id_process": {
                    "debug_id": None,
                    "uploaded_source_file_with_correct_debug_id": False,
                    "uploaded_source_map_with_correct_debug_id": False,
                },
                "release_process": {
                    "abs_path": abs_path,
                    "matching_source_file_names": list(candidates),
                    "matching_source_map_name": f"{wanted}.map"
                    if map_found != "unsuccessful"
                    else None,
                    "source_map_reference": (
                        wanted.rpartition("/")[2] + ".map" if found != "unsuccessful" else None
                    ),
                    "source_file_lookup_result": found,
                    "source_map_lookup_result": map_found,
                },
                "scraping_process": {"source_file": None, "source_map": None},
            }
        )
    project_bundles = [b for b in data.bundles if b.project_id == event.project_id]
    return {
        "dist": event.dist,
        "release": event.release,
        "exceptions": [{"frames": frames}],
        "has_debug_ids": False,
        "min_debug_id_sdk_version": "7.56.0",
        "sdk_version": (event.sdk or {}).get("version"),
        "project_has_some_artifact_bundle": bool(project_bundles),
        "release_has_some_artifact": bool(names),
        "has_uploaded_some_artifact_with_a_debug_id": any(
            f.debug_id for b in project_bundles for f in b.files
        ),
        "sdk_debug_id_support": "full",
        "has_scraping_data": False,
    }


def bundle_files(item: ArtifactBundle, files: list[JsonDict]) -> JsonDict:
    """A bundle with one page of its files (modelled on Sentry's internal bundle-files view)."""
    return {
        "bundleId": item.bundle_id,
        "date": iso(item.date),
        "dateModified": iso(item.date),
        "fileCount": len(item.files),
        "associations": [{"release": r, "dist": d} for r, d in item.associations],
        "files": files,
    }
