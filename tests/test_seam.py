"""Issue 16 item 10: every pytester run uses the client configuration seam (``tests/seam.py``).

A run whose server answers 503 and then 429 (``Retry-After: 4``) before its 200 retries with the
client's backoff: the waits it asks for are recorded, none is slept, whatever the run's mode.
"""

from __future__ import annotations

from typing import Any

import pytest

from sentry_simulator import Fault
from tests import seam
from tests.conftest import CANARY_TOKEN, check, run_mode


def test_a_pytester_runs_backoff_is_recorded_not_slept(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, simulator: Any
) -> None:
    # Given the API root answering 503, then 429 with Retry-After 4 s, then 200
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    simulator.add_fault(Fault(path=r"^/api/0/$", status=503, times=1))
    simulator.add_fault(Fault(path=r"^/api/0/$", status=429, times=1, headers={"Retry-After": "4"}))
    seam.WAITS.clear()
    # When the preflight runs in-process (no conftest of its own)
    _result, report = run_mode(
        pytester, "setup_preflight", f"--sentry-url={simulator.url}", "--sentry-org=acme"
    )
    # Then the token check passed after the retries, whose waits were recorded, not slept
    assert check(report, "test_token_accepted")["status"] == "PASS"
    assert seam.WAITS == [0.5, 4.0]
