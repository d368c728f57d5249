"""``SimulatorData``: everything the simulator serves, with the mutators tests use.

One instance holds organizations, projects, client keys, issues, events, releases (with their
files and health numbers), artifact bundles and source-map-debug answers. Every mutator takes the
data lock and bumps ``version`` (which invalidates the issue-search cache), so tests may change
the data between requests while the server runs. ``seeded()`` builds a deterministic data set
(see ``seed.py``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .clock import DEFAULT_NOW, to_epoch
from .data_releases import ReleaseMutators
from .legacy import CURRENT, ServerProfile
from .model import (
    ArtifactBundle,
    ClientKey,
    Event,
    Issue,
    JsonDict,
    Organization,
    OutcomeRow,
    Project,
    Release,
)
from .synth import hex_id as _hex
from .synth import synth_event

FIRST_ISSUE_ID = 4_000_000_001


def base36(number: int) -> str:
    """Sentry's short-id suffix alphabet (``CODICTATE-1A``)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


@dataclass
class SimulatorData(ReleaseMutators):
    """The simulator's state. Use the ``add_*``/``update_*`` mutators; they are thread-safe."""

    now: datetime = DEFAULT_NOW
    seed: int = 0
    organizations: dict[str, Organization] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    keys: list[ClientKey] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    events: dict[str, Event] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)
    bundles: list[ArtifactBundle] = field(default_factory=list)
    source_map_debug: dict[str, JsonDict] = field(default_factory=dict)
    #: What the served Sentry supports (``legacy.py``: older self-hosted servers).
    server: ServerProfile = CURRENT
    #: (project id, title) of issues someone chose "Delete & Discard" for.
    discarded: set[tuple[int, str]] = field(default_factory=set)
    #: The organization's outcomes (``stats_v2``): what ingestion accepted and dropped.
    outcomes: list[OutcomeRow] = field(default_factory=list)
    #: The organizations' teams: (org slug, team id) -> team slug.
    teams: dict[tuple[str, int], str] = field(default_factory=dict)
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    search_cache: OrderedDict[tuple[int, object], list[Issue]] = field(
        default_factory=OrderedDict, repr=False
    )
    _issue_pos: dict[int, int] = field(default_factory=dict, repr=False)
    _events_by_issue: dict[int, list[str]] = field(default_factory=dict, repr=False)
    _short_counters: dict[int, int] = field(default_factory=dict, repr=False)
    _next_id: int = FIRST_ISSUE_ID

    # -- time ---------------------------------------------------------------------------------

    @property
    def now_epoch(self) -> int:
        """``now`` in epoch seconds."""
        return to_epoch(self.now)

    def discard(self, issue_id: int | str) -> None:
        """ "Delete & Discard": the issue is gone and its later events are dropped after a 200."""
        with self.lock:
            pos = self._issue_pos.pop(int(issue_id))
            issue = self.issues.pop(pos)
            self._issue_pos.update({i.id: n for n, i in enumerate(self.issues)})
            self.discarded.add((issue.project_id, issue.title))
            self.version += 1

    def set_server(self, profile: ServerProfile) -> None:
        """Serve as the Sentry ``profile`` describes (``legacy.py``)."""
        with self.lock:
            self.server = profile
            self.version += 1

    def touch(self) -> None:
        """Invalidate caches after changing records directly."""
        with self.lock:
            self.version += 1

    # -- organizations, projects, keys --------------------------------------------------------

    def add_org(self, slug: str, *, name: str | None = None, id: int | None = None) -> Organization:
        """Add an organization."""
        with self.lock:
            org = Organization(
                slug=slug,
                id=id if id is not None else 1000 + len(self.organizations) + 1,
                name=name or slug.replace("-", " ").title(),
                date_created=self.now_epoch - 400 * 86400,
            )
            self.organizations[slug] = org
            self.version += 1
            return org

    def add_project(
        self,
        slug: str,
        *,
        org: str = "acme",
        platform: str = "javascript",
        name: str | None = None,
        id: int | None = None,
        key: bool = True,
    ) -> Project:
        """Add a project (and its organization when missing); ``key`` adds one active key."""
        with self.lock:
            if org not in self.organizations:
                self.add_org(org)
            project = Project(
                slug=slug,
                id=id if id is not None else 4_500_000_000 + len(self.projects) + 1,
                name=name or slug.replace("-", " ").title(),
                platform=platform,
                org=org,
                date_created=self.now_epoch - 300 * 86400,
            )
            self.projects[project.id] = project
            if key:
                self.add_key(project.slug, org=org)
            self.version += 1
            return project

    def add_key(
        self, project: str | int, *, org: str | None = None, is_active: bool = True
    ) -> ClientKey:
        """Add a client key to a project; its public key is derived from the seed."""
        with self.lock:
            proj = self._project_arg(project, org)
            public = _hex("key", self.seed, proj.id, len(self.keys))
            key = ClientKey(
                id=public[:8],
                project_id=proj.id,
                public=public,
                secret=_hex("secret", self.seed, proj.id, len(self.keys)),
                is_active=is_active,
                date_created=proj.date_created,
            )
            self.keys.append(key)
            self.version += 1
            return key

    def org(self, slug_or_id: str) -> Organization | None:
        """The organization with this slug or numeric id."""
        found = self.organizations.get(slug_or_id)
        if found is None and slug_or_id.isdigit():
            found = next((o for o in self.organizations.values() if o.id == int(slug_or_id)), None)
        return found

    def project(self, org: str, slug_or_id: str) -> Project | None:
        """The project of ``org`` with this slug or numeric id."""
        for proj in self.projects.values():
            if proj.org == org and (proj.slug == slug_or_id or str(proj.id) == slug_or_id):
                return proj
        return None

    def _project_arg(self, project: str | int, org: str | None) -> Project:
        if isinstance(project, int):
            return self.projects[project]
        for proj in self.projects.values():
            if proj.slug == project and (org is None or proj.org == org):
                return proj
        raise KeyError(f"no project {project!r}")

    # -- issues -------------------------------------------------------------------------------

    def add_issue(self, *, project: str | int | None = None, **fields: Any) -> Issue:
        """Add an issue. ``fields`` are ``Issue`` fields; timestamps may be datetimes/ISO text."""
        with self.lock:
            proj = self._project_arg(project, None) if project is not None else self._first()
            now = self.now_epoch
            short_num = self._short_counters.get(proj.id, 0) + 1
            self._short_counters[proj.id] = short_num
            for name in ("first_seen", "last_seen"):
                if name in fields:
                    fields[name] = to_epoch(fields[name])
            values: dict[str, Any] = {
                "title": "Error: simulated issue",
                "culprit": "handler(./src/app)",
                "level": "error",
                "status": "unresolved",
                "substatus": "new",
                "priority": "medium",
                "count": 1,
                "user_count": 1,
                "first_seen": now,
                "last_seen": fields.get("first_seen", now),
            }
            values.update(fields)
            if values["status"] != "unresolved" and "substatus" not in fields:
                values["substatus"] = (
                    "archived_until_escalating" if values["status"] == "ignored" else None
                )
            issue_id = int(values.pop("id", self._next_id))
            self._next_id = max(self._next_id, issue_id + 1)
            issue = Issue(id=issue_id, project_id=proj.id, short_num=short_num, **values)
            self._issue_pos[issue.id] = len(self.issues)
            self.issues.append(issue)
            self.version += 1
            return issue

    def update_issue(self, issue_id: int | str, **changes: Any) -> Issue:
        """Replace fields of an issue (e.g. ``status="resolved"``)."""
        with self.lock:
            pos = self._issue_pos[int(issue_id)]
            for name in ("first_seen", "last_seen"):
                if name in changes:
                    changes[name] = to_epoch(changes[name])
            issue = replace(self.issues[pos], **changes)
            self.issues[pos] = issue
            self.version += 1
            return issue

    def issue(self, id_or_short: str) -> Issue | None:
        """The issue with this numeric id or short id (``CODICTATE-1A``)."""
        if id_or_short.isdigit():
            pos = self._issue_pos.get(int(id_or_short))
            return None if pos is None else self.issues[pos]
        prefix, _, _suffix = id_or_short.upper().rpartition("-")
        for issue in self.issues:
            proj = self.projects[issue.project_id]
            if proj.slug.upper() == prefix and self.short_id(issue) == id_or_short.upper():
                return issue
        return None

    def short_id(self, issue: Issue) -> str:
        """``CODICTATE-1A``."""
        return f"{self.projects[issue.project_id].slug.upper()}-{base36(issue.short_num)}"

    def _first(self) -> Project:
        if not self.projects:
            raise KeyError("add a project first")
        return next(iter(self.projects.values()))

    # -- events -------------------------------------------------------------------------------

    def add_event(
        self,
        issue_id: int | str | None = None,
        *,
        project: str | int | None = None,
        event_id: str | None = None,
        date: datetime | str | int | None = None,
        **fields: Any,
    ) -> Event:
        """Add an event to an issue, or (``issue_id=None``) to a new issue of ``project``."""
        with self.lock:
            if issue_id is None:
                title = f"{fields.get('exc_type', 'Error')}: {fields.get('exc_value', '')}"
                issue = self.add_issue(
                    project=project,
                    title=fields.get("message") or title,
                    level=fields.get("level", "error"),
                    first_release=fields.get("release"),
                    last_release=fields.get("release"),
                    first_seen=to_epoch(date, default=self.now_epoch),
                )
            else:
                found = self.issue(str(issue_id))
                if found is None:
                    raise KeyError(f"no issue {issue_id!r}")
                issue = found
            stored = self._events_by_issue.setdefault(issue.id, [])
            event = Event(
                event_id=event_id or _hex("event", self.seed, issue.id, len(stored)),
                issue_id=issue.id,
                project_id=issue.project_id,
                date_created=to_epoch(date, default=self.now_epoch),
                **fields,
            )
            self.events[event.event_id] = event
            stored.append(event.event_id)
            self.version += 1
            return event

    def synthetic_prefix(self) -> str:
        """The 24-hex prefix of lazily built event ids."""
        return _hex("synthetic", self.seed, length=24)

    def events_of(self, issue: Issue) -> list[Event]:
        """The issue's events, oldest first (one synthesized event when none is stored)."""
        stored = self._events_by_issue.get(issue.id)
        if stored:
            return sorted((self.events[e] for e in stored), key=lambda e: e.date_created)
        return [synth_event(issue, f"{self.synthetic_prefix()}{issue.id & 0xFFFFFFFF:08x}")]

    def event(self, event_id: str) -> Event | None:
        """The event with this id (stored, or the synthesized event of an issue)."""
        found = self.events.get(event_id)
        if found is not None or not event_id.startswith(self.synthetic_prefix()):
            return found
        issue = self.issue(str(int(event_id[24:], 16)))
        if issue is None or self._events_by_issue.get(issue.id):
            return None
        return self.events_of(issue)[0]
