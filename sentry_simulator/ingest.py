"""``POST /api/{project_id}/envelope/``: envelope parsing, DSN-key auth, storing the event.

The key comes from ``X-Sentry-Auth`` (``sentry_key=…``), the ``sentry_key`` query parameter or the
envelope header ``dsn``; it must be an active key of that project, else 403. The first ``event``
item is stored as an event of the issue with the same title in the project (a new issue
otherwise), with its tags plus ``environment``, ``level`` and ``release`` tags; an unknown
release is created, as Sentry does on ingestion. Answer: 200 ``{"id": "<event_id>"}``.

As Sentry does (``shared/reference/sentry-api.md`` §13 "Priority", "Ingestion answers"): a new
issue's priority comes from its level (no severity score: an error is HIGH); an event of a
resolved issue regresses it; an event of an issue someone chose "Delete & Discard" for
(``SimulatorData.discard``) is answered 200 and dropped. ``quota_exceeded`` is the fault Relay
sends when a quota or rate limit drops the project's events (§13 "Ingestion answers").
"""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from typing import Any
from urllib.parse import urlsplit

from .clock import to_epoch
from .data import SimulatorData
from .faults import Fault
from .model import Issue, JsonDict
from .outcomes_data import add_outcome
from .synth import frame
from .wire import HttpError, Reply, Request

INGEST_NO_KEY = "missing authorization information"
INGEST_BAD_KEY = "invalid api key"
INGEST_BAD_ENVELOPE = "invalid envelope: {reason}"
#: Relay's ``BadStoreRequest::RateLimited`` body (``relay-server/src/endpoints/common.rs``).
INGEST_RATE_LIMITED = (
    "Sentry dropped data due to a quota or internal rate limit being reached. This will not "
    "affect your application. See https://docs.sentry.io/product/accounts/quotas/ for more "
    "information."
)
#: A new error group's priority without a severity score (``_get_priority_for_group``).
PRIORITY_OF_LEVEL = {"fatal": "high", "error": "high", "warning": "medium", "info": "low",
                     "debug": "low"}  # fmt: skip


def _auth_key(req: Request, headers: JsonDict) -> str | None:
    auth = req.headers.get("x-sentry-auth") or req.headers.get("authorization") or ""
    if auth.lower().startswith("sentry "):
        for part in auth[7:].split(","):
            name, _, value = part.strip().partition("=")
            if name == "sentry_key" and value:
                return value
    if req.arg("sentry_key"):
        return req.arg("sentry_key")
    dsn = headers.get("dsn")
    if isinstance(dsn, str) and dsn:
        return urlsplit(dsn).username
    return None


def parse_envelope(body: bytes) -> tuple[JsonDict, list[tuple[JsonDict, bytes]]]:
    """The envelope headers and its (item headers, payload) pairs."""

    def bad(reason: str) -> HttpError:
        return HttpError(400, INGEST_BAD_ENVELOPE.format(reason=reason))

    first, _, rest = body.partition(b"\n")
    try:
        headers = json.loads(first or b"{}")
    except ValueError:
        raise bad("envelope header is not JSON") from None
    items: list[tuple[JsonDict, bytes]] = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        try:
            item_headers = json.loads(line)
        except ValueError:
            raise bad("item header is not JSON") from None
        length = item_headers.get("length")
        if isinstance(length, int):
            payload, rest = rest[:length], rest[length:]
            rest = rest[1:] if rest.startswith(b"\n") else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((item_headers, payload))
    return headers, items


def _frames(exception: JsonDict) -> list[JsonDict]:
    frames = (exception.get("stacktrace") or {}).get("frames") or []
    out = []
    for f in frames:
        line = f.get("lineno") or 0
        context = [[line - len(f.get("pre_context") or []) + n, text] for n, text in enumerate(
            [*(f.get("pre_context") or []), f.get("context_line"), *(f.get("post_context") or [])]
        ) if text is not None]  # fmt: skip
        out.append(
            frame(
                abs_path=str(f.get("abs_path") or f.get("filename") or ""),
                function=f.get("function"),
                line_no=line,
                col_no=f.get("colno") or 0,
                in_app=bool(f.get("in_app", True)),
                context=context,
            )
        )
    return out


def _tags(payload: JsonDict) -> list[tuple[str, str]]:
    raw = payload.get("tags") or {}
    pairs = raw.items() if isinstance(raw, dict) else [tuple(p) for p in raw]
    tags = {str(k): str(v) for k, v in pairs}
    for key in ("environment", "level", "release"):
        if payload.get(key):
            tags[key] = str(payload[key])
    return sorted(tags.items())


