"""The hooks that work only while the plugin is active.

The plugin registers ``ActiveHooks`` when ``-m`` names a runbook mode, or when a test first asks
for the ``sentry_check`` fixture; until then pytest calls none of these for any test.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import errors, modes, policy, redaction, verdict
from pytest_sentry_gate.fixtures.replay import cassette_header
from pytest_sentry_gate.redact import Redactor, without_userinfo
from pytest_sentry_gate.rerun import after_collection
from pytest_sentry_gate.runlog import CHECK_KEY, RUN_KEY, SETTINGS_KEY, Run, check_id, item_mode
from pytest_sentry_gate.selection import WORD
from pytest_sentry_gate.selection import read as read_selection
from pytest_sentry_gate.text import first_of

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
        ``--collect-only``, which writes no report."""
        config = session.config
        conf = config.stash.get(SETTINGS_KEY, None)
        if conf is None or conf.report is None or config.option.collectonly:
            return
        from pytest_sentry_gate import distributed, report_file

        if distributed.on_worker(config):
            return
        path = config.invocation_params.dir / conf.report  # an absolute path stays as it is
        try:
            report_file.plan(path, prepare=True)  # its directory is created and tried for writing
        except report_file.ReportPathRefused as exc:
            raise pytest.UsageError(f"--sentry-gate-report {exc}") from None

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
        """A fixture's error becomes the check's verdict: PARTIAL skips here, FAIL is said by the
        call phase (so it reads FAILED, not ERROR at setup), each once and without a chain."""
        try:
            return (yield)
        except errors.SentryGateError as exc:
            status, message = self._settle(item, exc)
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
            status, message = self._settle(pyfuncitem, exc)
        if status == verdict.PARTIAL:
            pytest.skip(verdict.PARTIAL_PREFIX + message)
        pytest.fail(message, pytrace=False)

    def _settle(self, item: pytest.Item, exc: errors.SentryGateError) -> tuple[str, str]:
        """The one path from an error to a verdict: status, reason, message, next commands.

        Called outside any ``except`` block's raise, so pytest prints no chained exception; the
        message and commands are redacted before anything keeps them.
        """
        run = item.config.stash.get(RUN_KEY, None)
        rerun = run.rerun if run else "pytest"
        conf = item.config.stash.get(SETTINGS_KEY, None)
        redact = self.redactor(item.config)
        server = without_userinfo(conf.url) if conf else "https://sentry.io/"
        status, reason, message, commands = verdict.verdict_for_error(
            exc,
            require_network=bool(conf and conf.require_host_network),
            rerun=rerun,
            server=server,
            projects=conf.projects if conf else (),
        )
        record = item.stash.get(CHECK_KEY, None)
        if record is None:  # the error came from a fixture set up before ``sentry_check``
            record = verdict.Check(check_id=check_id(item), mode=item_mode(item), rerun=rerun)
            item.stash[CHECK_KEY] = record
        record.reason = reason
        record.message = redact(message)
        record.next(*(redact(c) for c in commands))
        return status, record.message

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
            _redact_report(report, redact)
        run = item.config.stash.get(RUN_KEY, None)
        used_gate = CHECK_KEY in item.stash
        if used_gate or (run is not None and item_mode(item) is not None):
            if run is None:
                run = Run(modes=(), started=time.time(), rerun=self.rerun)
                item.config.stash[RUN_KEY] = run
            run.record(item, report, redact=redact)
            _point_at_check(item, report)
            result = run.by_nodeid.get(item.nodeid) if report.when == "teardown" else None
            if result is not None:  # JUnit XML (--junitxml) writes these as test case properties
                from pytest_sentry_gate import ci_output

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
            _redact_report(report, redact)
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
        run.interruption = _interruption(session, int(exitstatus), self.stopped_by)
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and run.modes:
            # every selected mode has its row (PARTIAL when none of its checks ran): not empty
            session.exitstatus = run.exit_code = pytest.ExitCode.OK
        conf = config.stash.get(SETTINGS_KEY, None)
        from pytest_sentry_gate import distributed  # verify_loop: checkpoint, report sections

        loop_sections = distributed.loop_sections(config, run, conf, self.redactor(config))
        if distributed.on_worker(config):  # under -n the controller alone reports
            distributed.send(config, run, loop_sections)
            return
        if run.results or run.modes:  # here: pytest prints no terminal summary after an
            _publish_ci(run, config, self.redactor(config), loop_sections)  # internal error too
        if conf is None:
            return
        policy.finish(session, run, conf)  # sentry_fail_on: a PARTIAL fails the run, or not
        if conf.report is None:
            return
        from pytest_sentry_gate import report, report_file

        path = config.invocation_params.dir / conf.report  # an absolute path stays as it is
        try:
            report.write(path, report.detailed(report.build(run, conf, loop_sections), conf))
        except (OSError, report_file.ReportPathRefused) as exc:
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            why = exc if isinstance(exc, report_file.ReportPathRefused) else exc.strerror or exc
            text = f"sentry-gate: cannot write the report to {path}: {why}"
            if reporter is not None:
                reporter.write_line(text, red=True)
            policy.report_not_written(session, run, path)  # exit 4, and the exit line says so


