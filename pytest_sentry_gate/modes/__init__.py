"""The runbook modes: marker names, their order, and the old script's hyphenated names."""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: Modes whose checks ``verify_loop`` also selects, in run order.
LOOP_MODES: Final = (
    "setup_preflight",
    "local_smoke",
    "release_gate",
    "prod_health",
    "issue_triage",
)

#: Every mode that holds checks, in run order.
CHECK_MODES: Final = (*LOOP_MODES, "incident")

#: Every marker the plugin registers.
MARKERS: Final = (*CHECK_MODES, "verify_loop")

MARKER_HELP: Final = {
    "setup_preflight": "settings, token, scopes, org/project slugs and repository wiring",
    "local_smoke": "the API answers, the DSN belongs to the project, optional smoke event",
    "release_gate": "versions, release name, release visibility, source maps, symbolication",
    "prod_health": "unresolved and high-severity counts, release health, growth",
    "issue_triage": "new, urgent and recurring issues with hints, owners and fix versions",
    "incident": "ingestion, tags, symbolication and privacy of the affected events",
    "verify_loop": "the first five modes, then the checkpoint",
}


def json_name(mode: str) -> str:
    """The old script's name for a mode: ``release_gate`` -> ``release-gate``."""
    return mode.replace("_", "-")


def mode_rank(mode: str) -> int:
    """Position of a mode in run order (unknown modes sort last)."""
    return CHECK_MODES.index(mode) if mode in CHECK_MODES else len(CHECK_MODES)


def command_for(rerun: str, mode: str) -> str:
    """``rerun`` (the user's own command) turned to another mode: ``pytest -m verify_loop --x``
    -> ``pytest -m issue_triage --x``; ``sentry-gate --mode all --x`` -> ``sentry-gate --mode
    issue-triage --x``. A command that names no mode gets one."""
    import shlex

    words = shlex.split(rerun)
    cli = bool(words) and Path(words[0]).name == "sentry-gate"
    flag, value = ("--mode", json_name(mode)) if cli else ("-m", mode)
    for index, word in enumerate(words):
        if word == flag and index + 1 < len(words):
            words[index + 1] = value
            return shlex.join(words)
        if word.startswith(flag + "=") and flag == "--mode":
            words[index] = f"{flag}={value}"
            return shlex.join(words)
        if word == "--":
            break
    return shlex.join([*words[:1], flag, value, *words[1:]])
