"""CI-friendly output: the GitHub Actions step summary and annotations, and JUnit properties.

Under GitHub Actions (``GITHUB_ACTIONS=true``) the run appends a Markdown summary to
``$GITHUB_STEP_SUMMARY`` (a table of modes and verdicts, then each failing or inconclusive check
with its evidence and next commands) and prints one ``::error`` (FAIL) or ``::warning`` (PARTIAL)
workflow command per check. JUnit XML (``--junitxml``) carries each check's verdict, reason and
message as test case properties. Text from Sentry is escaped for each format; the configured
token and DSN key are redacted again here, although no verdict should ever hold them.
``point_at_check`` makes a skip raised inside the plugin point at the check's own line.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate import verdict

if TYPE_CHECKING:
    import pytest

    from pytest_sentry_gate.runlog import Run
    from pytest_sentry_gate.settings import Settings

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


#: GitHub shows at most 10 annotations of each kind per step: the rest are named in an 11th.
MAX_ANNOTATIONS: Final = 10
MORE: Final = "{count} more not shown as annotations (GitHub shows {cap}): {ids}"
#: ``path/to/file.ext:LINE`` in a message or in the evidence (a repository file at fault).
_AT: Final = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.[A-Za-z]{1,8}):(\d{1,7})\b")
#: ``host.tld:port`` is no ``file:line``.
_HOSTS: Final = frozenset({"io", "com", "org", "net", "dev", "app", "cloud", "co", "invalid"})
#: Evidence keys that name a repository file without a line.
_FILE_KEYS: Final = ("file", "path", "wiring_file", "version_file")


def location(result: verdict.CheckResult) -> tuple[str, int | None] | None:
    """The repository file (and line) at fault: the first ``file:line`` of the message or the
    evidence, else a file the evidence names; ``None`` for an API or server problem."""
    texts = [result.message, *result.fixes, json.dumps(result.evidence, default=str)]
    for text in texts:
        for path, line in _AT.findall(text):
            host = "/" not in path and path.rsplit(".", 1)[1].lower() in _HOSTS
            if not host and not path.startswith(("http", "www.")):
                return path, int(line)
    for marker in result.evidence.get("markers") or ():  # wiring: a file without the marker
        if isinstance(marker, dict) and marker.get("present_file") and not marker.get("found"):
            return str(marker.get("file")), marker.get("line")
    versions = result.evidence.get("versions")
    if isinstance(versions, dict) and len(set(map(str, versions.values()))) > 1:
        tally = Counter(map(str, versions.values()))  # the version file that disagrees
        return min(versions, key=lambda f: tally[str(versions[f])]), None
    for key in _FILE_KEYS:
        value = result.evidence.get(key)
        if isinstance(value, str) and value and "://" not in value:
            return value, None
    return None


def workflow_commands(
    results: Iterable[verdict.CheckResult], redact: Callable[[str], str]
) -> list[str]:
    """``::error`` per FAIL, then ``::warning`` per PARTIAL, titled by the check, with ``file=``
    and ``line=`` where a repository file is at fault; at most ``MAX_ANNOTATIONS`` and a notice
    naming the rest."""
    levels = {verdict.FAIL: "error", verdict.ERROR: "error", verdict.PARTIAL: "warning"}
    chosen = [r for r in results if r.status in levels]
    chosen.sort(key=lambda r: levels[r.status] != "error")  # stable: FAILs first, in run order
    lines = []
    for result in chosen[:MAX_ANNOTATIONS]:
        message = redact(result.message)
        if result.next_commands:
            message += "\nnext: " + "\nnext: ".join(redact(c) for c in result.next_commands)
        if result.fixes:
            message += "\nfix: " + "\nfix: ".join(redact(f) for f in result.fixes)
        title = f"sentry-gate {result.status} {result.check_id}"
        props = f"title={_property(title)}"
        where = location(result)
        if where is not None:
            props = (
                f"file={_property(redact(where[0]))},"
                + (f"line={where[1]}," if where[1] is not None else "")
                + props
            )
        lines.append(f"::{levels[result.status]} {props}::{_data(message)}")
    rest = chosen[MAX_ANNOTATIONS:]
    if rest:
        ids = ", ".join(f"{r.status} {r.check_id}" for r in rest)
        text = MORE.format(count=len(rest), cap=MAX_ANNOTATIONS, ids=ids)
        lines.append(f"::notice title=sentry-gate::{_data(redact(text))}")
    return lines


def summary_markdown(
    rows: list[dict[str, Any]],
    results: Iterable[verdict.CheckResult],
    overall: str,
    redact: Callable[[str], str],
    **context: Any,
) -> str:
    """The step summary (``step_summary.markdown``: verdict first, FAILs, PARTIALs, issues,
    passes folded)."""
    from pytest_sentry_gate import step_summary

    return step_summary.markdown(rows, results, overall, redact, **context)


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
    **context: Any,
) -> None:
    """Under GitHub Actions: print the annotations and append the step summary."""
    if not active(environ):
        return
    for line in workflow_commands(results, redact):
        write_line(line)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_summary(Path(summary), summary_markdown(rows, results, overall, redact, **context))


def publish_run(
    run: Run,
    config: pytest.Config,
    conf: Settings | None,
    redact: Callable[[str], str],
    sections: dict[str, Any],
) -> None:
    """GitHub Actions: annotations on the terminal, the Markdown summary in the step summary
    (``conf``: the settings as the report names the target, ``runlog.settled``)."""
    if not active(os.environ):
        return
    from pytest_sentry_gate import report, step_context

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write_line = reporter.write_line if reporter is not None else print
    if reporter is not None and config.get_terminal_writer().width_of_current_line:
        reporter.write("\n")  # -q's progress "[100%]": a workflow command starts a line
    publish(
        environ=os.environ,
        rows=report.mode_rows(run),
        results=run.results,
        overall=report.overall_status(run),
        redact=redact,
        write_line=write_line,
        **step_context.context(run, conf, sections),
    )


_PACKAGE_DIR: Final = Path(__file__).parent


def point_at_check(item: pytest.Item, report: pytest.TestReport) -> None:
    """A skip (PARTIAL, not applicable) raised inside the plugin is reported at the check's line,
    so ``-rs`` names the check, never the plugin's internals."""
    longrepr = report.longrepr
    if not (report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3):
        return
    if Path(str(longrepr[0])).resolve().is_relative_to(_PACKAGE_DIR):
        path, line, _ = item.reportinfo()
        report.longrepr = (str(path), (line or 0) + 1, longrepr[2])
