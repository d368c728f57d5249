"""The smoke round trip: the project's client keys, one synthetic event sent, its arrival polled.

``read_keys`` lists the project's client keys without keeping their secrets. ``build_event`` makes
the one event the runbook allows (message "sentry-gate smoke test", level error, tags
``source:sentry-gate`` and ``mode:local-smoke``, the release and environment under check, a fresh
event id, and nothing from the process environment). ``send`` posts it as an envelope to the
DSN's ingest endpoint; ``confirm_arrival`` polls an ``ArrivalReader`` within a bounded wait, with
backoff, through the client configuration's ``sleep`` and ``clock`` (so tests never sleep).

``ArrivalReader`` is the extension point for servers that ingest but do not serve Sentry's event
API: ``SentryEventReader`` reads ``GET /api/0/projects/{org}/{project}/events/{id}/``; a
``conftest.py`` can override the ``sentry_arrival_reader`` fixture with another reader (the
plugin's tests do so for Bugsink's own API).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from pytest_sentry_gate import errors
from pytest_sentry_gate.ratelimits import RateLimit, header_of, parse
from pytest_sentry_gate.repo.dsn import Dsn
from pytest_sentry_gate.sentry import endpoints

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient

SMOKE_MESSAGE: Final = "sentry-gate smoke test"
SMOKE_TAGS: Final = {"source": "sentry-gate", "mode": "local-smoke"}
FIRST_DELAY: Final = 0.5
MAX_DELAY: Final = 5.0
WAITING: Final = "waiting for smoke event {event_id} to arrive: {waited:.0f}s of {wait:g}s"
#: A bound on polls, whatever the clock does (a frozen clock would otherwise poll forever).
MAX_POLLS: Final = 60


@dataclass(frozen=True)
class ClientKeyFacts:
    """One client key as evidence may show it: never the public or secret key itself."""

    id: str
    name: str
    active: bool
    rate_limit: Any
    host: str | None
    project_id: str | None
    public_key: str = ""

    def evidence(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "active": self.active,
            "rate_limit": self.rate_limit,
            "dsn_host": self.host,
            "dsn_project_id": self.project_id,
        }

    def __repr__(self) -> str:
        return f"ClientKeyFacts(name={self.name!r}, active={self.active})"


def read_keys(client: SentryClient, org: str, project: str) -> tuple[ClientKeyFacts, ...]:
    """The project's client keys (every page)."""
    from pytest_sentry_gate.repo.dsn import DsnError, parse_dsn

    found = []
    for page in client.paginate(endpoints.PROJECT_KEYS.path(org=org, project=project)):
        for key in page:
            public = str(((key.get("dsn") or {}).get("public")) or "")
            try:
                dsn: Dsn | None = parse_dsn(public)
            except DsnError:
                dsn = None
            found.append(
                ClientKeyFacts(
                    id=str(key.get("id")),
                    name=str(key.get("name") or key.get("label") or ""),
                    active=bool(key.get("isActive")),
                    rate_limit=key.get("rateLimit"),
                    host=dsn.host if dsn else None,
                    project_id=dsn.project_id if dsn else str(key.get("projectId") or "") or None,
                    public_key=str(key.get("public") or ""),
                )
            )
    return tuple(found)


def build_event(
    *, release: str | None, environment: str, event_id: str, now: float
) -> dict[str, Any]:
    """The smoke event: no process environment, no user, no request: only what the runbook says."""
    event: dict[str, Any] = {
        "event_id": event_id,
        "timestamp": datetime.fromtimestamp(now, UTC).isoformat(),
        "platform": "other",
        "level": "error",
        "logger": "sentry-gate",
        "message": {"formatted": SMOKE_MESSAGE},
        "environment": environment,
        "tags": dict(SMOKE_TAGS),
        "sdk": {"name": "pytest-sentry-gate", "version": "1"},
    }
    if release:
        event["release"] = release
    return event


def envelope(event: dict[str, Any], now: float) -> bytes:
    """One envelope holding the event (``length`` set, so the payload may hold anything)."""
    payload = json.dumps(event, separators=(",", ":")).encode()
    sent_at = datetime.fromtimestamp(now, UTC).isoformat()
    head = json.dumps({"event_id": event["event_id"], "sent_at": sent_at}).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return b"\n".join((head, item, payload)) + b"\n"


@dataclass(frozen=True)
class Sent:
    """What the ingest endpoint said: accepted (with its status and id) or rejected."""

    event_id: str
    release: str | None
    environment: str
    accepted: bool
    status: int | None
    accepted_id: str | None = None
    detail: str = ""
    #: ``X-Sentry-Rate-Limits`` of the answer (any status), parsed.
    rate_limits: tuple[RateLimit, ...] = ()


