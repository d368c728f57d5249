"""pytest-html: each check's row carries its verdict, reason and issue links (no report of ours)."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY_TOKEN, DEMO_APP, FULL_SCOPES, check, demo_target, run_mode

pytest.importorskip("pytest_html", reason="pytest-html is in the dev extras: pip install -e .[dev]")

NOW = datetime.now(UTC).replace(microsecond=0)


def html_rows(path: Path) -> dict[str, list[str]]:
    """Each test's row cells (its call row, or its setup row when it stopped there), read from
    the data pytest-html keeps in its page."""
    page = path.read_text(encoding="utf-8")
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob is not None, "not a pytest-html 4 page"
    data: dict[str, Any] = json.loads(html.unescape(blob.group(1)))
    return {nodeid: rows[-1]["resultsTableRow"] for nodeid, rows in data["tests"].items()}


def cell(row: list[str], kind: str) -> str:
    found = next(c for c in row if f'class="col-{kind}"' in c)
    return html.unescape(re.sub(r"<[^>]+>", "", found))


def test_rows_carry_verdict_reason_and_issue_links(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sentry_simulator import Simulator, TokenSpec
    from sentry_simulator.scenarios import demo_data

    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    sim = Simulator(data=demo_data(DEMO_APP, now=NOW, health_story=True))
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    with sim:
        _, report = run_mode(
            pytester,
            "prod_health",
            *demo_target(sim.url, DEMO_APP),
            f"--sentry-state-file={tmp_path / 'state.json'}",
            "--html=page.html",
        )
    rows = html_rows(pytester.path / "page.html")
    page = (pytester.path / "page.html").read_text(encoding="utf-8")
    assert '<th class="sortable" data-column-type="sentry-verdict">Verdict</th>' in page
    assert len(rows) == len(report["checks"])
    for entry in report["checks"]:
        row = rows[entry["nodeid"]]
        assert cell(row, "sentry-verdict") == entry["status"]
        assert cell(row, "sentry-reason").startswith(f"{entry['reason']}: ")
        assert entry["message"][:80] in cell(row, "sentry-reason")
    high = check(report, "test_high_severity")
    permalinks = {i["permalink"] for i in high["evidence"]["issues"]}
    assert permalinks  # the story has high-severity issues
    links = next(c for c in rows[high["nodeid"]] if 'class="col-links"' in c)
    assert set(re.findall(r'href="([^"]+)"', html.unescape(links))) == permalinks
    for issue in high["evidence"]["issues"]:
        assert f">{issue['short_id']}</a>" in links
    statuses = {e["status"] for e in report["checks"]}
    assert statuses - {"PASS"}, "the story gives a verdict other than PASS"


def test_only_http_permalinks_become_links_and_names_are_escaped() -> None:
    from pytest_sentry_gate.html_extras import link_extras
    from pytest_sentry_gate.verdict import CheckResult

    evidence = {
        "issues": [
            {"permalink": "javascript:alert(1)", "short_id": "X-1"},
            {"permalink": "https://acme.sentry.io/issues/2/", "short_id": "<b>X-2</b>"},
            {"permalink": "https://acme.sentry.io/issues/2/", "short_id": "again"},
        ]
    }
    result = CheckResult("n", "c", "prod_health", "FAIL", "high_severity", "m", evidence, (), (), 0)
    extras = link_extras(result)
    assert [(e["content"], e["name"]) for e in extras] == [
        ("https://acme.sentry.io/issues/2/", "&lt;b&gt;X-2&lt;/b&gt;")
    ]
