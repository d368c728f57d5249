"""The project's issues as facts: the one unresolved listing, counts, targeted queries, details
(the values they return are in ``issue_facts.py``).

Request budget, whatever the backlog (N unresolved issues):

- the unresolved listing: ⌈N/100⌉ requests at ``limit=100``; its first page is cached and its
  ``X-Hits`` header is the count (no extra request), later pages are not cached and only their ids
  are kept (``paginate(cache=False)``);
- every other figure is one page of one query (high severity, release scope, regressions, the
  triage candidates) or one issue's detail and latest event, run concurrently through ``gather``.

Only the organization issue list sends ``X-Hits``/``X-Max-Hits`` (``reference/sentry-api.md``
§12); ``X-Hits`` equal to ``X-Max-Hits`` means "at least", and then the exact number is the size of
the complete id listing. Below the cap ``X-Hits`` is still Sentry's sample estimate once there is
a next page (§13: 937 for 1,003): exact only without a next page or from the walked listing,
otherwise "about".
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, Final

from pytest_sentry_gate.errors import ApiError
from pytest_sentry_gate.sentry import endpoints, scope, search_compat
from pytest_sentry_gate.sentry.client import SentryClient, gather
from pytest_sentry_gate.sentry.issue_facts import (
    IssueDetails,
    IssueSummary,
    QueryResult,
    UnresolvedCount,
    UnresolvedListing,
    summary,
)
from pytest_sentry_gate.sentry.smoke import SMOKE_MESSAGE

UNRESOLVED: Final = "is:unresolved"
#: Error issues only: cron and uptime issues are HIGH priority and carry no release
#: (``reference/sentry-api.md`` §13 "Priority"), so judgements about errors exclude them.
ERRORS_ONLY: Final = "issue.category:error"
PAGE: Final = 100
#: The logger of the tool's own smoke event: its issue is left out of every judgement (an
#: error without a severity score is HIGH priority: it would escalate itself).
OWN_LOGGER: Final = "sentry-gate"
#: The unresolved listing's order: first seen, which never changes. Sentry's default order
#: (last seen) pages by a score cursor, and an issue that gets an event during the walk moves
#: ahead of the cursor and is never listed (``reference/sentry-api.md`` §13 "Paging and counts").
LISTING_SORT: Final = "new"
OWN_ISSUE: Final = "left out sentry-gate's own smoke-test issue {short_id}"

__all__ = [  # the issue facts (``issue_facts.py``) stay importable from here
    "IssueDetails",
    "IssueSummary",
    "QueryResult",
    "UnresolvedCount",
    "UnresolvedListing",
    "summary",
]


def _params(
    client: SentryClient, project_id: str, query: str, period: str, **extra: str | int
) -> dict[str, Any]:
    params = {"project": project_id, "query": query, "statsPeriod": period, "limit": PAGE}
    return scope.filtered(client, {**params, **extra})


def _items(data: Any) -> list[dict[str, Any]]:
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def is_own(item: dict[str, Any]) -> bool:
    """The issue of the tool's own smoke event (its logger, or its message as the title)."""
    return item.get("logger") == OWN_LOGGER or item.get("title") == SMOKE_MESSAGE


def _theirs(data: Any) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The page without the tool's own issue, and the notes saying it was left out."""
    items = _items(data)
    own = [str(i.get("shortId") or i.get("id")) for i in items if is_own(i)]
    return [i for i in items if not is_own(i)], tuple(OWN_ISSUE.format(short_id=o) for o in own)


def query(
    client: SentryClient, org: str, project_id: str, text: str, period: str, **extra: str | int
) -> QueryResult:
    """One issue query: its ``X-Hits`` total (or the page length) and the first page (cached).

    A 400 saying the server does not know a term (``search_compat``): the term's fallback is
    used, or the result is empty and flagged; either way ``notes`` say so.
    """
    try:
        return _plain(client, org, project_id, text, period, **extra)
    except ApiError as error:
        if not search_compat.unsupported(error):
            raise
        found = _without_unsupported(client, org, project_id, text, period, **extra)
        if found is None:
            raise
        return found


