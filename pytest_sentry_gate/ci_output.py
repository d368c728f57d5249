"""CI-friendly output: the GitHub Actions step summary and annotations, and JUnit properties.

Under GitHub Actions (``GITHUB_ACTIONS=true``) the run appends a Markdown summary to
``$GITHUB_STEP_SUMMARY`` (a table of modes and verdicts, then each failing or inconclusive check
with its evidence and next commands) and prints one ``::error`` (FAIL) or ``::warning`` (PARTIAL)
workflow command per check. JUnit XML (``--junitxml``) carries each check's verdict, reason and
message as test case properties. Text from Sentry is escaped for each format; the configured
token and DSN key are redacted again here, although no verdict should ever hold them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from pytest_sentry_gate import verdict

SUMMARY_TITLE: Final = "## sentry-gate: {overall}"
ANNOTATION: Final = "::{level} title={title}::{message}"
#: JUnit property names, one per fact of the verdict.
JUNIT_STATUS: Final = "sentry_gate_status"
JUNIT_REASON: Final = "sentry_gate_reason"
JUNIT_MESSAGE: Final = "sentry_gate_message"


def active(environ: Mapping[str, str]) -> bool:
    """Whether this run is a GitHub Actions step."""
    return environ.get("GITHUB_ACTIONS") == "true"


def junit_properties(
    result: verdict.CheckResult, redact: Callable[[str], str]
) -> list[tuple[str, str]]:
    """The verdict of one check as JUnit test case properties."""
    return [
        (JUNIT_STATUS, result.status),
        (JUNIT_REASON, result.reason),
        (JUNIT_MESSAGE, redact(result.message)),
    ]


def _data(text: str) -> str:
    """Escape a workflow command's message (GitHub's own escaping)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(
    results: Iterable[verdict.CheckResult], redact: Callable[[str], str]
) -> list[str]:
    """One ``::error`` per FAIL and one ``::warning`` per PARTIAL, titled by the check."""
    lines = []
    for result in results:
        level = {verdict.FAIL: "error", verdict.PARTIAL: "warning"}.get(result.status)
        if level is None:
            continue
        message = redact(result.message)
        if result.next_commands:
            message += "\nnext: " + "\nnext: ".join(redact(c) for c in result.next_commands)
        if result.fixes:
            message += "\nfix: " + "\nfix: ".join(redact(f) for f in result.fixes)
        title = f"sentry-gate {result.status} {result.check_id}"
        lines.append(ANNOTATION.format(level=level, title=_property(title), message=_data(message)))
    return lines


def _cell(text: str) -> str:
    """Markdown table cell: untrusted text cannot break the table or inject HTML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _fence(text: str, info: str = "") -> str:
    """A fenced block longer than any backtick run in ``text``, so it cannot be closed early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def summary_markdown(
    rows: list[dict[str, Any]],
    results: Iterable[verdict.CheckResult],
    overall: str,
    redact: Callable[[str], str],
) -> str:
    """The step summary: modes and verdicts, then each FAIL and PARTIAL with what to do."""
    lines = [
        SUMMARY_TITLE.format(overall=overall),
        "",
        "| mode | verdict | checks |",
        "| --- | --- | --- |",
    ]
    for row in rows:
        counts = row["message"].split(":", 1)[0]
        lines.append(f"| {_cell(row['mode'])} | {row['status']} | {_cell(counts)} |")
    for result in results:
        if result.status not in (verdict.FAIL, verdict.PARTIAL):
            continue
        lines += [
            "",
            f"### {result.status} `{_cell(result.check_id)}`",
            "",
            _cell(redact(result.message)),
        ]
        if result.evidence:
            evidence = json.dumps(result.evidence, indent=2, sort_keys=True, default=str)
            lines += ["", _fence(redact(evidence), "json")]
        if result.next_commands:
            commands = "\n".join(redact(c) for c in result.next_commands)
            lines += ["", "Next commands:", "", _fence(commands, "sh")]
        if result.fixes:
            lines += ["", "Fixes:", "", *(f"- {_cell(redact(f))}" for f in result.fixes)]
    return "\n".join(lines) + "\n"


def append_summary(path: Path, text: str) -> None:
    """Append to the step summary file (other steps write there too)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def publish(
    *,
    environ: Mapping[str, str],
    rows: list[dict[str, Any]],
    results: list[verdict.CheckResult],
    overall: str,
    redact: Callable[[str], str],
    write_line: Callable[[str], None],
) -> None:
    """Under GitHub Actions: print the annotations and append the step summary."""
    if not active(environ):
        return
    for line in workflow_commands(results, redact):
        write_line(line)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_summary(Path(summary), summary_markdown(rows, results, overall, redact))
