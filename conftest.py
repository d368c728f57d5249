"""This repository is its own demo: ``pytest -m <mode>`` here checks the demo app in ``examples/``.

When ``-m`` selects a runbook mode and no Sentry server is configured (no ``--sentry-url``, no
``SENTRY_URL``), the run is offline: if the demo's cassette (``cassettes/acme/codictate.yaml``,
recorded from the simulator by ``scripts/record_demo.py``) exists and no record mode is given, it
is replayed (``--sentry-record-mode=none``) and nothing is started; otherwise this file starts the
bundled Sentry simulator on 127.0.0.1 with the demo story, hands the run its address and a
throwaway token and the demo project's DSN through the environment, and stops it when the run
ends. Either way the shell's
``SENTRY_*`` variables are set aside for the run (the header says which). The demo's org,
project, repository and wiring are ordinary settings in ``pyproject.toml``. The plugin's own
tests (``tests/``) are not collected in such a run, and plain ``pytest`` runs only them. Nothing
here registers the plugin: its entry point does.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_sentry_gate.selection import selected_modes
from pytest_sentry_gate.setting_options import given

if TYPE_CHECKING:
    from sentry_simulator import Simulator

ROOT = Path(__file__).parent
DEMO_APP = ROOT / "examples" / "codictate"
DEMO_CASSETTE = ROOT / "cassettes" / "acme" / "codictate.yaml"
#: Where a replayed demo "is": never contacted (a replay sends nothing).
REPLAY_URL = "http://127.0.0.1:9/"
DEMO_HEADER = "sentry-gate demo: {app} {how}{unset}"
REPLAY_NOTE = (
    "sentry-gate demo: nothing is sent; the issue links and curl commands name servers that are "
    "not running"
)
_DEMO = pytest.StashKey[tuple["Simulator | None", dict[str, str], Path | None]]()
#: Set by the demo for pytest-xdist's workers, which inherit the environment but not the
#: controller's options: they replay the same cassette.
WORKERS_REPLAY = "SENTRY_GATE_DEMO_REPLAYS"


def _wants_demo(config: pytest.Config) -> bool:
    if not selected_modes(config):
        return False
    return not (given(config, "url") or os.environ.get("SENTRY_URL"))


def _demo_cassette(config: pytest.Config) -> Path:
    """The demo's cassette: under --sentry-cassette-dir when given, else under cassettes/."""
    given_dir = given(config, "cassette_dir")
    if given_dir is None:
        return DEMO_CASSETTE
    return config.invocation_params.dir / given_dir / "acme" / "codictate.yaml"


def _replayed_dsn() -> str:
    """The demo app's DSN as the recording left it: the key scrubbed, the project id kept."""
    from pytest_sentry_gate.repo.dsn import SCRUBBED_DSN_KEY
    from sentry_simulator.scenarios import DEMO_PROJECT, demo_data

    project = next(p for p in demo_data(DEMO_APP).projects.values() if p.slug == DEMO_PROJECT)
    return f"http://{SCRUBBED_DSN_KEY}@127.0.0.1:9/{project.id}"


def _replays(config: pytest.Config) -> Path | None:
    """No record mode given and the demo cassette exists: replay it (the cassette's path)."""
    cassette = _demo_cassette(config)
    if given(config, "record_mode") or config.getini("sentry_record_mode"):
        return None
    if not cassette.is_file():
        return None
    config.option.sentry_gate_record_mode = "none"
    return cassette


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Replay the demo's cassette, or start the simulator, before the plugin resolves settings."""
    if hasattr(config, "workerinput"):  # an xdist worker of the demo: the controller's replay
        if os.environ.get(WORKERS_REPLAY):
            config.option.sentry_gate_record_mode = "none"
        return
    if not _wants_demo(config):
        return
    sim = None
    url = REPLAY_URL
    app_dsn = None
    token = secrets.token_hex(32)
    cassette = _replays(config)
    if cassette is not None:
        app_dsn = _replayed_dsn()
    else:
        from sentry_simulator import DEFAULT_SCOPES, Simulator, TokenSpec
        from sentry_simulator.scenarios import DEMO_PROJECT, demo_data
        from sentry_simulator.serialize import dsn

        # Sentry's "now" is the real time, so "new in the last 24 h" means what it says.
        now = datetime.now(UTC).replace(microsecond=0)
        data = demo_data(DEMO_APP, now=now, health_story=True)
        sim = Simulator(data=data, port=0)
        sim.add_token(token, TokenSpec(scopes=DEFAULT_SCOPES, kind="user"))
        sim.__enter__()
        url = sim.url
        project_id = next(p.id for p in data.projects.values() if p.slug == DEMO_PROJECT)
        key = next(k for k in data.keys if k.project_id == project_id)
        app_dsn = dsn(key, url.rstrip("/"))  # the app's DSN (local_smoke)
    # The demo is the same run for everyone: no SENTRY_* variable of the shell applies to it.
    saved = {name: value for name, value in os.environ.items() if name.startswith("SENTRY_")}
    for name in saved:
        del os.environ[name]
    os.environ["SENTRY_URL"] = url
    os.environ["SENTRY_AUTH_TOKEN"] = token
    if app_dsn is not None:
        os.environ["SENTRY_DSN"] = app_dsn
    if cassette is not None:
        os.environ[WORKERS_REPLAY] = "1"
    config.stash[_DEMO] = (sim, saved, cassette)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.args[:] = []  # the plugin adds its bundled checks; tests/ is not part of the demo


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """Say that this is the demo, what it runs against, and which variables it set aside."""
    demo = config.stash.get(_DEMO, None)
    if demo is None:
        return None
    sim, saved, cassette = demo
    how = (
        f"replayed offline from {cassette}"
        if sim is None
        else f"against the bundled simulator at {sim.url}"
    )
    unset = f" (unset for it: {', '.join(sorted(saved))})" if saved else ""
    lines = [DEMO_HEADER.format(app=DEMO_APP.relative_to(ROOT), how=how, unset=unset)]
    if sim is None:
        lines.append(REPLAY_NOTE)
    return lines


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the simulator and restore the environment."""
    demo = config.stash.get(_DEMO, None)
    if demo is None:
        return
    sim, saved, _ = demo
    if sim is not None:
        sim.__exit__(None, None, None)
    for name in ("SENTRY_URL", "SENTRY_AUTH_TOKEN", "SENTRY_DSN", WORKERS_REPLAY):
        os.environ.pop(name, None)
    os.environ.update(saved)
