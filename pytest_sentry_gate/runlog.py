"""What one pytest run keeps: stash keys, and the verdicts collected as tests report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_gate import errors, modes, verdict
from pytest_sentry_gate.redact import active, without_userinfo
from pytest_sentry_gate.settings import SLUG_OPTIONS, Settings

if TYPE_CHECKING:
    from pytest_sentry_gate.store import Stores

CHECK_KEY = pytest.StashKey[verdict.Check]()


@dataclass
class Run:
    """The run's selected modes, start time, rerun command and the checks' results so far."""

    modes: tuple[str, ...]
    started: float
    rerun: str
    #: What the user asked for with ``-m``, in the old script's names (``verify-loop``).
    requested: str = ""
    release: str | None = None
    #: The organization and projects discovery auto-selected (read from the facts store at the
    #: session's end, or merged from the xdist workers'); unset: the settings name them.
    org: str | None = None
    projects: tuple[str, ...] = ()
    #: Modes that have checks in this collection (before ``-m`` deselects any), and modes the
    #: package ships checks for (a mode in neither is "not available yet").
    collected_modes: set[str] = field(default_factory=set)
    bundled_modes: frozenset[str] = frozenset()
    #: How many checks of each mode the selection (``-k``, ``--deselect``, ``-m``) deselected,
    #: and that selection in the user's words (``-k 'typo'``).
    deselected: dict[str, int] = field(default_factory=dict)
    selection: str = ""
    #: pytest's exit status, and why it stopped early (``None`` when the checks all ran).
    exit_code: int | None = None
    interruption: str | None = None
    #: Under a record mode: the cassette (path, replay, recorded_at, interactions).
    cassette: dict[str, Any] | None = None
    #: What the run changed of the user's options, said in the summary and the report.
    notices: list[str] = field(default_factory=list)
    results: list[verdict.CheckResult] = field(default_factory=list)
    by_nodeid: dict[str, verdict.CheckResult] = field(default_factory=dict)
    _durations: dict[str, float] = field(default_factory=dict)
    _outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)

    def record(
        self,
        item: pytest.Item,
        report: pytest.TestReport,
        *,
        redact: Callable[[str], str] = str,
    ) -> None:
        """Fold one phase's report into the check's verdict; the teardown phase settles it.

        ``redact`` hides the run's secrets in every text the result keeps."""
        self._durations[item.nodeid] = self._durations.get(item.nodeid, 0.0) + report.duration
        status, text = _status_of(report)
        previous = self._outcomes.get(item.nodeid)
        if previous is None or previous[0] == verdict.PASS:
            self._outcomes[item.nodeid] = (status, text)
        if report.when != "teardown":
            return
        status, text = self._outcomes.pop(item.nodeid)
        gate = item.stash.get(CHECK_KEY, None)
        mode = item_mode(item)
        result = verdict.CheckResult(
            nodeid=item.nodeid,
            check_id=check_id(item),
            mode=mode,
            status=status,
            reason=_reason(gate, status),
            message=redact(gate.message if gate and gate.message else text),
            evidence=redacted_json(gate.evidence, redact) if gate else {},
            risks=tuple(map(redact, gate.risks)) if gate else (),
            next_commands=tuple(map(redact, gate.next_commands)) if gate else (),
            duration=self._durations.pop(item.nodeid, 0.0),
            fixes=tuple(map(redact, gate.fixes)) if gate else (),
        )
        self.results.append(result)
        self.by_nodeid[item.nodeid] = result

    @property
    def duration(self) -> float:
        return time.time() - self.started


def _reason(gate: verdict.Check | None, status: str) -> str:
    """The check's reason code; ``error`` for a failure the check did not judge (an exception)."""
    if gate is None or (status == verdict.FAIL and gate.reason == "ok"):
        return "ok" if status == verdict.PASS else "error"
    return gate.reason


