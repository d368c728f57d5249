"""pytest-json-report integration: each test's metadata and the top level carry the verdicts.

``plugin.activate`` registers ``JsonReportHooks`` only when pytest-json-report is active. Its
hooks are optional (``optionalhook=True``): pytest would refuse an unknown hook otherwise.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from pytest_sentry_gate.runlog import RUN_KEY

NAME: Final = "sentry_gate_json_report"


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
