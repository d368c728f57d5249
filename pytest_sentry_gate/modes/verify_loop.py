"""The verify_loop mode, declared once (no checks of its own: it selects the loop modes' checks).

The first five modes in one run, then the checkpoint (a marker over their checks).
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.modes.mode import Mode

#: The reason codes this mode adds to ``reasons.REASONS`` (a new one goes at the end).
REASONS: Final[dict[str, str]] = {}

MODE: Final = Mode(
    name="verify_loop",
    order=100,
    help="the first five modes, then the checkpoint",
    in_loop=False,
    holds_checks=False,
    summary=(
        "every check of the first five modes, then the checkpoint and the report's "
        "`verify_loop` section"
    ),
    reasons=REASONS,
    settings=("state_file",),
    endpoints=(),
)
