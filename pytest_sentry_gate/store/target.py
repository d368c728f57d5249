"""``FactsStore``: the facts of one (org, project) target, each read once on first demand.

Identity (the project's slug and id), the release under check, the checkpoint and the release
side live here; the issue facts are in ``health`` and ``triage``, called through the same memo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_sentry_gate.store import health
from pytest_sentry_gate.store.memo import Memo

if TYPE_CHECKING:
    from pytest_sentry_gate.checkpoint import Loaded
    from pytest_sentry_gate.repo.dsn import KillSwitch
    from pytest_sentry_gate.repo.release_name import ReleaseTarget
    from pytest_sentry_gate.repo.wiring import WiringResult
    from pytest_sentry_gate.sentry.client import ClientConfig, SentryClient
    from pytest_sentry_gate.sentry.deploys import Mitigation
    from pytest_sentry_gate.sentry.discovery import Resolution
    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.incident import IncidentFacts
    from pytest_sentry_gate.sentry.issues import QueryResult, UnresolvedCount, UnresolvedListing
    from pytest_sentry_gate.sentry.outcomes import Outcomes
    from pytest_sentry_gate.sentry.release_facts import ReleaseSide
    from pytest_sentry_gate.sentry.smoke import ArrivalReader, ClientKeyFacts
    from pytest_sentry_gate.store.checkpoint import Located
    from pytest_sentry_gate.store.incident import IncidentSymbolication
    from pytest_sentry_gate.store.loop import LoopFacts
    from pytest_sentry_gate.store.registry import Stores, Wiring
    from pytest_sentry_gate.store.repository import ProjectSlug
    from pytest_sentry_gate.store.smoke import DsnFacts, Send, SmokeOutcome
    from pytest_sentry_gate.store.triage import Triaged

_T = TypeVar("_T")


class FactsStore:
    """The facts of one target; ``configured`` is its project slug as set (``None``: discover)."""

    def __init__(self, stores: Stores, configured: str | None) -> None:
        self.stores = stores
        self.configured = configured
        self.memo = Memo()

    @property
    def wiring(self) -> Wiring:
        return self.stores.wiring

    def client(self) -> SentryClient:
        return self.stores.client()

    # -- identity ------------------------------------------------------------------------------

    def org(self) -> str:
        return self.stores.org_resolution().slug

    def project_resolution(self) -> Resolution:
        """How the project slug was settled (configured, or the only one the token sees)."""
        return self.memo.get("project", self._project_resolution)

    def _project_resolution(self) -> Resolution:
        from pytest_sentry_gate.sentry.discovery import resolve_project

        conf = self.wiring.settings
        org = conf.org or self.org()  # a configured organization is the slug, or an error:
        try:  # the project is confirmed beside it, and the organization's error comes first
            return resolve_project(
                self.client(),
                org,
                self.configured,
                source=conf.sources.get("project", "default"),
                auto=conf.auto_slug_discovery and self.configured is None,
            )
        finally:
            self.org()

    def project(self) -> str:
        return self.project_resolution().slug

    def with_slugs(self, read: Callable[[str, str], _T]) -> _T:
        """``read(org, project)``: at once with the configured slugs (each is the slug or an
        error, so the read goes out beside their confirmation, and a slug's error comes first),
        else with the slugs once settled."""
        org, project = self.wiring.settings.org, self.configured
        if org is None or project is None:
            return read(*self._slugs())
        try:
            return read(org, project)
        finally:
            self._slugs()

    def project_id(self) -> str:
        """The numeric id of the project (the issue list filters by it)."""
        from pytest_sentry_gate.sentry.release_facts import project_id

        return self.memo.get("project_id", lambda: project_id(self.client(), *self._slugs()))

    def _slugs(self) -> tuple[str, str]:
        return self.org(), self.project()

    # -- the release ---------------------------------------------------------------------------

    def release(self) -> ReleaseTarget:
        """The release under check: --sentry-release, else the template on the aligned version
        (the project is discovered only when the template names it and none is configured)."""
        return self.memo.get("release", self._release)

    def _release(self) -> ReleaseTarget:
        from pytest_sentry_gate.repo.release_name import ReleaseTarget, expected_release

        conf, version = self.wiring.settings, self.stores.app_version().version
        needs = not conf.release and version and "{project}" in conf.release_template
        project = self.configured or (self.project() if needs else "")
        name, source = expected_release(
            explicit=conf.release, template=conf.release_template, project=project, version=version
        )
        return ReleaseTarget(name=name, source=source, version=version)

    def release_name(self) -> str | None:
        """The release's name when Sentry can be asked about it (``None``: no valid name)."""
        from pytest_sentry_gate.repo.release_name import release_name_problems

        name = self.release().name
        return None if name is None or release_name_problems(name) else name

    def release_side(self) -> ReleaseSide | None:
        """The release, its uploads and its newest JavaScript event (``None``: no valid name)."""
        return self.memo.get("release_side", self._release_side)

    def _release_side(self) -> ReleaseSide | None:
        from pytest_sentry_gate.sentry.release_facts import read_release

        name, conf = self.release_name(), self.wiring.settings
        if name is None:
            return None
        scan = self.stores.bundle_scan()
        return read_release(
            self.client(),
            *self._slugs(),
            name,
            period=conf.stats_period,
            url_prefix=conf.url_prefix,
            debug_ids=[b.debug_id for b in scan.bundles if b.debug_id],
        )

    # -- the checkpoint ------------------------------------------------------------------------

    def located(self) -> Located:
        """Where this target's checkpoint is, the old script's state file, or why it is refused."""
        from pytest_sentry_gate.store.checkpoint import locate

        return self.memo.get("located", lambda: locate(self.wiring, *self._slugs()))

    def previous_check(self) -> Loaded:
        """The previous checkpoint (none on the first run; a bad file is moved aside)."""
        from pytest_sentry_gate.store.checkpoint import load_previous

        return self.memo.get("previous", lambda: load_previous(self.wiring, self.located()))

    def checkpoint_writable(self) -> str | None:
        """Why the checkpoint cannot be written where it is (``None``: it can)."""
        from pytest_sentry_gate.checkpoint import writable_problem
        from pytest_sentry_gate.store.checkpoint import checked_path

        return self.memo.get("writable", lambda: writable_problem(checked_path(self.located())))

    def new_since_last(self) -> tuple[str, ...] | None:
        return self.memo.get("new_since_last", lambda: health.new_since_last(self))

    # -- issues --------------------------------------------------------------------------------

    def unresolved(self) -> UnresolvedListing:
        return self.memo.get("unresolved", lambda: health.unresolved(self))

    def unresolved_count(self) -> UnresolvedCount:
        return self.memo.get("count", lambda: health.unresolved_count(self))

    def high_severity(self) -> tuple[QueryResult, ...]:
        return self.memo.get("high_severity", lambda: health.high_severity(self))

    def release_issues(self) -> tuple[QueryResult, QueryResult] | None:
        return self.memo.get("release_issues", lambda: health.release_issues(self))

    def crash_free(self) -> CrashFree | None:
        return self.memo.get("crash_free", lambda: health.crash_free(self))

    def triage_candidates(self) -> tuple[QueryResult, ...]:
        """The first pages of triage's candidate queries (``store.triage.candidates``)."""
        from pytest_sentry_gate.store.triage import candidate_pages

        return self.memo.get("triage_candidates", lambda: candidate_pages(self))

    def triaged(self) -> Triaged:
        """The triage buckets' top N and each bucket's total."""
        from pytest_sentry_gate.store.triage import triage

        return self.memo.get("triage", lambda: triage(self))

    def triage(self) -> dict[str, list[dict[str, Any]]]:
        """The triage buckets' top N with hints (``triaged`` has the totals too)."""
        return self.triaged().buckets

    # -- local_smoke and incident --------------------------------------------------------------

    def client_keys(self) -> tuple[ClientKeyFacts, ...]:
        from pytest_sentry_gate.store import incident

        return self.memo.get("client_keys", lambda: incident.client_keys(self))

    def event_reader(self) -> ArrivalReader:
        """Sentry's event API of this project: how the smoke event is read back by default."""
        from pytest_sentry_gate.store import incident

        return incident.event_reader(self)

    def smoke(
        self,
        seam: ClientConfig,
        release: ReleaseTarget,
        read_back: Callable[[], ArrivalReader],
        *,
        dsn: DsnFacts,
        kill_switch: KillSwitch,
        keys: Callable[[], tuple[ClientKeyFacts, ...]],
        send: Send | None = None,
    ) -> SmokeOutcome | None:
        """The smoke round trip of this target, once (``store.smoke.round_trip``): ``seam``'s
        clock and sleep, the ``release`` it names, ``read_back()`` asked only once the event was
        accepted, and ``send`` its one write (``sentry.smoke.send`` unless given), guarded by the
        ``dsn``, ``kill_switch`` and ``keys()`` it is given (the fixtures' values, which a
        ``conftest.py`` may override), ``keys()`` asked only when the DSN could be sent to."""
        from pytest_sentry_gate.store import smoke

        def trip() -> SmokeOutcome | None:
            from pytest_sentry_gate.sentry import smoke as sender

            return smoke.round_trip(
                self,
                seam,
                release,
                read_back,
                send or sender.send,
                dsn=dsn,
                kill_switch=kill_switch,
                keys=keys,
            )

        return self.memo.get("smoke", trip)

    def smoke_outcomes(self, smoke: SmokeOutcome | None) -> Outcomes | None:
        """The outcomes, read only when ``smoke`` was accepted but never read back (they may
        name why); ``None`` otherwise or when unreadable (``store.smoke.unexplained``)."""
        from pytest_sentry_gate.store import smoke as rules

        return rules.smoke_outcomes(self, smoke)

    def incident(self) -> IncidentFacts:
        from pytest_sentry_gate.store import incident

        return self.memo.get("incident", lambda: incident.incident(self))

    def incident_symbolication(self) -> IncidentSymbolication:
        from pytest_sentry_gate.store import incident

        return self.memo.get("incident_sym", lambda: incident.incident_symbolication(self))

    def outcomes(self) -> Outcomes:
        """The project's outcomes of the last 24 hours (accepted, dropped with reasons)."""
        from pytest_sentry_gate.sentry.outcomes import read_outcomes

        return self.memo.get(
            "outcomes", lambda: read_outcomes(self.client(), self.org(), self.project_id())
        )

    def releases(self) -> tuple[str, ...]:
        """The project's newest release versions, newest first (the deploys are read of them)."""
        from pytest_sentry_gate.sentry.deploys import read_releases

        return self.memo.get(
            "releases", lambda: read_releases(self.client(), self.org(), self.project_id())
        )

    def mitigation(self) -> Mitigation:
        """What the deploys of the affected release and of newer ones say about mitigation."""
        from pytest_sentry_gate.sentry.deploys import read_mitigation

        return self.memo.get(
            "mitigation",
            lambda: read_mitigation(
                self.client(),
                self.org(),
                self.incident(),
                self.releases,
                environment=self.wiring.settings.environment,
            ),
        )

    def loop_facts(self) -> LoopFacts:
        """What verify_loop's section and checkpoint are built of; what is missing is read now."""
        from pytest_sentry_gate.store.loop import gather_loop

        return gather_loop(self)

    # -- the repository's wiring, checked against the release ----------------------------------

    def release_wiring(self, project_slug: ProjectSlug) -> tuple[WiringResult, ...] | None:
        """The release wiring markers checked against the release (``None``: no markers)."""
        from pytest_sentry_gate.store import repository

        return self.memo.get(
            "release_wiring", lambda: repository.release_wiring(self, project_slug)
        )

    def wiring_markers(self, project_slug: ProjectSlug) -> tuple[WiringResult, ...]:
        """The ini's sentry_wiring markers checked in the repository (empty: none configured)."""
        from pytest_sentry_gate.store import repository

        return self.memo.get("wiring", lambda: repository.wiring_markers(self, project_slug))
