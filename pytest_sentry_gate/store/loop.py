"""What verify_loop's report section and checkpoint are built of, for one target.

Asked twice at the end of the session: once before the client closes (``Stores.complete``,
which the fixture layer calls under verify_loop whichever checks ran, opening the client if none
did), where each fact no check asked for is read now; then by the report, from what the store
kept (memoized, failures too). A fact that cannot be read is ``None`` and the section says why
no checkpoint was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_sentry_gate.checkpoint import Loaded
    from pytest_sentry_gate.checkpoint.legacy import LegacyState
    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.issues import IssueSummary, UnresolvedListing
    from pytest_sentry_gate.store.target import FactsStore
    from pytest_sentry_gate.store.triage import Triaged

_T = TypeVar("_T")


@dataclass(frozen=True)
class LoopFacts:
    """One target's facts for verify_loop (``None``: not read, and why is in the section)."""

    org: str | None = None
    project: str | None = None
    state_file: Path | None = None
    loaded: Loaded | None = None
    listing: UnresolvedListing | None = None
    high_severity: tuple[IssueSummary, ...] | None = None
    release: str | None = None
    regressions: tuple[IssueSummary, ...] | None = None
    #: The release's crash-free rates (the history's point keeps them).
    crash_free: CrashFree | None = None
    #: The store's triage (its buckets' top N and totals): issue_triage is part of the loop.
    triage: Triaged | None = None
    #: A replay: the live checkpoint is neither read nor written (the recording is not today).
    replay: bool = False
    #: Why the checkpoint path was refused (a symlink, FIFO, device): it is never written.
    refused: str | None = None
    #: The old sentry_monitor.sh state file the baseline came from (``checkpoint.legacy``).
    legacy: LegacyState | None = None
    checked_at: str = ""


def _maybe(read: Callable[[], _T]) -> _T | None:
    try:
        return read()
    except Exception:  # kept by the store; the section says what is missing
        return None


def gather_loop(store: FactsStore) -> LoopFacts:
    """The target's loop facts: what the checks read, and what they did not, read now."""
    located = _maybe(store.located)
    if located is None:
        return LoopFacts(
            org=_maybe(store.org), project=store.configured, triage=_maybe(store.triaged)
        )
    loaded = _maybe(store.previous_check)
    high = _maybe(store.high_severity)
    unique = None if high is None else {i.id: i for r in high for i in r.issues}
    release = _maybe(store.release_issues)
    return LoopFacts(
        org=located.org,
        project=located.project,
        state_file=located.path,
        loaded=loaded,
        listing=_maybe(store.unresolved),
        high_severity=None if unique is None else tuple(unique.values()),
        release=_maybe(store.release_name) if release is not None else None,
        regressions=release[1].issues if release is not None else None,
        crash_free=_maybe(store.crash_free),
        triage=_maybe(store.triaged),
        replay=located.replay,
        refused=located.refused,
        legacy=located.legacy,
        checked_at=located.checked_at,
    )
