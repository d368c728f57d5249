"""The GitHub step summary a release manager scans: verdict first, then what failed, then the rest.

Headline (verdict, release, target), the modes table, the "since last run" line and the trend
sparklines (verify_loop), the FAILs, then the PARTIALs (each with its evidence folded in
``<details>``), the issues to look at (high severity, release regressions, urgent) with links, and
the passes collapsed. Text from Sentry is data: every Markdown and HTML character of it is
escaped, and an issue title is shown as inline code (never a link, an image or a table break).
Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from pytest_sentry_gate import trend, verdict

ICONS: Final = {verdict.PASS: "✅", verdict.PARTIAL: "⚠️", verdict.FAIL: "❌", verdict.ERROR: "❌"}
#: The characters that make Markdown or HTML of inline text (a table cell's ``|`` too).
_PUNCTUATION: Final = re.compile(r"([\\`*_\[\]()<>|!&~#])")
#: Only Sentry's own issue links are made clickable.
_LINK: Final = re.compile(r"^https?://[^\s()<>\[\]\"'`]+$")
ISSUE_ROWS: Final = 20


def cell(text: str) -> str:
    """Untrusted text as inline Markdown: each character that makes Markdown or HTML is
    backslash-escaped (no link, image, emphasis, HTML or table break), and ``://`` and ``www.``
    carry a zero-width space so GitHub links no URL in it."""
    text = _PUNCTUATION.sub(r"\\\1", text.replace("\r", ""))
    text = text.replace("://", ":/\u200b/").replace("www.", "www\u200b.")
    return text.replace("\n", "<br>")


def ours(text: str) -> str:
    """The plugin's own text (a fix, which may quote a line as inline code): HTML escaped and
    kept on its line, its backticks kept."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def code(text: str) -> str:
    """Untrusted text as an inline code span (a table cell's ``|`` escaped)."""
    text = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    return f"{ticks} {text} {ticks}" if text else ""


def fence(text: str, info: str = "") -> str:
    """A fenced block longer than any backtick run in ``text``, so it cannot be closed early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def folded(summary: str, body: str) -> list[str]:
    return ["", f"<details><summary>{summary}</summary>", "", body, "", "</details>"]


def _check(result: verdict.CheckResult, redact: Callable[[str], str]) -> list[str]:
    icon = ICONS.get(result.status, "")
    lines = [
        "",
        f"#### {icon} `{result.check_id}` ({result.reason})",
        "",
        cell(redact(result.message)),
    ]
    if result.fixes:
        lines += ["", "Fixes:", "", *(f"- {ours(redact(f))}" for f in result.fixes)]
    if result.next_commands:
        commands = "\n".join(redact(c) for c in result.next_commands)
        lines += ["", "Next:", "", fence(commands, "sh")]
    if result.evidence:
        evidence = json.dumps(result.evidence, indent=2, sort_keys=True, default=str)
        lines += folded("Evidence", fence(redact(evidence), "json"))
    return lines


def _since(loop: Mapping[str, Any]) -> list[str]:
    history = loop.get("history") or []
    lines = []
    if loop.get("previous_check") and loop.get("unresolved_count") is not None:
        before = history[-2].get("unresolved") if len(history) > 1 else None
        lines.append(
            f"**Since last run** ({cell(str(loop['previous_check']))}): "
            f"{loop['new_since_last']['count']} new, {loop['resolved_since_last']['count']} "
            f"resolved, unresolved {'?' if before is None else before} → {loop['unresolved_count']}"
        )
    elif loop.get("baseline_established"):
        lines.append(f"**Baseline established**: {loop['unresolved_count']} unresolved")
    trends = trend.trend_lines(history)
    if trends:
        lines.append("**Trend**: " + " · ".join(f"`{t}`" for t in trends))
    return lines


def _link(issue: Mapping[str, Any]) -> str:
    label = cell(str(issue.get("short_id") or issue.get("id") or "?"))
    link = str(issue.get("permalink") or "")
    return f"[{label}]({link})" if _LINK.match(link) else label


def issues(loop: Mapping[str, Any], triage: Mapping[str, Any]) -> list[str]:
    """The high-severity, regression and urgent issues as one table (an issue once, its reasons
    joined), most events first."""
    found: dict[str, dict[str, Any]] = {}
    why: dict[str, list[str]] = {}
    buckets = (triage.get("buckets") or {}) if triage else {}
    sources = [
        ("high severity", loop.get("high_severity") or []),
        ("release regression", loop.get("release_regressions") or []),
        ("urgent", buckets.get("urgent") or []),
    ]
    for label, items in sources:
        for issue in items:
            key = str(issue.get("id"))
            found.setdefault(key, {}).update({k: v for k, v in issue.items() if v is not None})
            why.setdefault(key, []).append(label)
    if not found:
        return []
    ordered = sorted(found, key=lambda k: -int(found[k].get("events") or 0))
    lines = [
        "",
        "### Issues to look at",
        "",
        "| issue | title | events | users | owner | why |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key in ordered[:ISSUE_ROWS]:
        issue = found[key]
        lines.append(
            f"| {_link(issue)} | {code(str(issue.get('title') or ''))} | "
            f"{cell(str(issue.get('events', '')))} | {cell(str(issue.get('users', '')))} | "
            f"{cell(str(issue.get('owner') or '—'))} | {', '.join(why[key])} |"
        )
    if len(ordered) > ISSUE_ROWS:
        lines.append(f"\n… and {len(ordered) - ISSUE_ROWS} more in the agent report")
    return lines


def markdown(
    rows: list[dict[str, Any]],
    results: Iterable[verdict.CheckResult],
    overall: str,
    redact: Callable[[str], str],
    *,
    target: str = "",
    release: str | None = None,
    sections: Mapping[str, Any] | None = None,
) -> str:
    """The whole step summary (see the module docstring)."""
    results = list(results)
    sections = sections or {}
    loop = sections.get("verify_loop") or {}
    head = f"## {ICONS.get(overall, '')} sentry-gate: {overall}"
    if release:
        head += f" · release {code(redact(release))}"
    if target:
        head += f" · {cell(redact(target))}"
    lines = [head, "", "| mode | verdict | checks |", "| --- | --- | --- |"]
    for row in rows:
        counts = row["message"].split(":", 1)[0]
        icon = ICONS.get(row["status"], "")
        lines.append(f"| {cell(row['mode'])} | {icon} {row['status']} | {cell(counts)} |")
    if loop:
        lines += ["", *(f"{line}  " for line in _since(loop))]
    for status, title in ((verdict.FAIL, "Failed"), (verdict.PARTIAL, "Partial")):
        chosen = [r for r in results if r.status == status]
        if chosen:
            lines += ["", f"### {ICONS[status]} {title} ({len(chosen)})"]
            for result in chosen:
                lines += _check(result, redact)
    lines += issues(loop, sections.get("triage") or {})
    passed = [r for r in results if r.status == verdict.PASS]
    if passed:
        body = "\n".join(f"- `{r.check_id}`: {cell(redact(r.message))}" for r in passed)
        lines += folded(f"{ICONS[verdict.PASS]} Passed ({len(passed)})", body)
    return "\n".join(lines) + "\n"
