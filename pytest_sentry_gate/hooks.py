"""The hooks that work only while the plugin is active.

The plugin registers ``ActiveHooks`` when ``-m`` names a runbook mode, or when a test first asks
for the ``sentry_check`` fixture; until then pytest calls none of these for any test.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import errors, modes, verdict
from pytest_sentry_gate.runlog import CHECK_KEY, RUN_KEY, SETTINGS_KEY, Run, check_id, item_mode

NAME = "sentry_gate_active"


class ActiveHooks:
    """Verdicts from errors, per-check records, ordering, the summary and the agent report."""

    def __init__(self, *, checks_dir: Path, modes_label: str, rerun: str) -> None:
        self.checks_dir = checks_dir
        self.modes_label = modes_label
        self.rerun = rerun

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Leave out the bundled check files of modes that are not selected (``test_<mode>.py``),
        so a run reports no "deselected" checks of other modes."""
        if collection_path.parent != self.checks_dir:
            return None
        mode = collection_path.stem.removeprefix("test_")
        if mode not in modes.CHECK_MODES:
            return None
        from pytest_sentry_gate.plugin import selected_modes

        return True if mode not in selected_modes(config) else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Every check of the first five modes also carries ``verify_loop``; order items by mode."""
        if not items:
            return
        for item in items:
            in_loop = any(item.get_closest_marker(m) for m in modes.LOOP_MODES)
            if in_loop and not item.get_closest_marker("verify_loop"):
                item.add_marker("verify_loop")
        items.sort(key=self._mode_rank)

    @staticmethod
    def _mode_rank(item: pytest.Item) -> int:
        mode = item_mode(item)
        return -1 if mode is None else modes.mode_rank(mode)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._convert_errors(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._convert_errors(item))

    @staticmethod
    def _convert_errors(item: pytest.Item) -> Generator[None, None, None]:
        """Turn an API or network error that escaped a check into its verdict, without traceback."""
        try:
            return (yield)
        except errors.SentryGateError as exc:
            run = item.config.stash.get(RUN_KEY, None)
            rerun = run.rerun if run else "pytest"
            conf = item.config.stash.get(SETTINGS_KEY, None)
            status, reason, message, commands = verdict.verdict_for_error(
                exc, require_network=bool(conf and conf.require_host_network), rerun=rerun
            )
            record = item.stash.get(CHECK_KEY, None)
            if record is None:  # the error came from a fixture set up before ``sentry_check``
                record = verdict.Check(check_id=check_id(item), mode=item_mode(item), rerun=rerun)
                item.stash[CHECK_KEY] = record
            record.reason = reason
            record.message = message
            record.next(*commands)
            if status == verdict.PARTIAL:
                pytest.skip(verdict.PARTIAL_PREFIX + message)
            pytest.fail(message, pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        run = item.config.stash.get(RUN_KEY, None)
        used_gate = CHECK_KEY in item.stash
        if used_gate or (run is not None and item_mode(item) is not None):
            if run is None:
                run = Run(modes=(), started=time.time(), rerun=self.rerun)
                item.config.stash[RUN_KEY] = run
            run.record(item, report)
        return report

    def pytest_report_header(self, config: pytest.Config) -> list[str] | None:
        conf = config.stash.get(SETTINGS_KEY, None)
        if conf is None:
            return None
        lines = [
            f"sentry-gate: org={conf.org or '(discover)'} "
            f"project={','.join(conf.projects) or '(discover)'} server={conf.host} "
            f"record-mode={conf.record_mode} modes={self.modes_label}"
        ]
        if conf.bundled_checks:
            lines.append(f"sentry-gate: bundled checks from {self.checks_dir} (ids relative to it)")
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        run = config.stash.get(RUN_KEY, None)
        if run is None or not run.results:
            return
        from pytest_sentry_gate import report

        terminalreporter.section("sentry-gate")
        for line in report.summary_lines(run):
            terminalreporter.line(line)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        run = config.stash.get(RUN_KEY, None)
        conf = config.stash.get(SETTINGS_KEY, None)
        if run is None or conf is None or conf.report is None:
            return
        from pytest_sentry_gate import report

        path = config.invocation_params.dir / conf.report  # an absolute path stays as it is
        try:
            report.write(path, report.build(run, conf))
        except OSError as exc:
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            text = f"sentry-gate: cannot write the report to {path}: {exc.strerror or exc}"
            if reporter is not None:
                reporter.write_line(text, red=True)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR


class JsonReportHooks:
    """pytest-json-report integration, registered only when that plugin is active."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_runtest_metadata(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> dict[str, Any]:
        """Each test's metadata carries its sentry-gate block."""
        if call.when != "teardown":
            return {}
        run = self.config.stash.get(RUN_KEY, None)
        result = run.by_nodeid.get(item.nodeid) if run else None
        return {"sentry_gate": result.as_dict()} if result else {}

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_modifyreport(self, json_report: dict[str, Any]) -> None:
        """The top level carries the per-mode summary rows."""
        run = self.config.stash.get(RUN_KEY, None)
        if run is not None and run.results:
            from pytest_sentry_gate import report

            json_report["sentry_gate"] = report.mode_rows(run)
