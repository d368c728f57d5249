"""The reason codes as a Markdown table, for the agent skill file (``skills/…/SKILL.md``).

``scripts/sync_generated.py`` writes it between the ``<!-- reasons:start -->`` and
``<!-- reasons:end -->`` markers; a test holds the file equal to ``verdict.REASONS``.
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate.verdict import REASONS

START: Final = "<!-- reasons:start (generated from verdict.REASONS: scripts/sync_generated.py) -->"
END: Final = "<!-- reasons:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """``| reason | meaning |`` rows, in ``REASONS`` order (grouped as the code groups them)."""
    rows = [f"| `{code}` | {_cell(meaning)} |" for code, meaning in REASONS.items()]
    return "\n".join(["| reason | meaning |", "| --- | --- |", *rows])


def replaced(text: str) -> str:
    """``text`` with the table between the markers rewritten."""
    start = text.index(START) + len(START)
    end = text.index(END, start)
    return f"{text[:start]}\n{markdown()}\n{text[end:]}"
