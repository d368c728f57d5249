"""SIGTERM stops a run the way Ctrl-C does, so the report still says ERROR.

CI runners stop a job with SIGTERM (then SIGKILL a few seconds later). Python's default for
SIGTERM ends the process at once: no ``pytest_sessionfinish``, so no agent report and no step
summary, and the last run's report stays behind as if it were this one's. While a runbook mode is
selected, ``install`` turns SIGTERM into ``Terminated``, a ``KeyboardInterrupt``: pytest stops as
after Ctrl-C, ``pytest_sessionfinish`` runs and the report says ERROR, naming the signal. The
previous handler comes back when pytest unconfigures. ``interruption`` says, for the report,
why pytest stopped before every check gave its verdict.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Final

import pytest

from pytest_sentry_gate.text import first_of

SIGTERM_NAME: Final = "SIGTERM"
SIGINT_NAME: Final = "Ctrl-C (SIGINT)"


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM while checks ran."""


def install(config: pytest.Config) -> None:
    """Handle SIGTERM as an interrupt until ``config`` is cleaned up (main thread only: Python
    lets no other thread set a handler, and an embedding application keeps its own)."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated(SIGTERM_NAME)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    signal.signal(signal.SIGTERM, terminated)
    config.add_cleanup(restore)


def signal_name(exception: BaseException) -> str | None:
    """Which signal stopped the run, from the exception pytest caught (``None``: not a signal,
    e.g. ``pytest.exit``)."""
    if isinstance(exception, Terminated):
        return SIGTERM_NAME
    if type(exception) is KeyboardInterrupt:  # pytest's own ``Interrupted`` (a collection
        return SIGINT_NAME  # error) is a subclass, and no signal
    return None


_STOPPED: Final[frozenset[int]] = frozenset(
    {pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR}
)


def interruption(session: pytest.Session, exitstatus: int, stopped_by: str | None) -> str | None:
    """Why pytest stopped before the checks could give their verdicts (``None``: it did not);
    ``stopped_by`` names the signal that stopped it (``signal_name``), if one did."""
    if exitstatus not in _STOPPED:
        return None
    name = pytest.ExitCode(exitstatus).name.lower().replace("_", " ")
    if stopped_by is not None:
        name = f"{name} by {stopped_by}"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    errors_seen = reporter.stats.get("error", []) if reporter is not None else []
    where = sorted({r.nodeid or "." for r in errors_seen if isinstance(r, pytest.CollectReport)})
    if where:
        places = first_of(where, limit=5, sep=", ")
        return f"pytest stopped ({name}): {len(where)} error(s) during collection in {places}"
    if session.shouldstop:
        return f"pytest stopped ({name}): {session.shouldstop}"
    return f"pytest stopped ({name}) before every selected check gave its verdict"