_PACKAGE_DIR = Path(__file__).parent


def selection_words(config: pytest.Config) -> str:
    """The options that deselect tests, as the user gave them: ``-k 'typo'``, ``--deselect X``
    and ``-m`` (which also names the modes); another plugin may deselect too."""
    words = []
    keyword = config.getoption("keyword", "") or ""
    if keyword:
        words.append(f"-k {shlex.quote(keyword)}")
    words += [f"--deselect {shlex.quote(d)}" for d in config.getoption("deselect", None) or ()]
    markexpr = read_selection(config).text
    if set(WORD.findall(markexpr)) - {*modes.MARKERS, "and", "or", "not"}:  # not just modes
        words.append(f"-m {shlex.quote(markexpr)}")
    return " ".join(words) or "another plugin's selection"


def _point_at_check(item: pytest.Item, report: pytest.TestReport) -> None:
    """A skip (PARTIAL, not applicable) raised inside the plugin is reported at the check's line,
    so ``-rs`` names the check, never the plugin's internals."""
    longrepr = report.longrepr
    if not (report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3):
        return
    if Path(str(longrepr[0])).resolve().is_relative_to(_PACKAGE_DIR):
        path, line, _ = item.reportinfo()
        report.longrepr = (str(path), (line or 0) + 1, longrepr[2])


def _publish_ci(
    run: Run, config: pytest.Config, redact: Callable[[str], str], sections: dict[str, Any]
) -> None:
    """GitHub Actions: annotations on the terminal, the Markdown summary in the step summary."""
    from pytest_sentry_gate import ci_output, report, step_context

    if not ci_output.active(os.environ):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write_line = reporter.write_line if reporter is not None else print
    if reporter is not None and reporter._tw.width_of_current_line:  # -q's progress "[100%]":
        reporter.write("\n")  # a workflow command is read only at the start of a line
    ci_output.publish(
        environ=os.environ,
        rows=report.mode_rows(run),
        results=run.results,
        overall=report.overall_status(run),
        redact=redact,
        write_line=write_line,
        **step_context.context(run, config.stash.get(SETTINGS_KEY, None), sections),
    )


_STOPPED: frozenset[int] = frozenset(
    {pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR}
)


def _interruption(session: pytest.Session, exitstatus: int, signal: str | None) -> str | None:
    """Why pytest stopped before the checks could give their verdicts (``None``: it did not)."""
    if exitstatus not in _STOPPED:
        return None
    name = pytest.ExitCode(exitstatus).name.lower().replace("_", " ")
    if signal is not None:
        name = f"{name} by {signal}"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    errors_seen = reporter.stats.get("error", []) if reporter is not None else []
    where = sorted({r.nodeid or "." for r in errors_seen if isinstance(r, pytest.CollectReport)})
    if where:
        places = first_of(where, limit=5, sep=", ")
        return f"pytest stopped ({name}): {len(where)} error(s) during collection in {places}"
    if session.shouldstop:
        return f"pytest stopped ({name}): {session.shouldstop}"
    return f"pytest stopped ({name}) before every selected check gave its verdict"


def _redact_report(
    report: pytest.TestReport | pytest.CollectReport, redact: Callable[[str], str]
) -> None:
    """Replace the report's text with a redacted copy when it holds a secret."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], redact(str(longrepr[2])))
    elif longrepr is not None:
        text = str(longrepr)
        if redact(text) != text:
            report.longrepr = redact(text)
    report.sections = [(title, redact(body)) for title, body in report.sections]


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
