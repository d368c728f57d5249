"""A runbook mode runs in one process, even with ``-n auto`` in the user's ``addopts``.

The checks share one session of Sentry reads (one retry budget, one cache) and one process
writes the report and the terminal summary, so a mode is not distributed over pytest-xdist
workers. Instead of refusing the run (which blocked every mode for projects whose ``addopts``
carry ``-n``), xdist's distribution is switched off for this run and a notice says so, in the
terminal summary and in the report's ``notices``.

pytest-xdist turns ``-n N`` into its ``dist``/``tx`` options in ``pytest_cmdline_main`` and
creates its distributed session in a ``trylast`` ``pytest_configure``: the plugin's own
``pytest_configure`` runs before that one, so clearing the options there is in time.
"""

from __future__ import annotations

from typing import Final

import pytest

NOTICE: Final = (
    "pytest-xdist ({workers}) is off for this run: runbook modes run in one process "
    "(the checks share one session of Sentry reads and one report)"
)


def disable_xdist(config: pytest.Config) -> str | None:
    """Switch pytest-xdist's distribution off for this run; the notice, or ``None`` when off."""
    option = config.option
    workers = getattr(option, "numprocesses", None)
    distributed = getattr(option, "dist", "no") not in (None, "no") and getattr(option, "tx", None)
    if not workers and not distributed:
        return None
    what = f"-n {workers}" if workers else f"--dist {option.dist}"
    option.numprocesses = 0
    option.dist = "no"
    option.tx = []
    return NOTICE.format(workers=what)
