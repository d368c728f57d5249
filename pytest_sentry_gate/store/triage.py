"""Triage of one target: the unresolved issues bucketed (new, urgent, recurring), top N each,
with the hints an agent needs (owner, culprit, the latest event's frames).

The candidates are constant requests whatever the backlog: the query for the issues new since
the previous check, ``TRIAGE_QUERIES``, the high-severity pages and the listing's first page;
the delta's issues no candidate page held are read by id.

Each bucket's total (``BucketTotal``) counts every issue the candidates put in it, before the top
N cut: exact when the pool held every issue of an unresolved walk that agrees with ``X-Hits``;
the urgent one also when each of its own queries' pages (``triage.URGENT_QUERIES``) was complete,
and the new one when the checkpoint's delta or a complete "new since" page decides. Otherwise it
is a lower bound (a candidate page holds at most 100 issues), and ``why`` says which pages fell
short.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.errors import ApiError
from pytest_sentry_gate.store.health import raise_first
from pytest_sentry_gate.triage import URGENT_QUERIES

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient
    from pytest_sentry_gate.sentry.issues import IssueSummary, QueryResult
    from pytest_sentry_gate.store.target import FactsStore

#: Candidate queries for triage beside the listing's first page and the high-severity pages: one
#: per urgent reason (``triage.URGENT_QUERIES``), then the most frequent issues.
TRIAGE_QUERIES: tuple[tuple[str, dict[str, str]], ...] = (
    *URGENT_QUERIES,
    ("is:unresolved", {"sort": "freq"}),
)
#: A bucket's count is a minimum because the candidate pages missed some walked issue.
SHORT: Final = "the candidate pages held {read} of the {walked} unresolved issues"


@dataclass(frozen=True)
class BucketTotal:
    """How many issues one bucket holds, all of them, not only the top N shown."""

    count: int
    #: Some issue that may belong was on no page triage read, or the walk lost issues: more may
    #: belong (``count`` is a minimum; ``why`` says which).
    at_least: bool = False
    #: The unresolved issues the candidate pages held: those ``count`` was counted among.
    read: int = 0
    #: Why ``count`` is a minimum: the pages that fell short, or the walk that lost issues.
    why: tuple[str, ...] = ()

    def said(self) -> str:
        """The count as a sentence says it: ``8``, or ``at least 8``."""
        return f"at least {self.count}" if self.at_least else str(self.count)


@dataclass(frozen=True)
class Triaged:
    """The buckets' top N with hints (``buckets``), and each bucket's total (``totals``)."""

    buckets: dict[str, list[dict[str, Any]]]
    totals: dict[str, BucketTotal]

    def section(self) -> dict[str, dict[str, Any]]:
        """The totals as the report's triage section lists them beside the buckets."""
        return {
            name: {"count": t.count, "at_least": t.at_least, "shown": len(self.buckets[name])}
            for name, t in self.totals.items()
        }


def triage(store: FactsStore) -> Triaged:
    """The unresolved issues bucketed (new, urgent, recurring), top N each with hints, and each
    bucket's total."""
    from pytest_sentry_gate import triage as rules
    from pytest_sentry_gate.repo.codeowners import read_owners
    from pytest_sentry_gate.sentry.actors import team_names
    from pytest_sentry_gate.sentry.issues import details

    conf = store.wiring.settings
    client, org = store.client(), store.org()
    listing, high = store.unresolved(), store.high_severity()
    previous = store.previous_check().previous
    new_since_last = store.new_since_last()
    now = datetime.fromtimestamp(store.wiring.now, UTC)
    since = rules.parse_time(previous.checked_at) if previous else None
    found = store.triage_candidates()
    pool = [i for result in found[:1] for i in result.issues]
    pool += [i for result in high for i in result.issues]
    pool += [i for result in found[1:] for i in result.issues] + list(listing.first_page)
    pool = [i for i in pool if i.id in listing.ids]
    new_ids = None if new_since_last is None else frozenset(new_since_last)
    if new_ids is not None:  # the delta's issues the candidate pages missed: read them
        known = {i.id for i in pool}
        room = conf.triage_top - len(new_ids & known)
        pool += _look_up(client, org, new_ids - known, room)
    buckets = rules.bucket(pool, since=since, now=now, new_ids=new_ids)
    held = len({i.id for i in pool})  # (the pool holds walked ids only)
    totals = bucket_totals(
        buckets,
        read=held,
        walked=listing.count,
        walk=listing.disagreement,
        urgent=rules.urgent_unread(found[1 : 1 + len(URGENT_QUERIES)]),  # after "new since"
        new=found[0].exact and not found[0].unsupported,
    )
    if new_ids is not None:  # the checkpoint's delta: every new id, as test_new_since counts
        totals["new"] = BucketTotal(len(new_ids), read=held)
    top = {name: entries[: conf.triage_top] for name, entries in buckets.items()}
    read = details(client, org, [i.id for e in top.values() for i, _ in e])
    owners = read_owners(conf.repo_root)
    actors = team_names(client, org, [got.issue for got in read.values()])
    release = store.release().name
    result: dict[str, list[dict[str, Any]]] = {}
    for name, entries in top.items():
        result[name] = []
        for issue, reason in entries:
            got = read[issue.id]
            result[name].append(
                rules.hints(
                    issue,
                    reason,
                    detail=None if isinstance(got.issue, ApiError) else got.issue,
                    event=None if isinstance(got.latest_event, ApiError) else got.latest_event,
                    owner_of=owners.describe,
                    release=release,
                    actors=actors,
                )
            )
    return Triaged(result, totals)


