"""pytest-html's report, when that plugin is installed: each check's row carries its verdict and
reason, and the Sentry issues it names are links among the row's extras.

No HTML report of our own: ``pytest --html=report.html`` writes pytest-html's, with two more
columns (Verdict, Reason). Registered only when pytest-html is loaded (``plugin.activate``), and
every hook is optional, so nothing here runs without it. Text from Sentry (an issue's short id)
and a check's message are escaped; only an http(s) permalink becomes a link.
"""

from __future__ import annotations

import html
from collections.abc import Generator, Iterator
from typing import Any, Final

import pytest

from pytest_sentry_gate.runlog import RUN_KEY
from pytest_sentry_gate.verdict import CheckResult

NAME: Final = "sentry_gate_html"
PLUGIN: Final = "html"  # pytest-html's name in the plugin manager
#: At most this many issue links on one row (a listing of hundreds would bury the row).
MAX_LINKS: Final = 20
MAX_MESSAGE: Final = 500


def install(config: pytest.Config) -> None:
    """Register the hooks when pytest-html is loaded (``--html`` or not: it decides to write)."""
    manager = config.pluginmanager
    if manager.hasplugin(PLUGIN) and not manager.has_plugin(NAME):
        manager.register(HtmlExtras(config), NAME)


class HtmlExtras:
    """The Verdict and Reason columns, and the issue links of each check."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def result(self, nodeid: str) -> CheckResult | None:
        """The settled verdict of a check (None for a test that is not a check, or before its
        teardown)."""
        run = self.config.stash.get(RUN_KEY, None)
        return run.by_nodeid.get(nodeid) if run is not None else None

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="sentry-verdict">Verdict</th>')
        cells.insert(2, '<th data-column-type="sentry-reason">Reason</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        found = self.result(report.nodeid)
        status = found.status if found else ""
        reason = reason_text(found) if found else ""
        cells.insert(1, f'<td class="col-sentry-verdict">{html.escape(status)}</td>')
        cells.insert(2, f'<td class="col-sentry-reason">{html.escape(reason)}</td>')

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """At teardown, when the verdict is settled, the check's issue links become extras of
        its last report (pytest-html gathers every phase's extras for the row)."""
        report = yield
        if report.when == "teardown":
            found = self.result(item.nodeid)
            if found is not None:
                extras = list(getattr(report, "extras", []))
                extras.extend(link_extras(found))
                report.extras = extras  # type: ignore[attr-defined]
        return report


def reason_text(result: CheckResult) -> str:
    """``reason_code: message`` (the message cut at MAX_MESSAGE characters)."""
    message = result.message
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "…"
    return f"{result.reason}: {message}" if message else result.reason


def link_extras(result: CheckResult) -> list[dict[str, str | None]]:
    """pytest-html ``url`` extras, one per issue permalink in the evidence (deduplicated)."""
    links: dict[str, str] = {}
    for url, name in permalinks(result.evidence):
        if len(links) >= MAX_LINKS:
            break
        links.setdefault(url, name)
    return [
        {
            "name": html.escape(name),
            "format_type": "url",
            "content": html.escape(url, quote=True),
            "mime_type": None,
            "extension": None,
        }
        for url, name in links.items()
    ]


def permalinks(evidence: Any) -> Iterator[tuple[str, str]]:
    """Each ``(permalink, short id)`` of an issue found anywhere in ``evidence``; only http(s)."""
    if isinstance(evidence, dict):
        url = evidence.get("permalink")
        if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
            name = evidence.get("short_id") or evidence.get("shortId") or evidence.get("id")
            yield url, str(name or "issue")
        for value in evidence.values():
            yield from permalinks(value)
    elif isinstance(evidence, list | tuple):
        for value in evidence:
            yield from permalinks(value)
