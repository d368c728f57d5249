"""The repository-only checks: the ``sentry_repository`` marker and the one list it comes from.

These checks read files of the app repository and nothing else: no token, no network. The plugin
puts ``sentry_repository`` on them at collection time (which they are, each mode declares:
``Mode.repository_checks``), so ``pytest -m sentry_repository`` (the
pre-commit hook) runs exactly them, and ``-m "release_gate and not sentry_repository"`` leaves
them out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from pytest_sentry_gate import modes
from pytest_sentry_gate.runlog import item_mode

MARKER: Final = "sentry_repository"
HELP: Final = (
    "repository-only checks (versions, release name, wiring, privacy of the Sentry init, "
    "Tauri capability): no token, no network"
)
NAME: Final = "sentry_gate_repository_marker"


def checks() -> dict[str, tuple[str, ...]]:
    """The checks that read only the repository, by the mode of the bundled file that holds them
    (each declaration's ``repository_checks``), in run order: its keys are the modes that hold
    one."""
    return {mode.name: mode.repository_checks for mode in modes.MODES if mode.repository_checks}


def register(config: pytest.Config) -> None:
    """Declare the marker (``--strict-markers`` accepts it, ``pytest --markers`` lists it)."""
    config.addinivalue_line("markers", f"{MARKER}: {HELP}")


def mark(items: list[pytest.Item], checks_dir: Path) -> None:
    """Put ``sentry_repository`` on every collected repository-only check of the bundled files
    (``checks_dir``); a test of the user's own is left as it is."""
    by_mode = checks()
    for item in items:
        mode = item_mode(item)
        name = getattr(item, "originalname", item.name)
        if mode is not None and name in by_mode.get(mode, ()) and item.path.parent == checks_dir:
            item.add_marker(MARKER)


class Marking:
    """The collection hook, registered with the working hooks (``plugin.activate``); it runs
    before ``-m`` deselects, so the marker takes part in the selection."""

    def __init__(self, checks_dir: Path) -> None:
        self.checks_dir = checks_dir

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        mark(items, self.checks_dir)
