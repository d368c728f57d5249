"""This repository is its own demo: ``pytest -m <mode>`` here checks the demo app in ``examples/``.

When ``-m`` selects a runbook mode and no Sentry server is configured (no ``--sentry-url``, no
``SENTRY_URL``), the run is offline: if the demo's cassette (``cassettes/<org>/<project>.yaml``,
recorded from the simulator by ``scripts/record_demo.py``) exists and no record mode is given, it
replays it (``--sentry-record-mode=none``), starting nothing; otherwise this file starts the
bundled Sentry simulator on 127.0.0.1 with the demo story, hands the run its address and a
throwaway token through the environment, and stops it when the run ends. The demo's org,
project, repository and wiring are ordinary settings in ``pyproject.toml``. The plugin's own
tests (``tests/``) are not collected in such a run, and plain ``pytest`` runs only them.
Nothing here registers the plugin: its entry point does.
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
_DEMO = pytest.StashKey[tuple["Simulator | None", dict[str, str | None]]]()


#: Where a replayed demo "is": never contacted (a replay sends nothing), the recording's host.
REPLAY_URL = "http://127.0.0.1:9/"
#: The option the plugin reads ``--sentry-record-mode`` into.
_RECORD_MODE_DEST = "sentry_gate_record_mode"
_CASSETTE_DIR_DEST = "sentry_gate_cassette_dir"


def _wants_demo(config: pytest.Config) -> bool:
    if not selected_modes(config):
        return False
    return not (config.getoption("sentry_url", None) or os.environ.get("SENTRY_URL"))


def _demo_cassette(config: pytest.Config) -> Path:
    directory = config.getoption(_CASSETTE_DIR_DEST, None) or config.getini("sentry_cassette_dir")
    base = Path(directory) if directory else ROOT / "cassettes"
    base = base if base.is_absolute() else config.invocation_params.dir / base
    org, project = config.getini("sentry_org"), config.getini("sentry_project")
    return base / str(org) / f"{str(project).split(',')[0]}.yaml"


def _replays(config: pytest.Config) -> bool:
    """No record mode given and the demo cassette exists: replay it."""
    given = config.getoption(_RECORD_MODE_DEST, None) or config.getini("sentry_record_mode")
    if given or not _demo_cassette(config).is_file():
        return False
    setattr(config.option, _RECORD_MODE_DEST, "none")
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Replay the demo's cassette, or start the simulator, before the plugin resolves settings."""
    if not _wants_demo(config):
        return
    if _replays(config):
        saved = {name: os.environ.get(name) for name in ("SENTRY_URL", "SENTRY_AUTH_TOKEN")}
        os.environ["SENTRY_URL"] = REPLAY_URL
        os.environ["SENTRY_AUTH_TOKEN"] = secrets.token_hex(32)
        config.stash[_DEMO] = (None, saved)
        if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
            config.args[:] = []
        return
    from pytest_sentry_gate.simulator import DEFAULT_SCOPES, Simulator, TokenSpec
    from pytest_sentry_gate.simulator.scenarios import demo_data

    token = secrets.token_hex(32)
    sim = Simulator(data=demo_data(DEMO_APP), port=0)
    sim.add_token(token, TokenSpec(scopes=DEFAULT_SCOPES, kind="user"))
    sim.__enter__()
    saved = {name: os.environ.get(name) for name in ("SENTRY_URL", "SENTRY_AUTH_TOKEN")}
    os.environ["SENTRY_URL"] = sim.url
    os.environ["SENTRY_AUTH_TOKEN"] = token
    config.stash[_DEMO] = (sim, saved)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.args[:] = []  # the plugin adds its bundled checks; tests/ is not part of the demo


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the simulator and restore the environment."""
    demo = config.stash.get(_DEMO, None)
    if demo is None:
        return
    sim, saved = demo
    if sim is not None:
        sim.__exit__(None, None, None)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
