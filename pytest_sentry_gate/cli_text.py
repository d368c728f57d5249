"""``sentry-gate``'s text output, in the old script's shape, rendered from the agent report.

The old script's header (``Sentry Monitoring Summary``, ``Mode: <mode>``, a blank line), one
block per mode (``[mode]``, ``Status:``, ``Evidence:``, ``Risks:``, ``Next commands:``, as
``emit_summary_text`` in ``sentry_monitor.sh`` printed them; ``Message:`` and ``Fixes:`` are
ours), then ``Overall:``. The content is the report's ``results`` rows, so the text and ``--json``
never disagree.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_sentry_gate.old_rows import split_pairs

NONE: Final = "  (none)"
HEADER: Final = "Sentry Monitoring Summary"


def render(document: dict[str, Any]) -> str:
    """The text summary of an agent report (``results`` rows, then the overall verdict)."""
    lines: list[str] = [HEADER, f"Mode: {document.get('mode', '')}", ""]
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
