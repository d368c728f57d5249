"""The progress line: readers that wait report through the client configuration seam."""

from __future__ import annotations

import io

import httpx
import pytest

from pytest_sentry_gate.fixtures.replay import terminal_line
from pytest_sentry_gate.progress import PREFIX, Progress
from pytest_sentry_gate.sentry.client import ClientConfig, SentryClient

PAGES = 5


def paged(request: httpx.Request) -> httpx.Response:
    """Five pages of one item each, linked by Sentry's cursors."""
    page = int(request.url.params.get("cursor", "0:0:0").split(":")[1])
    more = "true" if page + 1 < PAGES else "false"
    link = (
        f'<{request.url.copy_with(params={"cursor": f"0:{page + 1}:0"})}>; rel="next"; '
        f'results="{more}"; cursor="0:{page + 1}:0"'
    )
    return httpx.Response(200, json=[{"id": str(page)}], headers={"Link": link})


def test_long_paging_reports_each_page() -> None:
    # Given a client whose configuration carries a progress reporter
    seen: list[str] = []
    config = ClientConfig(transport=httpx.MockTransport(paged), progress=seen.append)
    with SentryClient.configured(
        config, base_url="http://h/", token="t", allow_envelope=False
    ) as client:
        # When it walks a five-page list
        ids = [i["id"] for page in client.paginate("/api/0/x/") for i in page]
    # Then each further page was reported
    assert ids == ["0", "1", "2", "3", "4"]
    assert seen == [f"paging /api/0/x/: page {n}" for n in range(2, PAGES + 1)]


def test_progress_line_is_rewritten_in_place_and_cleared() -> None:
    written: list[str] = []
    progress = Progress(rewrite=written.append, enabled=True, interval=0.0)
    progress("paging a: page 2")
    progress("paging a: page 3")
    progress.done()
    assert written == [f"{PREFIX}paging a: page 2", f"{PREFIX}paging a: page 3", ""]


def test_progress_is_quiet_when_not_a_terminal() -> None:
    written: list[str] = []
    progress = Progress(rewrite=written.append, enabled=False)
    progress("paging a: page 2")
    progress.done()
    assert written == []


def test_progress_line_is_drawn_by_pytests_terminal_writer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given pytest's own terminal reporter writing to a terminal 40 columns wide
    monkeypatch.setenv("COLUMNS", "40")
    stream = io.StringIO()
    terminal = pytest.TerminalReporter(pytester.parseconfig(), stream)
    progress = Progress(rewrite=terminal_line(terminal, None), enabled=True, interval=0.0)
    # When a long line, a short one and the clearing are shown
    progress("paging /api/0/long/path/: page 2")
    progress("page 3")
    progress.done()
    # Then each is a rewind and a line erased to the full width by pytest, with no escape code
    written = stream.getvalue()
    assert "\x1b" not in written
    lines = written.split("\r")[1:]
    assert [line.rstrip() for line in lines] == [
        "sentry-gate: paging /api/0/long/path/: page 2",
        "sentry-gate: page 3",
        "",
        "",
    ]
    assert [len(line) for line in lines[1:3]] == [39, 39]  # erased past the longer line
