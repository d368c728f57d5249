"""Sentry's side of a release: is it there, what was uploaded for it, do its events symbolicate.

``read_release`` is the one entry point: it runs the three independent reads (the release and
its project, the uploads, the newest JavaScript event) concurrently over the shared client and
returns each as a fact or as the ``ApiError`` that stopped it, so one failing endpoint fails only
the check that needs it. Requests for one release gate (the demo, everything present): release
detail, project detail (for its id), release files, artifact bundles of the release and the files
of each, the newest issues of the release and their latest events, and the source-map debug
verdict (about the failing frame) only when a frame fails. Built files' debug ids not found in the
release's bundles cost one bundle query each (plus one listing on servers whose query does not
take debug ids); a release that exists but not for this project, one more: its files as the
organization lists them. The uploads live in ``uploads``, the frame judgement in
``symbolication``.

Shapes are checked where a verdict depends on them: a release that is not an object, or whose
``projects`` is not a list, and a project without a numeric ``id`` are ``MalformedResponse``
("not the documented JSON"), never "exists" or "does not exist".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate import errors
from pytest_sentry_gate.sentry import endpoints, scope
from pytest_sentry_gate.sentry.client import gather
from pytest_sentry_gate.sentry.responses import expect
from pytest_sentry_gate.sentry.symbolication import (
    Symbolication,
    analyse,
    debug_verdict,
    exception_values,
)
from pytest_sentry_gate.sentry.uploads import Uploaded, uploaded

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient

ISSUES_SCANNED: Final = 5
NO_PROJECT_ID: Final = "the project has no id field (the issue list filters by numeric id)"
PROJECTS_NOT_LIST: Final = "the release's projects is {kind}, not a list"
OLD_DEBUGGER: Final = (
    "this server's source-map debugger needs a newer Sentry (HTTP 400 for frame {frame_idx} of "
    "exception {exception_idx}: {detail})"
)


@dataclass(frozen=True)
class ReleaseLookup:
    """The release as the organization knows it (``exists``), or the project's newest ones."""

    name: str
    exists: bool
    projects: tuple[str, ...] = ()
    date_created: str | None = None
    new_groups: int | None = None
    latest: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        """What the report shows: the newest releases when it is missing, else its projects."""
        if not self.exists:
            return {"exists": False, "latest_releases": list(self.latest)}
        found = {"projects": list(self.projects), "date_created": self.date_created}
        return {"exists": True, **found, "new_groups": self.new_groups}


@dataclass(frozen=True)
class ReleaseSide:
    """The three independent reads of a release, each a fact or the error that stopped it."""

    lookup: ReleaseLookup | errors.ApiError
    uploads: Uploaded | errors.ApiError
    symbolication: SymbolicationFacts | errors.ApiError


def read_release(
    client: SentryClient,
    org: str,
    project: str,
    version: str,
    *,
    period: str,
    url_prefix: str,
    debug_ids: Iterable[str] = (),
) -> ReleaseSide:
    """Read the release, its uploads and its newest JavaScript event, concurrently.

    ``debug_ids`` are the built files' debug ids, looked up whatever their release. The
    symbolication facts learn when the newest upload was made (an event older than it is not
    evidence against the uploads).
    """
    projects = functools.partial(release_projects, client, org, version)
    lookup, uploads, symbolication = gather(
        [
            lambda: release_lookup(client, org, project, version),
            lambda: uploaded(client, org, project, version, debug_ids, release_projects=projects),
            lambda: symbolication_facts(client, org, project, version, period, url_prefix),
        ]
    )
    if isinstance(uploads, Uploaded) and isinstance(symbolication, SymbolicationFacts):
        symbolication = replace(symbolication, uploads_newest=uploads.newest)
    return ReleaseSide(lookup, uploads, symbolication)  # type: ignore[arg-type]


def release_lookup(client: SentryClient, org: str, project: str, version: str) -> ReleaseLookup:
    """The release detail; when Sentry has no such release, the project's newest releases."""
    detail = release_detail(client, org, version)
    if detail is None:
        pid = project_id(client, org, project)
        return ReleaseLookup(name=version, exists=False, latest=latest_releases(client, org, pid))
    return ReleaseLookup(
        name=version,
        exists=True,
        projects=projects_of(detail),
        date_created=detail.get("dateCreated"),
        new_groups=detail.get("newGroups"),
    )


