"""Sentry's side of a release: is it there, what was uploaded for it, do its events symbolicate.

Every function takes the shared client, so each endpoint is fetched once per session whatever
number of checks ask. Requests made for one release gate (the demo, everything present):
release detail, project detail (for its id), release files, artifact bundles of the release and
the files of each, the newest issue of the release, that issue's latest event, and the
source-map debug verdict only when a frame fails and the token has ``project:read``. The first
four do not depend on one another and are fetched concurrently (``prefetch``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from pytest_sentry_gate import errors
from pytest_sentry_gate.repo.bundles import split_prefix

if TYPE_CHECKING:
    from pytest_sentry_gate.client import SentryClient

#: Event error types that mean a JavaScript frame was not resolved through its source map.
#: Older Sentry spelled ``js_invalid_sourcemap`` as ``js_invalid_source``; both are here.
JS_SOURCEMAP_ERRORS: Final = frozenset(
    {
        "js_no_source",
        "js_no_minified_source",
        "js_no_original_source",
        "js_invalid_sourcemap",
        "js_invalid_source",
        "js_missing_source",
        "js_invalid_sourcemap_location",
        "js_invalid_stackframe_location",
        "js_no_column",
        "js_missing_row_or_column",
        "js_invalid_row_or_column",
        "js_invalid_source_encoding",
        "js_invalid_content",
        "js_generic_fetch_error",
        "js_invalid_http_code",
        "js_fetch_timeout",
        "js_fetch_too_large",
        "js_too_large",
        "js_scraping_disabled",
        "js_unknown_error",
        "js_invalid_url",
    }
)
ISSUES_SCANNED: Final = 5
BUNDLE_FILES_PAGE: Final = 100
BUNDLE_FILES_MAX_PAGES: Final = 20


def _seg(value: str) -> str:
    """A path segment: releases may hold ``@``, ``+`` or spaces (``/`` never resolves)."""
    return quote(value, safe="@+")


def _release_path(org: str, version: str) -> str:
    return f"/api/0/organizations/{org}/releases/{_seg(version)}/"


def _project_path(org: str, project: str) -> str:
    return f"/api/0/projects/{org}/{project}/"


def _files_path(org: str, project: str, version: str) -> str:
    return f"/api/0/projects/{org}/{project}/releases/{_seg(version)}/files/"


def _bundles_request(org: str, project: str, version: str) -> tuple[str, dict[str, str | int]]:
    return f"/api/0/projects/{org}/{project}/files/artifact-bundles/", {
        "query": version,
        "per_page": 100,
    }


def prefetch(client: SentryClient, org: str, project: str, version: str) -> None:
    """Fetch the release gate's independent first requests concurrently into the client's cache.

    Release detail, project detail, release files and artifact bundles do not depend on one
    another; the checks then read them from the cache (errors are not cached: a check that
    meets one asks again and reports it).
    """
    client.get_many(
        [
            (_release_path(org, version), None),
            (_project_path(org, project), None),
            (_files_path(org, project, version), None),
            _bundles_request(org, project, version),
        ]
    )


def release_detail(client: SentryClient, org: str, version: str) -> dict[str, Any] | None:
    """The release as the organization knows it, or None when Sentry has no such release."""
    try:
        data = client.get_json(_release_path(org, version))
    except errors.NotFound:
        return None
    return data if isinstance(data, dict) else None


def latest_releases(client: SentryClient, org: str, project_id: str, n: int = 3) -> list[str]:
    """The project's newest release versions (for a naming mismatch to be obvious)."""
    data = client.get_json(
        f"/api/0/organizations/{org}/releases/", {"project": project_id, "per_page": n}
    )
    return [str(r.get("version")) for r in data[:n]] if isinstance(data, list) else []


def project_id(client: SentryClient, org: str, project: str) -> str:
    """The project's numeric id (the issue list filters by id)."""
    data = client.get_json(_project_path(org, project))
    return str(data["id"]) if isinstance(data, dict) and "id" in data else project


