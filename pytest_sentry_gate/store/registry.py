"""One store per target: ``Stores`` hands each (org, project) target its ``FactsStore``.

The organization and the repository's own facts (version files, built bundles) are the same for
every target: they are read once here and shared. The client is reached through ``Wiring``
(the fixture layer opens it); once the session ends (``close``), nothing more is asked of
Sentry and a fact still missing stays missing, with ``StoreClosed`` as its reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_sentry_gate.store.memo import Memo

if TYPE_CHECKING:
    from pytest_sentry_gate.repo.build import BuildHint
    from pytest_sentry_gate.repo.bundles import BundleScan
    from pytest_sentry_gate.repo.dsn import KillSwitch
    from pytest_sentry_gate.repo.privacy import PrivacyScan
    from pytest_sentry_gate.repo.sentry_cli import CliTool
    from pytest_sentry_gate.repo.versions import VersionReport
    from pytest_sentry_gate.repo.wiring import CapabilityResult, WiringMarker
    from pytest_sentry_gate.sentry.auth import AuthFacts
    from pytest_sentry_gate.sentry.client import SentryClient
    from pytest_sentry_gate.sentry.discovery import Resolution
    from pytest_sentry_gate.settings import Settings
    from pytest_sentry_gate.store.smoke import DsnFacts
    from pytest_sentry_gate.store.target import FactsStore


class StoreClosed(Exception):
    """The session ended before this fact was read: nothing more is asked of Sentry."""

    def __init__(self) -> None:
        super().__init__("the session ended before this fact was read")


@dataclass(frozen=True)
class Wiring:
    """What the fixture layer hands the stores: settings, the run's "now", the client."""

    settings: Settings
    #: The run's one "now" (epoch seconds): the recording's time in a replay.
    now: float
    #: A replay: the live checkpoint is neither read nor written.
    replay: bool
    #: Where pytest was invoked (a relative ``--sentry-state-file`` is relative to it).
    invocation_dir: Path
    #: Whether ``-m`` selects verify_loop (the listing is then re-checked against the checkpoint).
    loop_selected: bool
    #: Opens (once) and returns the run's client.
    connect: Callable[[], SentryClient]


