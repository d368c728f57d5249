"""The simulator's records: plain dataclasses, one per Sentry object.

Issues are frozen, slotted records with integer timestamps (epoch seconds) and shared strings, so
that 50,000 of them stay small; they are turned into JSON only when a page is served
(``serialize``). Change an issue with ``SimulatorData.update_issue`` (it replaces the record and
invalidates the search cache). The other records are small and mutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(slots=True)
class Organization:
    """An organization: ``id`` is numeric, served as a string."""

    slug: str
    id: int
    name: str
    date_created: int = 0


@dataclass(slots=True)
class Project:
    """A project of an organization (``org`` is the organization slug)."""

    slug: str
    id: int
    name: str
    platform: str
    org: str
    date_created: int = 0
    first_event: int | None = None


@dataclass(slots=True)
class ClientKey:
    """A client key (DSN) of a project; ``public`` is 32 hex characters."""

    id: str
    project_id: int
    public: str
    secret: str
    name: str = "Default"
    is_active: bool = True
    date_created: int = 0
    #: The host of ``dsn.public`` when not the simulator's own: Sentry's current ingest host,
    #: e.g. ``o1.ingest.us.sentry.io`` (sentry-api.md §13 "Keys and hosts").
    ingest_host: str | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """One issue (group). ``count`` is an int here and a string on the wire, as in Sentry."""

    id: int
    project_id: int
    short_num: int
    title: str
    culprit: str
    level: str
    status: str
    substatus: str | None
    priority: str | None
    count: int
    user_count: int
    first_seen: int
    last_seen: int
    first_release: str | None = None
    last_release: str | None = None
    environment: str = "production"
    is_unhandled: bool = True
    assigned_to: str | None = None
    #: Sentry's suggested owners (GroupOwner): (type, "user:<id>"|"team:<id>"), e.g.
    #: ("ownershipRule", "team:2"); served as the detail's ``owners``.
    suggested_owners: tuple[tuple[str, str], ...] = ()
    exc_type: str = "Error"
    exc_value: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    #: ``issueCategory`` and ``issueType``: ``error``/``error``, or a monitor's ``cron``/
    #: ``monitor_check_in_failure`` (sentry-api.md §13 "Priority").
    category: str = "error"
    issue_type: str = "error"
    #: Releases the issue regressed in (Sentry's GroupHistory, behind ``regressed_in_release:``).
    regressed_in: tuple[str, ...] = ()
    #: When the issue came back after a quiet spell, and its events since (window values).
    resumed_at: int | None = None
    resumed_count: int | None = None
    #: The events' ``logger`` (``sentry-gate`` for the smoke event).
    logger: str | None = None


@dataclass(slots=True)
class ReleaseHealth:
    """Session numbers of one release in one project (rates are percentages, 0 to 100)."""

    total_sessions: int = 0
    total_users: int = 0
    sessions_crashed: int = 0
    sessions_errored: int = 0
    crash_free_sessions: float | None = None
    crash_free_users: float | None = None
    #: The environment the sessions came from (the sessions API filters on ``environment``).
    environment: str = "production"


@dataclass(slots=True)
class ReleaseFile:
    """A legacy release artifact (``name`` like ``~/assets/main-abc123.js``)."""

    id: str
    name: str
    sha1: str
    size: int
    dist: str | None = None
    date_created: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Deploy:
    """A deploy of a release to an environment (epoch seconds; ``started`` may be unknown)."""

    id: int
    environment: str
    finished: int
    started: int | None = None
    name: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """What became of ``quantity`` items of one project in the hour of ``timestamp``.

    ``outcome`` is Sentry's API name (``accepted``, ``filtered``, ``rate_limited``, ``invalid``,
    ``abuse``, ``client_discard``, ``cardinality_limited``), ``reason`` why one was dropped
    (``None`` when accepted), ``category`` Relay's data category (``error``, ``default`` and
    ``security`` are served together as ``error``).
    """

    project_id: int
    timestamp: int
    outcome: str
    category: str
    quantity: int
    reason: str | None = None


@dataclass(slots=True)
class Release:
    """A release; ``projects`` holds project ids; ``health`` is keyed by project id."""

    version: str
    id: int
    projects: list[int]
    date_created: int
    date_released: int | None = None
    new_groups: int = 0
    files: list[ReleaseFile] = field(default_factory=list)
    health: dict[int, ReleaseHealth] = field(default_factory=dict)
    ref: str | None = None
    #: Commit authors (``{"name", "email"}``) and the last commit, as associated commits give.
    authors: list[JsonDict] = field(default_factory=list)
    last_commit: JsonDict | None = None
    #: Its deploys (``Deploy``), as ``sentry-cli releases deploys new`` records them.
    deploys: list[Deploy] = field(default_factory=list)


@dataclass(slots=True)
class BundleFile:
    """A file inside an artifact bundle (``file_type``: ``minified_source`` or ``source_map``)."""

    file_path: str
    file_type: str
    debug_id: str | None = None
    size: int = 0


@dataclass(slots=True)
class ArtifactBundle:
    """An artifact bundle of a project; ``associations`` are (release, dist) pairs."""

    bundle_id: str
    project_id: int
    associations: list[tuple[str, str | None]]
    date: int
    files: list[BundleFile] = field(default_factory=list)


@dataclass(slots=True)
class Event:
    """One event of an issue. Frames are web-API (camelCase) frame dicts."""

    event_id: str
    issue_id: int
    project_id: int
    date_created: int
    release: str | None = None
    dist: str | None = None
    environment: str | None = "production"
    platform: str = "javascript"
    message: str = ""
    exc_type: str = "Error"
    exc_value: str = ""
    frames: list[JsonDict] = field(default_factory=list)
    raw_frames: list[JsonDict] = field(default_factory=list)
    errors: list[JsonDict] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    sdk: JsonDict | None = None
    user: JsonDict | None = None
    contexts: JsonDict = field(default_factory=dict)
    level: str = "error"
    culprit: str | None = None
    #: The ``request`` entry's data (url, headers as pairs, data), when the SDK sent one.
    request: JsonDict | None = None
    #: Sentry's record of what it scrubbed (the event detail's ``_meta``).
    meta: JsonDict = field(default_factory=dict)