@dataclass(frozen=True)
class Uploaded:
    """What Sentry holds for a release: artifact names, and debug ids from artifact bundles."""

    names: tuple[str, ...]
    debug_ids: frozenset[str]
    sources: dict[str, int] = field(default_factory=dict)

    def by_basename(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for name in self.names:
            index.setdefault(split_prefix(name)[1], []).append(name)
        return index


def uploaded(client: SentryClient, org: str, project: str, version: str) -> Uploaded:
    """Release files (legacy) plus the files of every artifact bundle associated with it."""
    names: list[str] = []
    debug_ids: set[str] = set()
    base = f"/api/0/projects/{org}/{project}"
    for page in client.paginate(_files_path(org, project, version), max_pages=20):
        names.extend(str(item.get("name")) for item in page if isinstance(item, dict))
    legacy = len(names)
    bundles: list[dict[str, Any]] = []
    for page in client.paginate(*_bundles_request(org, project, version), max_pages=5):
        bundles.extend(b for b in page if isinstance(b, dict) and _associated(b, version))
    for bundle in bundles:
        for item in _bundle_files(
            client, f"{base}/artifact-bundles/{_seg(str(bundle['bundleId']))}/files/"
        ):
            if isinstance(item, dict):
                names.append(str(item.get("filePath")))
                if item.get("debugId"):
                    debug_ids.add(str(item["debugId"]).lower())
    return Uploaded(
        names=tuple(names),
        debug_ids=frozenset(debug_ids),
        sources={"release_files": legacy, "artifact_bundles": len(bundles)},
    )


def _bundle_files(client: SentryClient, path: str) -> Iterator[Any]:
    """Every file of one artifact bundle: its answer is an object, paged by ``Link`` cursors."""
    params: dict[str, str | int] = {"per_page": BUNDLE_FILES_PAGE}
    for _ in range(BUNDLE_FILES_MAX_PAGES):
        response = client.get(path, params)
        data = response.data
        yield from (data.get("files") or []) if isinstance(data, dict) else []
        if response.next_cursor is None:
            return
        params = {"per_page": BUNDLE_FILES_PAGE, "cursor": response.next_cursor}


def _associated(bundle: dict[str, Any], version: str) -> bool:
    return any(
        a.get("release") == version for a in bundle.get("associations") or () if isinstance(a, dict)
    )


@dataclass(frozen=True)
class FrameProblem:
    """A stack frame that did not resolve, and why."""

    frame: str
    kind: str
    detail: str


@dataclass(frozen=True)
class Symbolication:
    """What the newest JavaScript event of the release says about its source maps."""

    event_id: str
    issue: str
    event_release: str | None
    frame_urls: tuple[str, ...]
    wrong_prefix: tuple[str, ...]
    problems: tuple[FrameProblem, ...]
    resolved_frames: int

    def evidence(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "issue": self.issue,
            "event_release": self.event_release,
            "frame_urls": list(self.frame_urls[:5]),
            "wrong_prefix": list(self.wrong_prefix[:5]),
            "problems": [p.__dict__ for p in self.problems[:5]],
            "resolved_frames": self.resolved_frames,
        }


@dataclass(frozen=True)
class NewestEvent:
    """The newest JavaScript event of the release, and other releases met on the way."""

    issue: str | None
    event: dict[str, Any] | None
    other_releases: tuple[str, ...] = ()


def newest_js_event(
    client: SentryClient, org: str, project_id: str, version: str, period: str
) -> NewestEvent:
    """The newest event of the release whose exception has a JavaScript stack trace.

    The issue list is filtered by release, but an issue's latest event may come from a newer
    release; such events (and non-JavaScript ones, e.g. a Rust panic of a Tauri app) are passed
    over, their releases kept for the message.
    """
    issues = client.get_json(
        f"/api/0/organizations/{org}/issues/",
        {
            "project": project_id,
            "query": f'release:"{version}"',
            "sort": "date",
            "limit": ISSUES_SCANNED,
            "statsPeriod": period,
        },
    )
    others: list[str] = []
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict) or not issue.get("id"):
            continue
        event = client.get_json(f"/api/0/organizations/{org}/issues/{issue['id']}/events/latest/")
        if not isinstance(event, dict) or not _exceptions(event) or not _is_javascript(event):
            continue
        release = _release_of(event)
        if release != version:
            others.append(str(release))
            continue
        return NewestEvent(str(issue.get("shortId") or issue["id"]), event, tuple(others))
    return NewestEvent(None, None, tuple(dict.fromkeys(others)))


