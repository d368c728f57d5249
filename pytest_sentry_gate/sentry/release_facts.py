"""Sentry's side of a release: is it there, what was uploaded for it, do its events symbolicate.

``read_release`` is the one entry point: it runs the three independent reads (the release and
its project, the uploads, the newest JavaScript event) concurrently over the shared client and
returns each as a fact or as the ``ApiError`` that stopped it, so one failing endpoint fails only
the check that needs it. Requests for one release gate (the demo, everything present): release
detail, project detail (for its id), release files, artifact bundles of the release and the files
of each, the newest issues of the release and their latest events, and the source-map debug
verdict only when a frame fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.repo.bundles import split_prefix
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.sentry.client import gather

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient
    from pytest_sentry_gate.sentry.responses import ApiResponse

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
MAX_PAGES: Final = 20


@dataclass(frozen=True)
class ReleaseLookup:
    """The release as the organization knows it (``exists``), or the project's newest ones."""

    name: str
    exists: bool
    projects: tuple[str, ...] = ()
    date_created: str | None = None
    new_groups: int | None = None
    latest: tuple[str, ...] = ()


@dataclass(frozen=True)
class Uploaded:
    """What Sentry holds for a release: artifact names, and debug ids from artifact bundles."""

    names: tuple[str, ...]
    debug_ids: frozenset[str]
    sources: dict[str, int] = field(default_factory=dict)
    capped: tuple[str, ...] = ()

    def by_basename(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for name in self.names:
            index.setdefault(split_prefix(name)[1], []).append(name)
        return index


@dataclass(frozen=True)
class ReleaseSide:
    """The three independent reads of a release, each a fact or the error that stopped it."""

    lookup: ReleaseLookup | errors.ApiError
    uploads: Uploaded | errors.ApiError
    symbolication: SymbolicationFacts | errors.ApiError


def read_release(
    client: SentryClient, org: str, project: str, version: str, *, period: str, url_prefix: str
) -> ReleaseSide:
    """Read the release, its uploads and its newest JavaScript event, concurrently."""
    lookup, uploads, symbolication = gather(
        [
            lambda: release_lookup(client, org, project, version),
            lambda: uploaded(client, org, project, version),
            lambda: symbolication_facts(client, org, project, version, period, url_prefix),
        ]
    )
    return ReleaseSide(lookup, uploads, symbolication)  # type: ignore[arg-type]


def release_lookup(client: SentryClient, org: str, project: str, version: str) -> ReleaseLookup:
    """The release detail; when Sentry has no such release, the project's newest releases."""
    try:
        data = client.get_json(endpoints.RELEASE.path(org=org, version=version))
    except errors.NotFound:
        pid = project_id(client, org, project)
        return ReleaseLookup(name=version, exists=False, latest=latest_releases(client, org, pid))
    detail = data if isinstance(data, dict) else {}
    return ReleaseLookup(
        name=version,
        exists=True,
        projects=tuple(str(p.get("slug")) for p in detail.get("projects") or ()),
        date_created=detail.get("dateCreated"),
        new_groups=detail.get("newGroups"),
    )


def latest_releases(client: SentryClient, org: str, project_id: str, n: int = 3) -> tuple[str, ...]:
    """The project's newest release versions (for a naming mismatch to be obvious)."""
    data = client.get_json(endpoints.RELEASES.path(org=org), {"project": project_id, "per_page": n})
    return tuple(str(r.get("version")) for r in data[:n]) if isinstance(data, list) else ()


def project_id(client: SentryClient, org: str, project: str) -> str:
    """The project's numeric id (the issue list filters by id)."""
    data = client.get_json(endpoints.PROJECT.path(org=org, project=project))
    return str(data["id"]) if isinstance(data, dict) and "id" in data else project


def uploaded(client: SentryClient, org: str, project: str, version: str) -> Uploaded:
    """Release files (legacy) plus the files of every artifact bundle associated with it."""
    files = client.collect(
        endpoints.RELEASE_FILES.path(org=org, project=project, version=version),
        max_pages=MAX_PAGES,
    )
    names = [str(item.get("name")) for item in files.items if isinstance(item, dict)]
    legacy = len(names)
    listing = client.collect(
        endpoints.ARTIFACT_BUNDLES.path(org=org, project=project),
        {"query": version, "per_page": 100},
        max_pages=MAX_PAGES,
    )
    bundles = [b for b in listing.items if isinstance(b, dict) and _associated(b, version)]
    capped = [note for note in (files.cap_note, listing.cap_note) if note]
    debug_ids: set[str] = set()
    for bundle in bundles:
        bundle_files = client.collect(
            endpoints.BUNDLE_FILES.path(org=org, project=project, bundle_id=bundle["bundleId"]),
            {"per_page": BUNDLE_FILES_PAGE},
            max_pages=MAX_PAGES,
            extract=_bundle_files,
        )
        capped.extend(note for note in (bundle_files.cap_note,) if note)
        for item in bundle_files.items:
            if isinstance(item, dict):
                names.append(str(item.get("filePath")))
                if item.get("debugId"):
                    debug_ids.add(str(item["debugId"]).lower())
    return Uploaded(
        names=tuple(names),
        debug_ids=frozenset(debug_ids),
        sources={"release_files": legacy, "artifact_bundles": len(bundles)},
        capped=tuple(capped),
    )


def _bundle_files(response: ApiResponse) -> list[Any]:
    """One artifact bundle's answer is an object whose ``files`` is the page."""
    data = response.data
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, list) else []


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


@dataclass(frozen=True)
class SymbolicationFacts:
    """The newest JavaScript event of the release, its analysis, and Sentry's own debug verdict.

    ``source_map_debug`` is asked only when a frame failed; ``debug_unavailable`` says why it
    could not be asked (for example a token without ``project:read``).
    """

    newest: NewestEvent
    analysis: Symbolication | None = None
    source_map_debug: dict[str, Any] | None = None
    debug_unavailable: str | None = None


def symbolication_facts(
    client: SentryClient, org: str, project: str, version: str, period: str, url_prefix: str
) -> SymbolicationFacts:
    """Find the newest JavaScript event of the release and judge its frames."""
    newest = newest_js_event(client, org, project_id(client, org, project), version, period)
    if newest.event is None or newest.issue is None:
        return SymbolicationFacts(newest)
    analysis = analyse(newest.event, newest.issue, url_prefix)
    if not analysis.problems:
        return SymbolicationFacts(newest, analysis)
    try:
        debug = source_map_debug(client, org, project, analysis.event_id)
    except errors.ApiError as exc:
        return SymbolicationFacts(newest, analysis, debug_unavailable=str(exc))
    return SymbolicationFacts(newest, analysis, source_map_debug=debug)


def newest_js_event(
    client: SentryClient, org: str, project_id: str, version: str, period: str
) -> NewestEvent:
    """The newest event of the release whose exception has a JavaScript stack trace.

    The issue list is filtered by release, but an issue's latest event may come from a newer
    release; such events (and non-JavaScript ones, e.g. a Rust panic of a Tauri app) are passed
    over, their releases kept for the message.
    """
    issues = client.get_json(
        endpoints.ISSUES.path(org=org),
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
        event = client.get_json(endpoints.LATEST_EVENT.path(org=org, issue_id=issue["id"]))
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
    data = client.get_json(
        endpoints.SOURCE_MAP_DEBUG.path(org=org, project=project, event_id=event_id)
    )
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