class Stores:
    """The run's stores, one per target; ``targets`` lists the configured ones."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self.memo = Memo()
        self._lock = threading.Lock()
        self._stores: dict[str | None, FactsStore] = {}
        self._closed = False
        self._client: SentryClient | None = None
        self._client_lock = threading.RLock()

    @property
    def targets(self) -> tuple[str | None, ...]:
        """The configured projects (``None``: the one to discover)."""
        return self.wiring.settings.projects or (None,)

    def target(self, project: str | None) -> FactsStore:
        """The store of ``project`` (``None``: the first configured project, or the discovered)."""
        from pytest_sentry_gate.store.target import FactsStore

        key = project or self.wiring.settings.project
        with self._lock:
            if key not in self._stores:
                self._stores[key] = FactsStore(self, key)
                if self._closed:  # (asked first by the report: nothing of it is under way)
                    self._stores[key].memo.close(StoreClosed)
            return self._stores[key]

    def opened(self) -> tuple[FactsStore, ...]:
        """The stores asked so far."""
        with self._lock:
            return tuple(self._stores.values())

    def client(self) -> SentryClient:
        """The run's client, opened once (then kept: the prefetch's threads ask for it too, and
        only the first call goes through pytest's fixtures)."""
        if self._closed:
            raise StoreClosed()
        opened = self._client  # (adopted while the fixture opening it still holds the lock)
        if opened is not None:
            return opened
        with self._client_lock:  # reentrant: opening the client sets up pytest fixtures
            if self._client is None:
                self._client = self.wiring.connect()
            return self._client

    @property
    def connected(self) -> bool:
        """Whether the run's client is open (a check, the prefetch or the end asked for it)."""
        return self._client is not None

    def adopt(self, client: SentryClient) -> None:
        """Take the run's client while its fixture is still being set up (the prefetch's threads
        then read through the stores before any fixture asks for them, without waiting for the
        lock that opening it holds)."""
        with self._client_lock:
            if self._client is None:
                self._client = client

    def close(self) -> None:
        """The session is over: a fact not read yet is not read any more, and one still being
        read (a read of an interrupted run, or of a host that never answered) is not waited for."""
        self._closed = True
        for memo in (self.memo, *(store.memo for store in self.opened())):
            memo.close(StoreClosed)

    def complete(self, targets: tuple[str | None, ...] | None = None) -> None:
        """Before the client closes (the fixture layer calls it at the end of a verify_loop run,
        whichever checks ran): read what verify_loop's section and checkpoint need, for
        ``targets`` (an xdist worker's own projects) or every configured target, opening the
        client if no check did. A replay reads nothing more than its checks asked."""
        if not self.wiring.loop_selected or self.wiring.replay:
            return
        for project in self.targets if targets is None else targets:
            self.target(project).loop_facts()

    # -- shared by every target ----------------------------------------------------------------

    def org_resolution(self) -> Resolution:
        """How the organization slug was settled (configured or auto-selected)."""
        from pytest_sentry_gate.sentry.discovery import resolve_org

        conf = self.wiring.settings
        return self.memo.get(
            "org",
            lambda: resolve_org(
                self.client(),
                conf.org,
                source=conf.sources.get("org", "default"),
                auto=conf.auto_slug_discovery,
            ),
        )

    def discovered(self) -> tuple[str | None, tuple[str, ...]]:
        """The organization and the projects discovery auto-selected so far, whoever asked for
        them (a check, the read-ahead, the end of a verify_loop run); nothing is read here."""
        org: Resolution | None = self.memo.peek("org")
        found = (store.memo.peek("project") for store in self.opened())
        projects = tuple(r.slug for r in found if r is not None and r.auto_selected)
        return (org.slug if org is not None and org.auto_selected else None), projects

    def app_version(self) -> VersionReport:
        """The app version as each version file states it (a file that does not parse is kept
        as ``error``, so one check fails on it and the others say why they cannot run)."""
        return self.memo.get("app_version", self._read_versions)

    def _read_versions(self) -> VersionReport:
        from pytest_sentry_gate import errors
        from pytest_sentry_gate.repo.versions import VersionReport, read_versions

        conf = self.wiring.settings
        try:
            return read_versions(conf.repo_root, conf.version_files)
        except errors.RepoFileError as exc:
            return VersionReport(
                sources=(), aligned=False, version=None, error=str(exc), error_reason=exc.reason
            )

    def bundle_scan(self) -> BundleScan:
        """The built bundles (and their source maps) under the dist directory."""
        from pytest_sentry_gate.repo.bundles import scan_bundles

        conf = self.wiring.settings
        return self.memo.get("bundles", lambda: scan_bundles(conf.repo_root / conf.dist_dir))

    def build_hint(self) -> BuildHint:
        """The repository's own build command (its package manager), or what to build where."""
        from pytest_sentry_gate.repo.build import build_hint

        conf = self.wiring.settings
        return self.memo.get("build", lambda: build_hint(conf.repo_root, conf.dist_dir))

    def sentry_cli(self) -> CliTool | None:
        """sentry-cli on PATH, its path and version (``None``: not installed; never required)."""
        from pytest_sentry_gate.repo.sentry_cli import find_sentry_cli

        return self.memo.get("sentry_cli", find_sentry_cli)

    def auth(self) -> AuthFacts:
        """The token as Sentry sees it: accepted, its scopes, whether a user stands behind it."""
        from pytest_sentry_gate.sentry.auth import read_auth

        return self.memo.get("auth", lambda: read_auth(self.client()))

    def tauri_capabilities(self) -> CapabilityResult | None:
        """Which enabled Tauri v2 capabilities grant sentry:default (None: not a Tauri repo)."""
        from pytest_sentry_gate.repo import wiring

        root = self.wiring.settings.repo_root
        return self.memo.get(
            "tauri",
            lambda: wiring.tauri_capability_check(root) if wiring.is_tauri_repo(root) else None,
        )

    def tauri_repo(self) -> bool:
        """Whether the app repository is a Tauri app (it has ``src-tauri/``)."""
        from pytest_sentry_gate.repo import wiring

        return self.memo.get(
            "tauri_repo", lambda: wiring.is_tauri_repo(self.wiring.settings.repo_root)
        )

    def release_markers(self) -> tuple[WiringMarker, ...] | None:
        """The release wiring markers: ini sentry_release_wiring, else Tauri's defaults in a
        Tauri repository, else ``None`` (nothing to check)."""
        from pytest_sentry_gate.release_rules import release_markers

        conf = self.wiring.settings

        def read() -> tuple[WiringMarker, ...] | None:
            markers = release_markers(conf.release_wiring, conf.repo_root)
            return None if markers is None else tuple(markers)

        return self.memo.get("release_markers", read)

    def privacy_scan(self) -> PrivacyScan:
        """The app's Sentry initialisation as its source states it (PII, scrubber, DSN, plugin)."""
        from pytest_sentry_gate.repo.privacy import scan_privacy

        return self.memo.get("privacy", lambda: scan_privacy(self.wiring.settings.repo_root))

    def kill_switch(self) -> KillSwitch:
        """The variable that disables the app's Sentry (ini sentry_kill_switch) and its state."""
        import os

        from pytest_sentry_gate.repo.dsn import kill_switch

        conf = self.wiring.settings
        return self.memo.get(
            "kill_switch", lambda: kill_switch(conf.kill_switch, os.environ, conf.repo_root)
        )

    def dsn(self) -> DsnFacts:
        """The app's DSN (SENTRY_DSN, else the repository's .env), parsed once; never shown."""
        from pytest_sentry_gate.store.smoke import dsn_facts

        return self.memo.get("dsn", lambda: dsn_facts(self.wiring.settings))
