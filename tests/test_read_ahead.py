"""A complete list walk asks for its next page before parsing the current one (``read_ahead``).

The order of events is recorded (requests as the transport receives them, parses as the reader
finishes them); no wall-clock assertion: a parse waits (up to 5 s) for its successor's request,
which arrives at once when the walk reads ahead and never while parsing when it does not.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from pytest_sentry_gate.errors import MalformedResponse
from pytest_sentry_gate.sentry import responses
from pytest_sentry_gate.sentry.client import SentryClient

ISSUES = "/api/0/organizations/acme/issues/"
PAGES = 4


def page_of(request: httpx.Request) -> int:
    return int(request.url.params.get("cursor", "0:0:0").split(":")[1])


def link(page: int) -> str:
    more = "true" if page + 1 < PAGES else "false"
    url = f"http://sentry.test{ISSUES}?cursor=0:{page + 1}:0"
    return f'<{url}>; rel="next"; results="{more}"; cursor="0:{page + 1}:0"'


class Recorder:
    """A paged list of ``PAGES`` pages (``bad``: that page is not JSON) and the event order."""

    def __init__(self, bad: int | None = None) -> None:
        self.bad = bad
        self.wait_from = 0  # the first page whose parse waits for its successor's request
        self.events: list[str] = []
        self.lock = threading.Lock()
        self.asked = {n: threading.Event() for n in range(PAGES + 1)}

    def note(self, event: str) -> None:
        with self.lock:
            self.events.append(event)

    def answer(self, request: httpx.Request) -> httpx.Response:
        page = page_of(request)
        self.note(f"request {page}")
        self.asked[page].set()
        headers = {"Link": link(page)}
        if page == self.bad:
            return httpx.Response(200, content=b"<html>", headers=headers)
        return httpx.Response(200, json=[{"id": str(page)}], headers=headers)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    found = Recorder()
    parse = responses.parse_json

    def slow_parse(response: httpx.Response, endpoint: str) -> Any:
        page = page_of(response.request)
        if found.wait_from <= page < PAGES - 1:  # it waits for its successor's request, 5 s at most
            found.asked[page + 1].wait(timeout=5)
        try:
            return parse(response, endpoint)
        finally:
            found.note(f"parsed {page}")

    monkeypatch.setattr(responses, "parse_json", slow_parse)
    return found


def client_for(recorder: Recorder) -> SentryClient:
    transport = httpx.MockTransport(recorder.answer)
    return SentryClient(base_url="http://sentry.test/", token="t", transport=transport)


def test_the_next_page_is_asked_for_before_this_page_is_parsed(recorder: Recorder) -> None:
    # Given a list of four pages
    with client_for(recorder) as client:
        # When it is walked to its end without caching, reading ahead
        pages = list(client.paginate(ISSUES, {"limit": 1}, cache=False, ahead=True))

    # Then every page came, in order, from exactly one request each
    assert [item["id"] for page in pages for item in page] == ["0", "1", "2", "3"]
    assert sorted(e for e in recorder.events if e.startswith("request")) == [
        f"request {n}" for n in range(PAGES)
    ]
    # and each next page was asked for before the page before it was parsed
    for page in range(PAGES - 1):
        assert recorder.events.index(f"request {page + 1}") < recorder.events.index(
            f"parsed {page}"
        ), recorder.events


def test_a_malformed_page_ends_the_walk_one_request_ahead_at_most(recorder: Recorder) -> None:
    # Given a list whose second page is not JSON
    recorder.bad = 1
    with client_for(recorder) as client:
        # When it is walked reading ahead, then the threads have settled
        with pytest.raises(MalformedResponse, match="not JSON"):
            list(client.paginate(ISSUES, cache=False, ahead=True))
        recorder.asked[2].wait(timeout=5)

    # Then the walk stopped there: the page after it was asked for, none further
    requests = [e for e in recorder.events if e.startswith("request")]
    assert requests == ["request 0", "request 1", "request 2"]


def test_the_unresolved_listing_reads_its_later_pages_ahead(recorder: Recorder) -> None:
    from pytest_sentry_gate.sentry.issues import unresolved_listing

    # Given an unresolved listing of four pages
    recorder.wait_from = 1  # (the first page is not part of the walk)
    with client_for(recorder) as client:
        # When verify_loop's complete listing is read
        listing = unresolved_listing(client, "acme", "42", "14d")

    # Then it holds every page's issue, one request per page
    assert listing.ids == {"0", "1", "2", "3"}
    assert listing.requests == PAGES
    # and from the second page on (the first is the cached head query, shared with the count),
    # each next page was asked for before the page before it was parsed
    for page in range(1, PAGES - 1):
        assert recorder.events.index(f"request {page + 1}") < recorder.events.index(
            f"parsed {page}"
        ), recorder.events
