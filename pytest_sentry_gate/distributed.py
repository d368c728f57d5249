"""Runbook modes over pytest-xdist workers: one project's checks on one worker, one report.

With ``-n N`` (or ``--tx``) the plugin sets ``--dist loadgroup`` (``in_process.distribute``) and
marks every check with ``xdist_group``: the project it checks (the ``sentry_target`` parameter,
with several ``--sentry-project`` slugs), else one group for the whole run. The controller's
scheduler (``schedule``) gives whole groups to workers, so one worker reads a project's facts
once and writes its checkpoint (the only writer of that file), as a serial run does.

Each worker records its checks' verdicts as usual; the teardown report of a check carries its
verdict to the controller (an attribute of the test report, which pytest serialises for xdist),
and at the end of its session a worker sends what the run learned beyond the verdicts (the
collection, the release, the verify_loop sections) in xdist's ``workeroutput``. The controller
alone rebuilds the run from them (``worker_merge``), in collection order, and writes the report,
the terminal summary, the GitHub step summary and the exit code, as a serial run does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_sentry_gate.runlog import RUN_KEY, Run
from pytest_sentry_gate.schedule import DEFAULT_GROUP, RAN_GROUPS

if TYPE_CHECKING:
    from pytest_sentry_gate.settings import Settings

NAME: Final = "sentry_gate_distributed"
#: The fixture the ``store`` parametrises over the configured projects (several only).
TARGET_PARAM: Final = "sentry_target"
#: The test report's attribute that carries a check's verdict from a worker to the controller.
RESULT_ATTRIBUTE: Final = "sentry_gate_result"
OUTPUT_KEY: Final = "sentry_gate"


def on_worker(config: pytest.Config) -> bool:
    """Whether this process is an xdist worker."""
    return hasattr(config, "workerinput")


def controller(config: pytest.Config) -> bool:
    """Whether this process hands the checks to workers and writes the merged report."""
    return isinstance(config.pluginmanager.get_plugin(NAME), ControllerHooks)


def install(config: pytest.Config) -> None:
    """Register the worker's or the controller's side (nothing in a serial run). Called at
    configure time, before xdist's own ``pytest_configure`` starts its distributed session on
    the same condition (a ``--dist`` other than ``no``, not ``--collect-only``)."""
    option = config.option
    if on_worker(config):
        option.loadgroup = False  # node ids stay as in a serial run (no ``@group`` suffix)
        config.pluginmanager.register(WorkerHooks(config), NAME)
    elif getattr(option, "dist", "no") not in (None, "no") and not option.collectonly:
        config.pluginmanager.register(ControllerHooks(config), NAME)


def group_of(item: pytest.Item) -> str:
    """The worker group of a check: its project when parametrised by project, else one group."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    target = params.get(TARGET_PARAM)
    return str(target) if target is not None else DEFAULT_GROUP


class WorkerHooks:
    """A worker's side: group the checks, hand each verdict and the session's facts over."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        #: node id -> its index in the collection (the same on every worker)
        self.collected: dict[str, int] = {}
        self.groups: dict[str, str] = {}
        #: the collection index of each check this worker ran, and the groups it ran
        self.ran: list[int] = []
        self.ran_groups: set[str] = set()
        config.stash[RAN_GROUPS] = self.ran_groups  # (``schedule.owned_targets`` reads it)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Each check carries its group as ``xdist_group`` (what ``schedule`` groups by)."""
        for item in items:
            item.add_marker(pytest.mark.xdist_group(name=group_of(item)))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Every worker collects the same items in the same order: the index orders the report."""
        for index, item in enumerate(session.items):
            self.collected[item.nodeid] = index
            self.groups[item.nodeid] = group_of(item)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Before xdist serialises the teardown report: attach the check's verdict to it."""
        run = self.config.stash.get(RUN_KEY, None)
        result = run.by_nodeid.get(report.nodeid) if run and report.when == "teardown" else None
        if result is None:
            return
        index = self.collected.get(report.nodeid, -1)
        self.ran.append(index)
        self.ran_groups.add(self.groups.get(report.nodeid, DEFAULT_GROUP))
        setattr(report, RESULT_ATTRIBUTE, {**result.as_dict(), "index": index})


