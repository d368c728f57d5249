"""The pytest plugin (entry point ``sentry_gate``): wires hooks to the modules that do the work.

Inert by default: unless ``-m`` names a runbook mode (or a test uses a plugin fixture), no hook
does work and neither httpx nor vcrpy is imported.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import pytest

from pytest_sentry_gate import modes, settings
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
from pytest_sentry_gate.state import RUN_KEY, SETTINGS_KEY, Run

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
    activate(config)
    if resolved.bundled_checks:
        _add_bundled_checks(config)


def activate(config: pytest.Config) -> None:
    """Register the hooks that do the work (once): a mode is selected, or ``gate`` is used."""
    from pytest_sentry_gate import hooks

    manager = config.pluginmanager
    if manager.has_plugin(hooks.NAME):
        return
    if RUN_KEY not in config.stash:
        config.stash[RUN_KEY] = Run(modes=(), started=time.time(), rerun=rerun_command(config))
    label = ",".join(selected_modes(config))
    manager.register(
        hooks.GateHooks(
            checks_dir=CHECKS_DIR, modes_label=label, rerun=config.stash[RUN_KEY].rerun
        ),
        hooks.NAME,
    )
    if manager.hasplugin("pytest_jsonreport"):
        manager.register(hooks.JsonReportHooks(config), "sentry_gate_json_report")


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
