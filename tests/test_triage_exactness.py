"""How exact each triage bucket's total is, as pure functions: which urgent queries' pages fell
short (``triage.urgent_unread``), and each bucket's count with why it is a minimum
(``store.triage.bucket_totals``). The whole runs are in ``test_triage_totals.py``."""

from __future__ import annotations

from typing import Any

from pytest_sentry_gate import triage
from pytest_sentry_gate.sentry.issue_facts import IssueSummary, QueryResult
from pytest_sentry_gate.store.triage import SHORT, BucketTotal, bucket_totals

UNHANDLED = "is:unresolved error.unhandled:true"


def _page(
    query: str, n: int, *, exact: bool = True, unsupported: tuple[str, ...] = ()
) -> QueryResult:
    issues = tuple(
        IssueSummary(
            id=str(k), short_id=f"APP-{k}", title="t", culprit="c", permalink="", level="error",
            substatus=None, priority=None, unhandled=True, events=1, users=1, first_seen="",
            last_seen="",
        )
        for k in range(n)
    )  # fmt: skip
    return QueryResult(query, "14d", n, exact, issues, "/issues/", unsupported=unsupported)


def test_urgent_unread_names_each_page_that_fell_short() -> None:
    pages = [
        _page("is:unresolved level:fatal", 3),
        _page("is:unresolved is:escalating", 0, exact=False, unsupported=("is:escalating",)),
        _page(UNHANDLED, 100, exact=False),
    ]
    assert triage.urgent_unread(pages) == [
        triage.NOT_SUPPORTED.format(terms="is:escalating", query="is:unresolved is:escalating"),
        triage.MORE_THAN_A_PAGE.format(query=UNHANDLED, read=100),
    ]
    assert triage.urgent_unread(pages[:1]) == []


def _buckets(new: int = 0, urgent: int = 0, recurring: int = 0) -> dict[str, list[Any]]:
    return {"new": [None] * new, "urgent": [None] * urgent, "recurring": [None] * recurring}


def test_totals_are_exact_when_every_walked_issue_was_read() -> None:
    totals = bucket_totals(
        _buckets(1, 2, 3), read=40, walked=40, walk=None, urgent=["x"], new=False
    )
    assert totals == {
        "new": BucketTotal(1, read=40),
        "urgent": BucketTotal(2, read=40),
        "recurring": BucketTotal(3, read=40),
    }


def test_totals_short_of_the_walk_keep_the_urgent_and_new_counts_their_own_pages_decide() -> None:
    short = (SHORT.format(read=300, walked=900),)
    exact = bucket_totals(_buckets(1, 2, 3), read=300, walked=900, walk=None, urgent=[], new=True)
    assert exact == {
        "new": BucketTotal(1, read=300),
        "urgent": BucketTotal(2, read=300),
        "recurring": BucketTotal(3, at_least=True, read=300, why=short),
    }
    unread = bucket_totals(
        _buckets(1, 2, 3), read=300, walked=900, walk=None, urgent=["x"], new=False
    )
    assert unread["urgent"] == BucketTotal(2, at_least=True, read=300, why=("x",))
    assert unread["new"] == BucketTotal(1, at_least=True, read=300, why=short)


def test_totals_of_a_walk_that_lost_issues_are_all_minimums() -> None:
    lost = "the walk lost issues"
    totals = bucket_totals(_buckets(1, 2, 3), read=100, walked=100, walk=lost, urgent=[], new=True)
    assert {name: (t.at_least, t.why) for name, t in totals.items()} == dict.fromkeys(
        ("new", "urgent", "recurring"), (True, (lost,))
    )