def _plain(
    client: SentryClient, org: str, project_id: str, text: str, period: str, **extra: str | int
) -> QueryResult:
    path = endpoints.ISSUES.path(org=org)
    response = client.get(path, _params(client, project_id, text, period, **extra))
    items, notes = _theirs(response.data)
    page = tuple(summary(item) for item in items)
    # X-Hits past one page is an estimate (reference/sentry-api.md §13 "Paging and counts"):
    # exact only when there is no next page, and then the page is the count
    exact = response.next_cursor is None
    total = len(page) if exact or response.hits is None else response.hits - len(notes)
    capped = response.hits is not None and response.max_hits is not None
    capped = capped and response.hits >= response.max_hits  # type: ignore[operator]
    return QueryResult(text, period, total, exact, page, response.endpoint, notes, capped=capped)


def _ask(
    client: SentryClient, org: str, project_id: str, text: str, period: str, **extra: str | int
) -> QueryResult | None:
    """The plain query, or ``None`` when the server does not support one of its terms."""
    try:
        return _plain(client, org, project_id, text, period, **extra)
    except ApiError as error:
        if search_compat.unsupported(error):
            return None
        raise


def _without_unsupported(
    client: SentryClient, org: str, project_id: str, text: str, period: str, **extra: str | int
) -> QueryResult | None:
    """The query with its one unsupported term replaced by its fallback, or an empty, flagged
    result when it has none (never a count the server did not make); ``None``: no single term
    explains the 400."""

    def ask(probe: str) -> QueryResult | None:
        return _ask(client, org, project_id, probe, period, **extra)

    for term in search_compat.optional_terms(text):
        found = ask(search_compat.replace(text, term, ""))
        if found is None:
            continue
        by = search_compat.fallback(term)
        if by:
            found = ask(search_compat.replace(text, term, by))
        if found is None or by is None:
            note = search_compat.UNSUPPORTED.format(term=term, fallback="this query is not counted")
            return QueryResult(text, period, 0, False, (), endpoints.ISSUES.path(org=org),
                               (note,), (term,))  # fmt: skip
        said = f"used {found.query}" if by else f"asked without it: {found.query}"
        note = search_compat.UNSUPPORTED.format(term=term, fallback=said)
        return dataclasses.replace(found, notes=(note,), unsupported=(term,))
    return None


def unresolved_listing(
    client: SentryClient, org: str, project_id: str, period: str
) -> UnresolvedListing:
    """The complete unresolved id listing: ⌈N/100⌉ requests, ids kept, later pages uncached,
    in a stable order (``LISTING_SORT``) so that no issue is lost while the walk goes on.

    The first page is the cached ``query(UNRESOLVED)`` answer, so the header count and the
    listing cost one request together.
    """
    path = endpoints.ISSUES.path(org=org)
    params = _params(client, project_id, UNRESOLVED, period, sort=LISTING_SORT)
    first = client.get(path, params)
    page, notes = _theirs(first.data)
    ids = {str(item.get("id")) for item in page}
    requests, left_out = 1, len(notes)
    if first.next_cursor is not None:
        rest = {**params, "cursor": first.next_cursor}
        for items in client.paginate(path, rest, ahead=True):
            theirs, own = _theirs(items)
            ids.update(str(item.get("id")) for item in theirs)
            requests, left_out = requests + 1, left_out + len(own)
    return UnresolvedListing(
        ids=frozenset(ids),
        hits=first.hits,
        max_hits=first.max_hits,
        requests=requests,
        period=period,
        endpoint=first.endpoint,
        first_page=tuple(summary(item) for item in page),
        left_out=left_out,
    )


def errors_only(text: str) -> str:
    """``text`` restricted to error issues, unless it names an ``issue.category`` itself."""
    if "issue.category:" in text:
        return text
    return f"{text} {ERRORS_ONLY}".strip()