def release_detail(client: SentryClient, org: str, version: str) -> dict[str, Any] | None:
    """The release as the organization knows it, ``None`` when Sentry has none of that name.

    Sentry answers 404 for a release that does not exist in the organization, or that is not
    attached to any project the token may see (``has_release_permission``). The lookup and the
    uploads both ask; the client's cache sends one request."""
    path = endpoints.RELEASE.path(org=org, version=version)
    try:
        data = client.get_json(path)
    except errors.NotFound:
        return None
    detail: dict[str, Any] = expect(data, dict, path, "a release object")
    projects = detail.get("projects")
    if not isinstance(projects, list):
        raise errors.MalformedResponse(path, PROJECTS_NOT_LIST.format(kind=type(projects).__name__))
    return detail


def release_projects(client: SentryClient, org: str, version: str) -> tuple[str, ...] | None:
    """The slugs of the release's projects, ``None`` when Sentry has no release of that name."""
    detail = release_detail(client, org, version)
    return None if detail is None else projects_of(detail)


def projects_of(detail: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(p.get("slug")) for p in detail["projects"] if isinstance(p, dict))


def latest_releases(client: SentryClient, org: str, project_id: str, n: int = 3) -> tuple[str, ...]:
    """The project's newest release versions (for a naming mismatch to be obvious)."""
    data = client.get_json(endpoints.RELEASES.path(org=org), {"project": project_id, "per_page": n})
    return tuple(str(r.get("version")) for r in data[:n]) if isinstance(data, list) else ()


def project_id(client: SentryClient, org: str, project: str) -> str:
    """The project's numeric id (the issue list filters by id); never the slug in its place."""
    path = endpoints.PROJECT.path(org=org, project=project)
    data = expect(client.get_json(path), dict, path, "a project object")
    if not str(data.get("id") or "").isdigit():
        raise errors.MalformedResponse(path, NO_PROJECT_ID)
    return str(data["id"])


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
    uploads_newest: str | None = None

    @property
    def predates_uploads(self) -> bool:
        """The event was received before the newest upload (so it cannot show that upload)."""
        date = self.analysis.date_created if self.analysis else None
        return bool(date and self.uploads_newest and date < self.uploads_newest)


def symbolication_facts(
    client: SentryClient, org: str, project: str, version: str, period: str, url_prefix: str
) -> SymbolicationFacts:
    """Find the newest JavaScript event of the release and judge its frames."""
    newest = newest_js_event(client, org, project_id(client, org, project), version, period)
    if newest.event is None or newest.issue is None:
        return SymbolicationFacts(newest)
    analysis = analyse(newest.event, newest.issue, url_prefix)
    if analysis.failing is None and not analysis.problems and not analysis.wrong_prefix:
        return SymbolicationFacts(newest, analysis)
    exception_idx, frame_idx = analysis.failing or (0, 0)
    try:
        debug = source_map_debug(client, org, project, analysis.event_id, exception_idx, frame_idx)
    except errors.ApiError as exc:
        if exc.status == 400:
            reason = OLD_DEBUGGER.format(
                frame_idx=frame_idx, exception_idx=exception_idx, detail=exc.message
            )
            return SymbolicationFacts(newest, analysis, debug_unavailable=reason)
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
        scope.filtered(
            client,
            {
                "project": project_id,
                "query": f'release:"{version}"',
                "sort": "date",
                "limit": ISSUES_SCANNED,
                "statsPeriod": period,
            },
        ),
    )
    others: list[str] = []
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict) or not issue.get("id"):
            continue
        try:
            event = client.get_json(endpoints.LATEST_EVENT.path(org=org, issue_id=issue["id"]))
        except errors.NotFound:  # the latest event is gone (retention, deletion): try the next
            continue
        if not isinstance(event, dict) or not exception_values(event) or not _is_javascript(event):
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


def source_map_debug(
    client: SentryClient, org: str, project: str, event_id: str, exception_idx: int, frame_idx: int
) -> dict[str, Any] | None:
    """Sentry's own verdict on the failing frame's source-map lookup (needs project:read)."""
    data = client.get_json(
        endpoints.SOURCE_MAP_DEBUG.path(org=org, project=project, event_id=event_id),
        {"exception_idx": exception_idx, "frame_idx": frame_idx},
    )
    return debug_verdict(data, exception_idx, frame_idx)
