"""``sentry-gate``'s text output, in the old script's shape, rendered from the agent report.

One block per mode (``[mode]``, ``Status:``, ``Message:``, ``Evidence:``, ``Risks:``,
``Next commands:``), then ``Overall:``. The old script's exact bytes are not available to this
project; the headers are the ones its users quote, and the content is the report's ``results``
rows, so the text and ``--json`` never disagree.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_sentry_gate.old_rows import split_pairs

NONE: Final = "  (none)"


def render(document: dict[str, Any]) -> str:
    """The text summary of an agent report (``results`` rows, then the overall verdict)."""
    lines: list[str] = []
    for row in document.get("results", []):
        lines += [f"[{row['mode']}]", f"Status: {row['status']}", f"Message: {row['message']}"]
        lines.append("Evidence:")
        lines += [f"  {pair}" for pair in split_pairs(row["evidence"])] or [NONE]
        lines.append("Risks:")
        lines += [f"  - {risk}" for risk in row["risks"].splitlines() if risk] or [NONE]
        lines.append("Next commands:")
        lines += [f"  {command}" for command in row["next_commands"].splitlines() if command] or [
            NONE
        ]
        if row.get("fixes"):
            lines.append("Fixes:")
            lines += [f"  - {fix}" for fix in row["fixes"]]
        lines.append("")
    lines.append(f"Overall: {document['overall_status']}")
    return "\n".join(lines) + "\n"
