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

from pytest_sentry_gate import errors, modes, policy, redaction, verdict
from pytest_sentry_gate.fixtures.replay import cassette_header
from pytest_sentry_gate.redact import Redactor
from pytest_sentry_gate.rerun import after_collection
from pytest_sentry_gate.runlog import (
    CHECK_KEY,
    RUN_KEY,
    SETTINGS_KEY,
    Run,
    item_mode,
    settle,
    settled,
)
from pytest_sentry_gate.selection import selection_words

NAME = "sentry_gate_active"
_DEFERRED_KEY = pytest.StashKey[str]()


class ActiveHooks:
    """Verdicts from errors, per-check records, ordering, the summary and the agent report."""

    def __init__(self, *, checks_dir: Path, modes_label: str, rerun: str) -> None:
        self.checks_dir = checks_dir
        self.modes_label = modes_label
        self.rerun = rerun
        self.stopped_by: str | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A report path the run may not write is a usage error now, not a lost report at the
        end. Tried once every usage error of configure time is raised, before any check and
        before xdist starts its workers: by the controller alone, and not under
        ``--collect-only``, which writes no report (``report_writer.check_path``)."""
        from pytest_sentry_gate import report_writer

        report_writer.check_path(session.config, session.config.stash.get(SETTINGS_KEY, None))

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Leave out the bundled check files of modes that are not selected (``test_<mode>.py``),
        so a run reports no "deselected" checks of other modes."""
        if collection_path.parent != self.checks_dir:
            return None
        mode = collection_path.stem.removeprefix("test_")
        if mode not in modes.CHECK_MODES:
            return None
        run = config.stash.get(RUN_KEY, None)  # the modes -m selected, read once at configure
        return True if run is None or mode not in run.modes else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Every check of the first five modes also carries ``verify_loop``; order items by mode."""
        if not items:
            return
        run = items[0].config.stash.get(RUN_KEY, None)
        if run is not None:  # before -m deselects: which modes have checks at all
            run.collected_modes.update(m for m in map(item_mode, items) if m is not None)
        for item in items:
            in_loop = any(item.get_closest_marker(m) for m in modes.LOOP_MODES)
            if in_loop and not item.get_closest_marker("verify_loop"):
                item.add_marker("verify_loop")
        items.sort(key=self._mode_rank)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The rerun drops a ``-k`` that left no check selected (``rerun.after_collection``)."""
        run = session.config.stash.get(RUN_KEY, None)
        if run is not None:
            run.rerun = after_collection(run.rerun, selected=len(session.items))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Count each mode's deselected checks, so an empty row can name the selection."""
        run = items[0].config.stash.get(RUN_KEY, None) if items else None
        if run is None:
            return
        for mode in filter(None, map(item_mode, items)):
            run.deselected[mode] = run.deselected.get(mode, 0) + 1
        run.selection = selection_words(items[0].config)

    @staticmethod
    def _mode_rank(item: pytest.Item) -> int:
        mode = item_mode(item)
        return -1 if mode is None else modes.mode_rank(mode)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        """A fixture's error becomes the check's verdict (``runlog.settle``): PARTIAL skips here,
        FAIL is said by the call phase (so it reads FAILED, not ERROR at setup), each once and
        without a chain."""
        try:
            return (yield)
        except errors.SentryGateError as exc:
            status, message = settle(item, exc, self.redactor(item.config))
        if status == verdict.PARTIAL:
            pytest.skip(verdict.PARTIAL_PREFIX + message)
        item.stash[_DEFERRED_KEY] = message
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """A verdict settled at setup fails the check here, before its body would run."""
        message = item.stash.get(_DEFERRED_KEY, None)
        if message is not None:
            pytest.fail(message, pytrace=False)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, None, None]:
        """An error raised in a check's body becomes its verdict, said once."""
        try:
            return (yield)
        except errors.SentryGateError as exc:
            status, message = settle(pyfuncitem, exc, self.redactor(pyfuncitem.config))
        if status == verdict.PARTIAL:
            pytest.skip(verdict.PARTIAL_PREFIX + message)
        pytest.fail(message, pytrace=False)

    def redactor(self, config: pytest.Config) -> Redactor:
        """The run's one redactor, built at configure time (``redaction``)."""
        return redaction.of(config)

    # Innermost (trylast): the check's result is recorded before any other plugin's wrapper
    # (pytest-json-report's metadata, pytest-html's extras) reads it, whatever the load order.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        redact = self.redactor(item.config)
        if redact:
            redaction.redact_report(report, redact)
        run = item.config.stash.get(RUN_KEY, None)
        used_gate = CHECK_KEY in item.stash
        if used_gate or (run is not None and item_mode(item) is not None):
            if run is None:
                run = Run(modes=(), started=time.time(), rerun=self.rerun)
                item.config.stash[RUN_KEY] = run
            from pytest_sentry_gate import ci_output

            run.record(item, report, redact=redact)
            ci_output.point_at_check(item, report)
            result = run.by_nodeid.get(item.nodeid) if report.when == "teardown" else None
            if result is not None:  # JUnit XML (--junitxml) writes these as test case properties
                report.user_properties.extend(ci_output.junit_properties(result, redact))
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """A collection error's text is redacted like a test's."""
        report = yield
        redact = self.redactor(collector.config)
        if redact and report.failed:
            redaction.redact_report(report, redact)
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
        lines += cassette_header(config.stash.get(RUN_KEY, None))
        if conf.bundled_checks:
            lines.append(f"sentry-gate: bundled checks from {self.checks_dir} (ids relative to it)")
        return lines

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Remember which signal stopped the run (Ctrl-C, or SIGTERM via ``interrupts``)."""
        from pytest_sentry_gate import interrupts

        self.stopped_by = interrupts.signal_name(excinfo.value)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        run = config.stash.get(RUN_KEY, None)
        if run is None or not (run.results or run.modes) or config.option.collectonly:
            return
        from pytest_sentry_gate import distributed, report

        terminalreporter.section("sentry-gate")
        for line in report.summary_lines(run) + distributed.loop_lines(config):
            terminalreporter.line(line)
        for line in policy.terminal_lines(config):  # which policy decided the exit code
            terminalreporter.line(line)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        run = config.stash.get(RUN_KEY, None)
        if run is None or config.option.collectonly:  # nothing ran: keep the last real report
            return
        run.exit_code = int(exitstatus)
        from pytest_sentry_gate import ci_output, distributed, interrupts, report_writer

        run.interruption = interrupts.interruption(session, int(exitstatus), self.stopped_by)
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and run.modes:
            # every selected mode has its row (PARTIAL when none of its checks ran): not empty
            session.exitstatus = run.exit_code = pytest.ExitCode.OK
        # verify_loop: the checkpoint and the report's sections (on an xdist controller, the
        # workers' facts merged into ``run``); then the target as the report names it
        loop_sections = distributed.loop_sections(
            config, run, config.stash.get(SETTINGS_KEY, None), self.redactor(config)
        )
        conf = settled(config, run)
        if distributed.on_worker(config):  # under -n the controller alone reports
            distributed.send(config, run, loop_sections)
            return
        # here, not in the terminal summary: pytest prints none on a crash
        if run.results or run.modes:
            ci_output.publish_run(run, config, conf, self.redactor(config), loop_sections)
        if conf is None:
            return
        policy.finish(session, run, conf)  # sentry_fail_on: a PARTIAL fails the run, or not
        lost = report_writer.write(config, run, conf, loop_sections)  # --sentry-gate-report
        if lost is not None:
            policy.report_not_written(session, run, lost)  # exit 4, and the exit line says so
