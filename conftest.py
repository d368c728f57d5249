"""This repository is its own demo: ``pytest -m <mode>`` here checks the demo app in ``examples/``.

When ``-m`` selects a runbook mode and no Sentry server is configured (no ``--sentry-url``, no
``SENTRY_URL``), this file starts the bundled Sentry simulator on 127.0.0.1 with the demo story,
hands the run its address, a throwaway token and the demo project's DSN through the environment,
and stops it when the run ends. The demo's org, project, repository, wiring and kill switch are
ordinary settings in ``pyproject.toml``. The plugin's own tests (``tests/``) are not collected in
such a run, and plain ``pytest`` runs only them. Nothing here registers the plugin: its entry
point does.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate.plugin import selected_modes

if TYPE_CHECKING:
    from pytest_sentry_gate.simulator import Simulator

ROOT = Path(__file__).parent
DEMO_APP = ROOT / "examples" / "codictate"
_DEMO = pytest.StashKey[tuple["Simulator", dict[str, str | None]]]()


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
    from pytest_sentry_gate.simulator.scenarios import DEMO_PROJECT, demo_data
    from pytest_sentry_gate.simulator.serialize import dsn

    token = secrets.token_hex(32)
    data = demo_data(DEMO_APP)
    sim = Simulator(data=data, port=0)
    sim.add_token(token, TokenSpec(scopes=DEFAULT_SCOPES, kind="user"))
    sim.__enter__()
    names = ("SENTRY_URL", "SENTRY_AUTH_TOKEN", "SENTRY_DSN")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["SENTRY_URL"] = sim.url
    os.environ["SENTRY_AUTH_TOKEN"] = token
    project_id = next(p.id for p in data.projects.values() if p.slug == DEMO_PROJECT)
    key = next(k for k in data.keys if k.project_id == project_id)
    os.environ["SENTRY_DSN"] = dsn(key, sim.url.rstrip("/"))  # the app's DSN (local_smoke)
    config.stash[_DEMO] = (sim, saved)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.args[:] = []  # the plugin adds its bundled checks; tests/ is not part of the demo


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the simulator and restore the environment."""
    demo = config.stash.get(_DEMO, None)
    if demo is None:
        return
    sim, saved = demo
    sim.__exit__(None, None, None)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
