"""The pytest plugin (entry point ``sentry_gate``): wires hooks to the modules that do the work.

Inert by default: unless ``-m`` names a runbook mode (or a test uses a plugin fixture), no hook
does work and neither httpx nor vcrpy is imported.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import errors, modes, settings, verdict
from pytest_sentry_gate.fixtures import (  # noqa: F401  (fixtures are found on the plugin)
    app_version,
    gate,
    network_probe,
    org_resolution,
    project_resolution,
    repo_root,
    sentry_client,
    sentry_org,
    sentry_project,
    sentry_release,
    sentry_settings,
)
from pytest_sentry_gate.state import GATE_KEY, RUN_KEY, SETTINGS_KEY, Run, check_id, item_mode

CHECKS_DIR = Path(__file__).parent / "checks"
RECORD_NOT_YET = (
    "Record mode {mode!r} from {source} is not available in this version: cassette record/replay "
    "is planned (see CHANGELOG.md). Allowed today: off."
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.add_options(parser)


def selected_modes(config: pytest.Config) -> tuple[str, ...]:
    """The runbook modes that ``-m`` names, in run order."""
    words = set(_WORD.findall(config.getoption("markexpr", "") or ""))
    return tuple(m for m in modes.MARKERS if m in words)


def pytest_configure(config: pytest.Config) -> None:
    for marker in modes.MARKERS:
        config.addinivalue_line("markers", f"{marker}: runbook mode: {modes.MARKER_HELP[marker]}")
    if config.pluginmanager.hasplugin("pytest_jsonreport"):
        config.pluginmanager.register(JsonReportHooks(config), "sentry_gate_json_report")
    chosen = selected_modes(config)
    if not chosen:
        return
    resolved = settings.resolve(config)
    if resolved.record_mode != "off":
        raise pytest.UsageError(
            RECORD_NOT_YET.format(mode=resolved.record_mode, source=resolved.sources["record_mode"])
        )
    config.stash[SETTINGS_KEY] = resolved
    config.stash[RUN_KEY] = Run(modes=chosen, started=time.time(), rerun=rerun_command(config))
    if resolved.bundled_checks:
        _add_bundled_checks(config)


def rerun_command(config: pytest.Config) -> str:
    """The command that reruns this selection (without any flag the rerun hint adds)."""
    args = [a for a in config.invocation_params.args if a not in _NETWORK_FLAGS]
    return shlex.join(["pytest", *args])


_NETWORK_FLAGS = ("--require-host-network", "--strict-network")


def _add_bundled_checks(config: pytest.Config) -> None:
    """Collect the checks shipped in the package: their directory becomes a collection arg.

    Passing the directory (not its files) keeps node ids short and stable wherever the package is
    installed: ``test_setup_preflight.py::test_token_scopes``.
    """
    checks = str(CHECKS_DIR)
    if checks not in {str(Path(a).resolve()) for a in config.args}:
        config.args.append(checks)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every check of the first five modes also carries ``verify_loop``; order items by mode."""
    if not items:
        return
    for item in items:
        in_loop = any(item.get_closest_marker(m) for m in modes.LOOP_MODES)
        if in_loop and not item.get_closest_marker("verify_loop"):
            item.add_marker("verify_loop")
    items.sort(key=_mode_rank)


def _mode_rank(item: pytest.Item) -> int:
    mode = item_mode(item)
    return -1 if mode is None else modes.mode_rank(mode)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _convert_errors(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _convert_errors(item))


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
        record = item.stash.get(GATE_KEY, None)
        if record is None:  # the error came from a fixture set up before ``gate``
            record = verdict.Gate(check_id=check_id(item), mode=item_mode(item), rerun=rerun)
            item.stash[GATE_KEY] = record
        record.reason = reason
        record.message = message
        record.next(*commands)
        if status == verdict.PARTIAL:
            pytest.skip(verdict.PARTIAL_PREFIX + message)
        pytest.fail(message, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run = item.config.stash.get(RUN_KEY, None)
    used_gate = GATE_KEY in item.stash
    if used_gate or (run is not None and item_mode(item) is not None):
        if run is None:
            run = Run(modes=(), started=time.time(), rerun=rerun_command(item.config))
            item.config.stash[RUN_KEY] = run
        run.record(item, report)
    return report


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    conf = config.stash.get(SETTINGS_KEY, None)
    if conf is None:
        return None
    lines = [
        f"sentry-gate: org={conf.org or '(discover)'} "
        f"project={','.join(conf.projects) or '(discover)'} server={conf.host} "
        f"record-mode={conf.record_mode} modes={','.join(selected_modes(config))}"
    ]
    if conf.bundled_checks:
        lines.append(f"sentry-gate: bundled checks from {CHECKS_DIR} (shown relative to rootdir)")
    return lines


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.results:
        return
    from pytest_sentry_gate import report

    terminalreporter.section("sentry-gate")
    for line in report.summary_lines(run):
        terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    run = config.stash.get(RUN_KEY, None)
    conf = config.stash.get(SETTINGS_KEY, None)
    if run is None or conf is None or conf.report is None:
        return
    from pytest_sentry_gate import report

    path = conf.report if conf.report.is_absolute() else config.invocation_params.dir / conf.report
    report.write(path, report.build(run, conf))


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