def loop_sections(
    config: pytest.Config, run: Run, conf: Settings | None, redact: Callable[[str], str]
) -> dict[str, Any]:
    """The report's verify_loop and triage sections: merged from the workers on the controller,
    else this process's (``loop_report.finish``, which writes the checkpoint)."""
    if controller(config):
        return merged(config, run)
    from pytest_sentry_gate import loop_report

    return loop_report.finish(config, run, conf, redact) if conf is not None else {}


def loop_lines(config: pytest.Config) -> list[str]:
    """The verify_loop lines of the terminal summary: on the controller, the workers'."""
    hooks = config.pluginmanager.get_plugin(NAME)
    if isinstance(hooks, ControllerHooks):
        return list(hooks.lines)
    from pytest_sentry_gate import loop_report

    return loop_report.terminal_lines(config)


def send(config: pytest.Config, run: Run, sections: dict[str, Any]) -> None:
    """At a worker's session end: what the controller needs beyond the verdicts."""
    hooks = config.pluginmanager.get_plugin(NAME)
    output: dict[str, Any] = config.workeroutput  # type: ignore[attr-defined]
    output[OUTPUT_KEY] = {
        "first": min(hooks.ran) if isinstance(hooks, WorkerHooks) and hooks.ran else None,
        "groups": sorted(hooks.ran_groups) if isinstance(hooks, WorkerHooks) else [],
        "collected_modes": sorted(run.collected_modes),
        "deselected": dict(run.deselected),
        "selection": run.selection,
        "rerun": run.rerun,
        "release": run.release,
        "org": run.org,
        "projects": list(run.projects),
        "sections": sections,
    }


class ControllerHooks:
    """The controller's side: the verdicts as they arrive, the workers' facts as they finish."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.order: dict[str, int] = {}
        self.collection: dict[str, int] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.lines: list[str] = []

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """``--dist loadgroup`` by project, from the node ids (``schedule``)."""
        if config.getvalue("dist") != "loadgroup":
            return None
        from pytest_sentry_gate import schedule
        from pytest_sentry_gate.runlog import SETTINGS_KEY

        conf = config.stash.get(SETTINGS_KEY, None)
        return schedule.by_project(config, log, conf.projects if conf is not None else ())

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Before pytest-html and JUnit read it: the check's verdict, rebuilt."""
        data = getattr(report, RESULT_ATTRIBUTE, None)
        run = self.config.stash.get(RUN_KEY, None)
        if not isinstance(data, dict) or run is None:
            return
        from pytest_sentry_gate.worker_merge import rebuild

        result = rebuild(data)
        crashed = run.by_nodeid.get(report.nodeid)
        if crashed is not None:  # xdist ran it again after its worker crashed: this verdict
            run.results.remove(crashed)
        run.results.append(result)
        run.by_nodeid[report.nodeid] = result
        self.order[result.nodeid] = int(data.get("index", -1))

    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        """The collection's order (every worker's is the same): where a crashed check goes."""
        self.collection = self.collection or {nodeid: index for index, nodeid in enumerate(ids)}

    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        """A worker died running a check: the check FAILs in the report, as xdist reports it."""
        run = self.config.stash.get(RUN_KEY, None)
        if run is None or crashitem in run.by_nodeid:
            return
        from pytest_sentry_gate.worker_merge import crashed

        result = crashed(crashitem, str(report.longrepr))
        run.results.append(result)
        run.by_nodeid[crashitem] = result
        self.order[crashitem] = self.collection.get(crashitem, -1)

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """A worker finished: keep what it sent (a crashed worker sends nothing)."""
        found = (getattr(node, "workeroutput", None) or {}).get(OUTPUT_KEY)
        if isinstance(found, dict):
            self.outputs[str(node.gateway.id)] = found


def merged(config: pytest.Config, run: Run) -> dict[str, Any]:
    """On the controller at the session's end: the run as a serial run would have it (checks in
    collection order, the collection's facts, the release) and the report's loop sections."""
    hooks = config.pluginmanager.get_plugin(NAME)
    if not isinstance(hooks, ControllerHooks):
        return {}
    from pytest_sentry_gate import worker_merge
    from pytest_sentry_gate.runlog import SETTINGS_KEY

    run.results.sort(key=lambda r: hooks.order.get(r.nodeid, -1))
    conf = config.stash.get(SETTINGS_KEY, None)
    outputs = [hooks.outputs[name] for name in sorted(hooks.outputs)]
    sections, hooks.lines = worker_merge.merge(run, outputs, conf.projects if conf else ())
    return sections
