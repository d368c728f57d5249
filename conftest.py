"""This repository is its own demo: ``pytest -m <mode>`` here checks the demo app in ``examples/``.

When ``-m`` selects a runbook mode and no Sentry server is configured (no ``--sentry-url``, no
``SENTRY_URL``), this file starts the bundled Sentry simulator on 127.0.0.1 with the demo story,
hands the run its address and a throwaway token through the environment, and stops it when the
run ends. The demo's org, project, repository and wiring are ordinary settings in
``pyproject.toml``. The plugin's own tests (``tests/``) are not collected in such a run, and
plain ``pytest`` runs only them. Nothing here registers the plugin: its entry point does.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate.plugin import selected_modes

if TYPE_CHECKING:
    from pytest_sentry_gate.simulator import Simulator

ROOT = Path(__file__).parent
DEMO_APP = ROOT / "examples" / "codictate"
_DEMO = pytest.StashKey[tuple["Simulator", dict[str, str]]]()
DEMO_HEADER = "sentry-gate demo: {app} against the bundled simulator at {url}{unset}"


def _wants_demo(config: pytest.Config) -> bool:
    if not selected_modes(config):
        return False
    return not (config.getoption("sentry_url", None) or os.environ.get("SENTRY_URL"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Start the simulator before the plugin resolves its settings."""
    if not _wants_demo(config):
        return
    from pytest_sentry_gate.simulator import DEFAULT_SCOPES, Simulator, TokenSpec
    from pytest_sentry_gate.simulator.scenarios import demo_data

    token = secrets.token_hex(32)
    # Sentry's "now" is the real time, so "new in the last 24 h" means what it says.
    sim = Simulator(
        data=demo_data(DEMO_APP, now=datetime.now(UTC).replace(microsecond=0), health_story=True),
        port=0,
    )
    sim.add_token(token, TokenSpec(scopes=DEFAULT_SCOPES, kind="user"))
    sim.__enter__()
    # The demo is the same run for everyone: no SENTRY_* variable of the shell applies to it.
    saved = {name: value for name, value in os.environ.items() if name.startswith("SENTRY_")}
    for name in saved:
        del os.environ[name]
    os.environ["SENTRY_URL"] = sim.url
    os.environ["SENTRY_AUTH_TOKEN"] = token
    config.stash[_DEMO] = (sim, saved)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.args[:] = []  # the plugin adds its bundled checks; tests/ is not part of the demo


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say that this is the demo, where its server is, and which variables it set aside."""
    demo = config.stash.get(_DEMO, None)
    if demo is None:
        return None
    sim, saved = demo
    unset = f" (unset for it: {', '.join(sorted(saved))})" if saved else ""
    return DEMO_HEADER.format(app=DEMO_APP.relative_to(ROOT), url=sim.url, unset=unset)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the simulator and restore the environment."""
    demo = config.stash.get(_DEMO, None)
    if demo is None:
        return
    sim, saved = demo
    sim.__exit__(None, None, None)
    for name in ("SENTRY_URL", "SENTRY_AUTH_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(saved)