def bucket_totals(
    buckets: dict[str, list[Any]],
    *,
    read: int,
    walked: int,
    walk: str | None,
    urgent: Sequence[str],
    new: bool,
) -> dict[str, BucketTotal]:
    """Each bucket's size, and why it is a minimum. Every bucket is exact when the pool held all
    ``walked`` issues (``read``) of a walk that agrees with ``X-Hits`` (``walk``: why not); the
    urgent one also when none of its queries' pages fell short (``urgent``: those that did), the
    new one when the "new since" page was complete (``new``). The pool holds walked issues only,
    so a walk that lost issues leaves every bucket a minimum."""
    why: dict[str, tuple[str, ...]]
    if walk is not None:
        why = dict.fromkeys(buckets, (walk,))
    elif read < walked:
        short = (SHORT.format(read=read, walked=walked),)
        why = dict.fromkeys(buckets, short)
        why["urgent"] = tuple(urgent)
        why["new"] = () if new else short
    else:
        why = dict.fromkeys(buckets, ())
    return {
        name: BucketTotal(len(entries), at_least=bool(why[name]), read=read, why=why[name])
        for name, entries in buckets.items()
    }


def candidate_pages(store: FactsStore) -> tuple[QueryResult, ...]:
    """The candidate queries' first pages, read together (``FactsStore.triage_candidates``: the
    prefetch asks for them with its level 2, beside the listing they are judged against)."""
    from pytest_sentry_gate.sentry.client import gather

    return tuple(raise_first(gather(candidates(store))))


def candidates(store: FactsStore) -> list[Callable[[], QueryResult]]:
    """The candidate queries' reads: the issues first seen since the previous check (the last 24
    hours without one), then ``TRIAGE_QUERIES``."""
    from pytest_sentry_gate import triage as rules
    from pytest_sentry_gate.sentry.issues import UNRESOLVED, query

    conf = store.wiring.settings
    previous = store.previous_check().previous
    now = datetime.fromtimestamp(store.wiring.now, UTC)
    since = rules.parse_time(previous.checked_at) if previous else None
    cutoff = since or now - timedelta(hours=24)
    new_query = f"{UNRESOLVED} firstSeen:>{cutoff.strftime('%Y-%m-%dT%H:%M:%S')}"
    ask = functools.partial(query, store.client(), store.org(), store.project_id())
    calls: list[Callable[[], QueryResult]] = [
        functools.partial(ask, new_query, conf.stats_period, sort="new")
    ]
    calls += [
        functools.partial(ask, text, conf.stats_period, **extra) for text, extra in TRIAGE_QUERIES
    ]
    return calls


def _look_up(client: SentryClient, org: str, ids: Iterable[str], room: int) -> list[IssueSummary]:
    """New issues (the checkpoint's delta) that no candidate page held, as summaries from their
    details: the newest ids first, only as many as the bucket's top has room for, so each one read
    is a triaged issue (the client caches the details: its hints cost no second request). The
    rest are counted and listed by id by ``test_new_since_last_check``."""
    from pytest_sentry_gate.checkpoint import id_order
    from pytest_sentry_gate.sentry.issues import details, summary

    wanted = sorted(ids, key=id_order, reverse=True)[: max(room, 0)]
    read = details(client, org, wanted)
    return [summary(got.issue) for got in read.values() if isinstance(got.issue, dict)]
