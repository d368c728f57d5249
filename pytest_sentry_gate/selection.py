"""Which runbook modes a run selects: read from ``-m`` with pytest's own expression grammar.

Kept apart from ``plugin.py`` (which decides from it whether to activate) and ``hooks.py``
(which collects only the selected modes' check files), so that neither imports the other for it.
"""

from __future__ import annotations

import re
from typing import Final

import pytest

from pytest_sentry_gate import modes, repository_checks

WORD: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def selected_modes(config: pytest.Config) -> tuple[str, ...]:
    """The runbook modes that ``-m`` selects, in run order.

    A mode counts when the expression selects a check of that mode but not an unmarked test:
    ``-m release_gate`` or ``-m "release_gate or slow"`` select it, ``-m "not release_gate"`` (or
    no ``-m``) does not, so a plain test suite never switches the plugin on. ``-m
    sentry_repository`` selects the modes that hold a repository-only check (no token needed).
    """
    text = config.getoption("markexpr", "") or ""
    if not any(m in WORD.findall(text) for m in (*modes.MARKERS, repository_checks.MARKER)):
        return ()
    try:
        from _pytest.mark.expression import Expression  # pytest's own -m grammar

        expression = Expression.compile(text)
    except Exception:  # an invalid -m: pytest itself reports it
        return ()

    def matches(marks: set[str]) -> bool:
        def has(name: str, /, **kwargs: str | int | bool | None) -> bool:
            return name in marks

        return bool(expression.evaluate(has))

    if matches(set()):
        return ()

    def selects(mode: str) -> bool:
        marks = {mode, "verify_loop"} if mode in modes.LOOP_MODES else {mode}
        if mode in repository_checks.MODES and matches(marks | {repository_checks.MARKER}):
            return True
        return matches(marks)

    return tuple(m for m in modes.CHECK_MODES if selects(m))