def has_priority(client: SentryClient, org: str, project_id: str, period: str) -> bool:
    """Whether the server has issue priority: any item of the unresolved listing's first page
    (cached, shared with the count) carries ``priority`` (an empty page: assume it does)."""
    path = endpoints.ISSUES.path(org=org)
    items = _items(
        client.get(path, _params(client, project_id, UNRESOLVED, period, sort=LISTING_SORT)).data
    )
    return not items or any("priority" in item for item in items)


def query_for_server(
    client: SentryClient, org: str, project_id: str, text: str, period: str, **extra: str | int
) -> QueryResult:
    """``query``, and when it finds nothing by ``issue.priority:`` on a server without issue
    priority (``has_priority``), again with ``search_compat.without_priority``, saying so."""
    found = query(client, org, project_id, text, period, **extra)
    if found.total or "issue.priority:" not in found.query:
        return found
    if has_priority(client, org, project_id, period):
        return found
    adapted, note = search_compat.without_priority(found.query)
    again = query(client, org, project_id, adapted, period, **extra)
    return dataclasses.replace(again, notes=(*((note,) if note else ()), *again.notes))


def queries(
    client: SentryClient, org: str, project_id: str, texts: Sequence[str], period: str
) -> list[QueryResult | ApiError]:
    """Several independent error-issue queries (``errors_only``), as this server can answer
    them (``query_for_server``), concurrently (results in order, errors in place)."""
    return gather(query_calls(client, org, project_id, texts, period))


def query_calls(
    client: SentryClient, org: str, project_id: str, texts: Sequence[str], period: str
) -> list[Callable[[], QueryResult]]:
    """The reads ``queries`` runs, one per text (the prefetch sends them among its others)."""
    return [
        functools.partial(query_for_server, client, org, project_id, errors_only(text), period)
        for text in texts
    ]


def details(client: SentryClient, org: str, issue_ids: Sequence[str]) -> dict[str, IssueDetails]:
    """Each issue's detail and latest event, all fetched concurrently."""
    calls: list[Callable[[], Any]] = []
    for issue_id in issue_ids:
        calls.append(
            functools.partial(client.get_json, endpoints.ISSUE.path(org=org, issue_id=issue_id))
        )
        calls.append(
            functools.partial(
                client.get_json, endpoints.LATEST_EVENT.path(org=org, issue_id=issue_id)
            )
        )
    results = gather(calls)
    return {
        issue_id: IssueDetails(issue=results[2 * n], latest_event=results[2 * n + 1])
        for n, issue_id in enumerate(issue_ids)
    }


def exact_count(
    head: QueryResult, listing: Callable[[], UnresolvedListing], header_present: bool
) -> UnresolvedCount:
    """One page: its count. More, under the cap: ``X-Hits``, an estimate ("about"). Capped or
    without the header: the complete listing's size."""
    if header_present and head.exact:
        return UnresolvedCount(
            head.total, "x-hits", None, head.period, head.query, 1, head.endpoint
        )
    if header_present and not head.capped:
        return UnresolvedCount(
            head.total, "x-hits estimate", None, head.period, head.query, 1, head.endpoint,
            exact=False,
        )  # fmt: skip
    full = listing()
    at_least = head.total if header_present else None
    return UnresolvedCount(
        full.count, "id listing", at_least, head.period, head.query, full.requests, full.endpoint
    )


def unresolved_head(
    client: SentryClient, org: str, project_id: str, period: str
) -> tuple[QueryResult, bool]:
    """The first page of the unresolved listing (shared, cached) and whether it sent X-Hits."""
    head = query(client, org, project_id, UNRESOLVED, period, sort=LISTING_SORT)
    path = endpoints.ISSUES.path(org=org)
    response = client.get(path, _params(client, project_id, UNRESOLVED, period, sort=LISTING_SORT))
    return head, response.hits is not None
