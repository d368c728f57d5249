"""Where the agent report goes (``--sentry-gate-report``): its path tried at the start, the
document written at the end.

``check_path`` runs at session start: a path the run may not write is a usage error then, not a
lost report at the end. ``write`` runs at session finish: a report that cannot be written is
said on the terminal, and the hooks make the run exit 4 (``policy.report_not_written``). Both run
on the controller alone under xdist. A relative path is relative to where pytest was invoked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_gate import report_file

if TYPE_CHECKING:
    from pytest_sentry_gate.runlog import Run
    from pytest_sentry_gate.settings import Settings


def check_path(config: pytest.Config, conf: Settings | None) -> None:
    """Create the report's directory and try it for writing (a usage error when refused); not
    under ``--collect-only``, which writes no report, and not on an xdist worker."""
    if conf is None or conf.report is None or config.option.collectonly:
        return
    from pytest_sentry_gate import distributed

    if distributed.on_worker(config):
        return
    path = config.invocation_params.dir / conf.report  # an absolute path stays as it is
    try:
        report_file.plan(path, prepare=True)  # its directory is created and tried for writing
    except report_file.ReportPathRefused as exc:
        raise pytest.UsageError(f"--sentry-gate-report {exc}") from None


def write(config: pytest.Config, run: Run, conf: Settings, sections: dict[str, Any]) -> Path | None:
    """Write the run's report, when one was asked for; when it cannot be, say why on the
    terminal and return its path (``None``: written, or none asked for)."""
    if conf.report is None:
        return None
    from pytest_sentry_gate import report

    path = config.invocation_params.dir / conf.report  # an absolute path stays as it is
    try:
        report.write(path, report.detailed(report.build(run, conf, sections), conf))
    except (OSError, report_file.ReportPathRefused) as exc:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        why = exc if isinstance(exc, report_file.ReportPathRefused) else exc.strerror or exc
        text = f"sentry-gate: cannot write the report to {path}: {why}"
        if reporter is not None:
            reporter.write_line(text, red=True)
        return path
    return None