def new_event_id() -> str:
    return uuid.uuid4().hex


def send(
    client: SentryClient,
    *,
    dsn_value: str,
    release: str | None,
    environment: str,
    clock: Callable[[], float],
    event_id: str | None = None,
) -> Sent:
    """Send the smoke event; a 401/403 from ingestion is a rejected key, a 429 a quota or rate
    limit (kept as facts, with ``X-Sentry-Rate-Limits`` read on every status as the SDKs do)."""
    event_id = event_id or new_event_id()
    now = clock()
    body = envelope(
        build_event(release=release, environment=environment, event_id=event_id, now=now), now
    )
    try:
        response = client.post_envelope(dsn=dsn_value, envelope=body)
    except (errors.AuthError, errors.ScopeError) as exc:
        return Sent(event_id, release, environment, False, exc.status or 403, detail=exc.message)
    except errors.RateLimited as exc:
        limits = parse(exc.rate_limits)
        return Sent(event_id, release, environment, False, 429, None, exc.message, limits)
    answered = response.data.get("id") if isinstance(response.data, dict) else None
    accepted_id = str(answered or "") or None
    limits = parse(header_of(dict(response.headers)))
    return Sent(event_id, release, environment, True, response.status, accepted_id, "", limits)


class NotVerifiable(Exception):
    """The server accepts events but offers no read path for them (e.g. Bugsink's /api/0/)."""


class ArrivalReader(Protocol):
    """Reads one event by id: the event's JSON, ``None`` when not (yet) there, or
    ``NotVerifiable`` when the server cannot tell."""

    @property
    def description(self) -> str: ...

    def lookup(self, event_id: str) -> dict[str, Any] | None: ...


@dataclass
class SentryEventReader:
    """``GET /api/0/projects/{org}/{project}/events/{event_id}/``, uncached (it is polled)."""

    client: SentryClient
    org: str
    project: str

    @property
    def description(self) -> str:
        return endpoints.PROJECT_EVENT.path(org=self.org, project=self.project, event_id="<id>")

    def lookup(self, event_id: str) -> dict[str, Any] | None:
        path = endpoints.PROJECT_EVENT.path(org=self.org, project=self.project, event_id=event_id)
        try:
            data = self.client.fetch(path)
        except errors.NotFound:
            self._require_project_api()
            return None
        return data if isinstance(data, dict) else None

    def _require_project_api(self) -> None:
        """A 404 means "not yet" only where the project itself is served (Bugsink's /api/0/
        serves no project: its 404 says nothing about the event)."""
        project = endpoints.PROJECT.path(org=self.org, project=self.project)
        try:
            self.client.get(project)
        except errors.NotFound:
            raise NotVerifiable(f"{project} answers 404: no Sentry project API here") from None


@dataclass(frozen=True)
class Arrival:
    """How the poll ended: the event (or ``None``), attempts, seconds waited, or why not."""

    event: dict[str, Any] | None
    attempts: int
    waited: float
    reader: str
    not_verifiable: str | None = None

    def tags(self) -> dict[str, str]:
        """The event's tags as a dict (Sentry lists ``{key, value}``; others a mapping or pairs)."""
        raw = (self.event or {}).get("tags") or {}
        if isinstance(raw, dict):
            return {str(k): str(v) for k, v in raw.items()}
        pairs = ((t.get("key"), t.get("value")) if isinstance(t, dict) else tuple(t) for t in raw)
        return {str(k): str(v) for k, v in pairs}


def confirm_arrival(
    reader: ArrivalReader,
    event_id: str,
    *,
    wait: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    progress: Callable[[str], None] | None = None,
) -> Arrival:
    """Poll ``reader`` for the event until it appears or ``wait`` seconds pass (backoff 0.5 s,
    doubling, capped at 5 s; the last sleep is cut to the deadline). ``progress`` hears each
    wait (a terminal shows it as one line)."""
    start = clock()
    attempts, delay = 0, FIRST_DELAY
    while True:
        attempts += 1
        try:
            event = reader.lookup(event_id)
        except NotVerifiable as exc:
            return Arrival(None, attempts, clock() - start, reader.description, str(exc))
        waited = clock() - start
        if event is not None or waited >= wait or attempts >= MAX_POLLS:
            return Arrival(event, attempts, waited, reader.description)
        if progress is not None:
            progress(WAITING.format(event_id=event_id, waited=waited, wait=wait))
        sleep(min(delay, max(0.0, wait - waited)))
        delay = min(MAX_DELAY, delay * 2)