def store_event(data: SimulatorData, project_id: int, payload: JsonDict, event_id: str) -> str:
    """Store an ingested event payload; returns its event id."""
    values = (payload.get("exception") or {}).get("values") or [{}]
    exception: JsonDict = values[-1]
    message: Any = payload.get("message") or (payload.get("logentry") or {}).get("formatted")
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message")
    exc_type, exc_value = str(exception.get("type") or ""), str(exception.get("value") or "")
    title = f"{exc_type}: {exc_value}" if exc_type else str(message or "<unlabeled event>")
    when = to_epoch(payload.get("timestamp"), default=data.now_epoch)
    release, level = payload.get("release"), str(payload.get("level") or "error")
    frames = _frames(exception)
    with data.lock:
        if release and release not in data.releases:
            slug = data.projects[project_id].slug
            data.add_release(release, projects=(slug,), date_created=when)
        elif release and project_id not in data.releases[release].projects:
            data.releases[release].projects.append(project_id)
        if (project_id, title) in data.discarded:  # a discarded hash: accepted, then dropped
            add_outcome(data, project=project_id, outcome="filtered", reason="discarded-hash")
            return event_id
        add_outcome(data, project=project_id, outcome="accepted")
        issue = _issue_for(data, project_id, title)
        if issue is not None and issue.status == "resolved":  # a regression
            issue = data.update_issue(issue.id, status="unresolved", substatus="regressed",
                                      regressed_in=(release,) if release else ())  # fmt: skip
        if issue is None:
            top = frames[-1] if frames else {}
            culprit = f"{top.get('function')}({top.get('filename')})" if top else ""
            issue = data.add_issue(
                project=project_id, title=title, culprit=culprit, level=level,
                first_seen=when, last_seen=when, first_release=release, last_release=release,
                environment=str(payload.get("environment") or "production"),
                exc_type=exc_type or "Error", exc_value=exc_value or title,
                priority=PRIORITY_OF_LEVEL.get(level, "medium"),
                logger=str(payload["logger"]) if payload.get("logger") else None,
            )  # fmt: skip
        else:
            data.update_issue(
                issue.id, count=issue.count + 1, last_seen=max(issue.last_seen, when),
                last_release=release or issue.last_release,
            )  # fmt: skip
        data.add_event(
            issue.id, event_id=event_id, date=when, release=release, dist=payload.get("dist"),
            environment=payload.get("environment"),
            platform=str(payload.get("platform") or "javascript"),
            message=str(message or title), exc_type=exc_type, exc_value=exc_value, frames=frames,
            tags=_tags(payload), sdk=payload.get("sdk"), user=payload.get("user"),
            contexts=dict(payload.get("contexts") or {}), level=level, culprit=issue.culprit,
        )  # fmt: skip
    return event_id


def _issue_for(data: SimulatorData, project_id: int, title: str) -> Issue | None:
    for issue in data.issues:
        if issue.project_id == project_id and issue.title == title and issue.status != "ignored":
            return issue
    return None


def envelope(data: SimulatorData, req: Request, project_id: str) -> Reply:
    """Handle ``POST /api/{project_id}/envelope/``."""
    body = req.body
    encoding = req.headers.get("content-encoding", "").lower()
    try:
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
    except (OSError, zlib.error):
        raise HttpError(400, INGEST_BAD_ENVELOPE.format(reason="bad content encoding")) from None
    headers, items = parse_envelope(body)
    key = _auth_key(req, headers)
    if not key:
        raise HttpError(403, INGEST_NO_KEY)
    if not project_id.isdigit() or not any(
        k.public == key and k.is_active and k.project_id == int(project_id) for k in data.keys
    ):
        raise HttpError(403, INGEST_BAD_KEY)
    for item_headers, payload in items:
        if item_headers.get("type") != "event":
            continue
        try:
            event = json.loads(payload)
        except ValueError:
            raise HttpError(400, INGEST_BAD_ENVELOPE.format(reason="event is not JSON")) from None
        raw_id = str(event.get("event_id") or headers.get("event_id") or uuid.uuid4().hex)
        event_id = raw_id.replace("-", "").lower()
        return Reply(body={"id": store_event(data, int(project_id), event, event_id)})
    return Reply(body={})


def quota_exceeded(
    *,
    seconds: int = 3600,
    categories: tuple[str, ...] = ("error", "default", "security"),
    scope: str = "organization",
    reason: str = "usage_exceeded",
    times: int | None = None,
) -> Fault:
    """Relay's 429 for events over a quota (or, with ``scope="key"``, the key's rate limit):
    ``Retry-After`` and ``X-Sentry-Rate-Limits: <seconds>:<categories>:<scope>[:<reason>]``."""
    limit = ":".join((str(seconds), ";".join(categories), scope, *((reason,) if reason else ())))
    return Fault(
        path=r"^/api/\d+/envelope/$", method="POST", status=429, times=times,
        headers={"Retry-After": str(seconds), "X-Sentry-Rate-Limits": limit},
        body={"detail": INGEST_RATE_LIMITED},
    )  # fmt: skip