def _is_javascript(event: dict[str, Any]) -> bool:
    return str(event.get("platform") or "javascript") in ("javascript", "node")


def _release_of(event: dict[str, Any]) -> str | None:
    release = event.get("release")
    value = release.get("version") if isinstance(release, dict) else release
    return str(value) if value else None


def _exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    for entry in event.get("entries") or ():
        if isinstance(entry, dict) and entry.get("type") == "exception":
            data = entry.get("data") or {}
            values.extend(
                v
                for v in data.get("values") or ()
                if isinstance(v, dict) and (v.get("stacktrace") or {}).get("frames")
            )
    return values


def _frames(trace: Any) -> list[dict[str, Any]]:
    frames = (trace or {}).get("frames") or ()
    return [f for f in frames if isinstance(f, dict)]


def _where(frame: dict[str, Any]) -> str:
    url = frame.get("absPath") or frame.get("filename") or "?"
    return f"{url}:{frame.get('lineNo')}:{frame.get('colNo')}"


def analyse(event: dict[str, Any], issue: str, url_prefix: str) -> Symbolication:
    """Compare the raw (minified) and processed frames and read the event's processing errors."""
    event_release = _release_of(event)
    raw_urls: list[str] = []
    resolved = 0
    for value in _exceptions(event):
        raw = _frames(value.get("rawStacktrace")) or _frames(value.get("stacktrace"))
        processed = _frames(value.get("stacktrace"))
        raw_urls.extend(str(f.get("absPath") or f.get("filename") or "") for f in raw)
        resolved += sum(1 for r, p in zip(raw, processed, strict=False) if _where(r) != _where(p))
    problems = [
        FrameProblem(
            frame=_error_frame(e), kind=str(e.get("type")), detail=str(e.get("message") or "")
        )
        for e in event.get("errors") or ()
        if isinstance(e, dict) and e.get("type") in JS_SOURCEMAP_ERRORS
    ]
    prefix = url_prefix.rstrip("/") + "/"
    wrong = tuple(u for u in _unique(raw_urls) if u and not u.startswith(prefix))
    return Symbolication(
        event_id=str(event.get("eventID") or event.get("id")),
        issue=issue,
        event_release=str(event_release) if event_release else None,
        frame_urls=tuple(_unique(raw_urls)),
        wrong_prefix=wrong,
        problems=tuple(problems),
        resolved_frames=resolved,
    )


def _error_frame(error: dict[str, Any]) -> str:
    data = error.get("data") or {}
    url = data.get("url") or data.get("source") or data.get("abs_path") or "?"
    row = data.get("row") or data.get("lineno")
    col = data.get("column") or data.get("colno")
    return f"{url}:{row}:{col}" if row is not None else str(url)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def source_map_debug(
    client: SentryClient, org: str, project: str, event_id: str
) -> dict[str, Any] | None:
    """Sentry's own verdict on the first frame's source-map lookup (needs project:read)."""
    data = client.get_json(f"/api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/")
    if not isinstance(data, dict):
        return None
    for exception in data.get("exceptions") or ():
        for frame in exception.get("frames") or ():
            release = frame.get("release_process") or {}
            return {
                "abs_path": release.get("abs_path"),
                "source_file_lookup": release.get("source_file_lookup_result"),
                "source_map_lookup": release.get("source_map_lookup_result"),
                "matching_source_map": release.get("matching_source_map_name"),
                "debug_id": (frame.get("debug_id_process") or {}).get("debug_id"),
                "release_has_some_artifact": data.get("release_has_some_artifact"),
            }
    return None
