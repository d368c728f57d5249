"""The issue facts of one target: the unresolved listing and count, the high-severity queries,
the release's issues and crash-free rates, and what is new since the previous check.

The unresolved listing is read once per run and shared by prod_health, issue_triage, the loop and
the prefetch (the store's memo keeps it: its later pages are not in the client's cache); every
other figure is one page of one query, read concurrently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pytest_sentry_gate.errors import ApiError

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.health import CrashFree
    from pytest_sentry_gate.sentry.issues import QueryResult, UnresolvedCount, UnresolvedListing
    from pytest_sentry_gate.store.target import FactsStore

_T = TypeVar("_T")


def raise_first(results: list[_T | ApiError]) -> list[_T]:
    """The results, or the first failure among them raised."""
    for result in results:
        if isinstance(result, ApiError):
            raise result.with_traceback(None)
    return [r for r in results if not isinstance(r, ApiError)]


def unresolved(store: FactsStore) -> UnresolvedListing:
    """Every unresolved issue id of the project in the window, paged once (⌈N/100⌉ requests),
    its size judged against ``X-Hits`` (``disagreement``); under verify_loop, re-checked against
    the previous checkpoint first (``_rechecked``)."""
    from dataclasses import replace

    from pytest_sentry_gate.sentry.issues import unresolved_listing
    from pytest_sentry_gate.sentry.walk_check import disagreement

    wiring = store.wiring
    client, org, pid = store.client(), store.org(), store.project_id()
    listing = unresolved_listing(client, org, pid, wiring.settings.stats_period)
    if wiring.loop_selected:
        return _rechecked(store, listing)
    return replace(listing, disagreement=disagreement(listing))


def _rechecked(store: FactsStore, listing: UnresolvedListing) -> UnresolvedListing:
    """verify_loop: the previous checkpoint's ids the walk missed, re-checked with ``?group=``
    before any is called resolved; a walk that disagrees with ``X-Hits`` unexplained is marked
    (``walk_check``) so that no checkpoint is written from it."""
    from dataclasses import replace

    from pytest_sentry_gate.checkpoint import CheckpointRefused
    from pytest_sentry_gate.sentry.walk_check import disagreement, recheck

    try:
        previous = store.previous_check().previous
    except CheckpointRefused:  # its own checks say so, and nothing is written
        previous = None
    missing = previous.unresolved_ids - listing.ids if previous is not None else frozenset()
    client, org, pid = store.client(), store.org(), store.project_id()
    kept, why = recheck(client, org, pid, missing) if missing else (frozenset(), None)
    return replace(listing, kept=kept, disagreement=why or disagreement(listing, len(kept)))


def unresolved_count(store: FactsStore) -> UnresolvedCount:
    """The exact unresolved count: X-Hits in one request, the id listing when capped or absent."""
    from pytest_sentry_gate.sentry.issues import exact_count, unresolved_head

    period = store.wiring.settings.stats_period
    head, header = unresolved_head(store.client(), store.org(), store.project_id(), period)
    return exact_count(head, store.unresolved, header)


def high_severity(store: FactsStore) -> tuple[QueryResult, ...]:
    """Each high-severity query (ini sentry_high_severity_queries): its count and first page."""
    from pytest_sentry_gate.sentry.issues import queries

    conf = store.wiring.settings
    texts, period = conf.high_severity_queries, conf.stats_period
    return tuple(
        raise_first(queries(store.client(), store.org(), store.project_id(), texts, period))
    )


def release_issues(store: FactsStore) -> tuple[QueryResult, QueryResult] | None:
    """Unresolved issues of the release under check, and its regressions (None: no release)."""
    from pytest_sentry_gate.sentry.issues import UNRESOLVED, queries

    name = store.release_name()
    if name is None:
        return None
    texts = (f'{UNRESOLVED} release:"{name}"', f'{UNRESOLVED} regressed_in_release:"{name}"')
    period = store.wiring.settings.stats_period
    found = queries(store.client(), store.org(), store.project_id(), texts, period)
    issues, regressed = raise_first(found)
    return issues, regressed


def crash_free(store: FactsStore) -> CrashFree | None:
    """The release's crash-free session and user rates (None: no release)."""
    from dataclasses import replace

    from pytest_sentry_gate.sentry.health import crash_free as read

    name, conf = store.release_name(), store.wiring.settings
    if name is None:
        return None
    found = read(store.client(), store.org(), store.project_id(), name, conf.stats_period)
    return replace(found, min_sessions=conf.min_sessions)


def new_since_last(store: FactsStore) -> tuple[str, ...] | None:
    """The ids unresolved now but not at the previous check: the same delta verify_loop reports
    (``None``: no previous checkpoint, so "new" means first seen in the last 24 hours)."""
    from pytest_sentry_gate.checkpoint.legacy import LegacyCheckpoint, changes_since

    previous = store.previous_check().previous
    if previous is None or isinstance(previous, LegacyCheckpoint):  # no ids to compare with
        return None
    return changes_since(previous, store.unresolved().tracked).new