def redacted_json(evidence: dict[str, Any], redact: Callable[[str], str]) -> dict[str, Any]:
    """JSON data (evidence, a report section) with every secret hidden (keys and values alike)."""
    text = json.dumps(evidence, default=str)
    try:
        result: dict[str, Any] = json.loads(redact(text))
    except ValueError:  # a secret spelled across a JSON escape: keep the text, redacted
        return {"redacted": redact(text)}
    return result


def item_mode(item: pytest.Item) -> str | None:
    """The runbook mode of a test, from its marker."""
    for mode in modes.CHECK_MODES:
        if item.get_closest_marker(mode):
            return mode
    return None


def check_id(item: pytest.Item) -> str:
    """A stable id that does not depend on where the package is installed."""
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else item.path.stem
    return f"{name}::{item.name}"


def _status_of(report: pytest.TestReport) -> tuple[str, str]:
    if report.passed:
        return verdict.PASS, ""
    if report.skipped:
        reason = _skip_reason(report)
        if reason.startswith(verdict.PARTIAL_PREFIX):
            return verdict.PARTIAL, reason.removeprefix(verdict.PARTIAL_PREFIX)
        return verdict.SKIP, reason.removeprefix(verdict.SKIP_PREFIX)
    return verdict.FAIL, _failure_text(report)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return active()(str(report.longrepr or ""))[:500]  # redacted before it is cut


SETTINGS_KEY = pytest.StashKey[Settings]()
RUN_KEY = pytest.StashKey[Run]()
#: The run's facts stores (``sentry_stores`` puts them here). Kept with the other keys, not in
#: the fixture layer, so the report reads the stores at the end without importing the fixtures
#: (which reach the client): the report's contract in pyproject.toml holds it.
STORES_KEY = pytest.StashKey["Stores"]()


def settled(config: pytest.Config, run: Run) -> Settings | None:
    """The run's settings as the report names its target: an organization or a project left
    unset is the one discovery auto-selected (this process's facts store's; on an xdist
    controller, its workers', merged into ``run`` first)."""
    conf = config.stash.get(SETTINGS_KEY, None)
    stores = config.stash.get(STORES_KEY, None)
    if stores is not None:
        org, projects = stores.discovered()
        run.org, run.projects = org or run.org, projects or run.projects
    if conf is None or not (run.org or run.projects):
        return conf
    return replace(conf, org=conf.org or run.org, projects=conf.projects or run.projects)


def finished(config: pytest.Config) -> Stores | None:
    """The run's stores at the end of the session, closed to new Sentry reads."""
    stores = config.stash.get(STORES_KEY, None)
    if stores is not None:
        stores.close()
    return stores


def settle(
    item: pytest.Item, exc: errors.SentryGateError, redact: Callable[[str], str]
) -> tuple[str, str]:
    """The one path from an error to a verdict: status, reason, message, next commands, kept on
    the check's record (made here when the error came from a fixture set up before
    ``sentry_check``); returns the status and the message.

    The hooks call it outside any ``except`` block's raise, so pytest prints no chained
    exception; the message and commands are redacted before anything keeps them.
    """
    run = item.config.stash.get(RUN_KEY, None)
    rerun = run.rerun if run else "pytest"
    conf = item.config.stash.get(SETTINGS_KEY, None)
    server = without_userinfo(conf.url) if conf else "https://sentry.io/"
    status, reason, message, commands = verdict.verdict_for_error(
        exc,
        require_network=bool(conf and conf.require_host_network),
        rerun=rerun,
        server=server,
        projects=conf.projects if conf else (),
        slug_options=SLUG_OPTIONS,
    )
    record = item.stash.get(CHECK_KEY, None)
    if record is None:
        record = verdict.Check(check_id=check_id(item), mode=item_mode(item), rerun=rerun)
        item.stash[CHECK_KEY] = record
    record.reason = reason
    record.message = redact(message)
    record.next(*(redact(c) for c in commands))
    return status, record.message
