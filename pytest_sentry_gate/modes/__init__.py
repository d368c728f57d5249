"""The runbook modes: each declared once in ``modes/<name>.py``; here the registry built from them.

Every module of this package but ``mode.py`` declares one mode (``MODE = Mode(...)``); the registry
is those declarations in run order (``Mode.order``), and the names the plugin, the report and the
preflight use are derived from it: the markers, their help, the loop's modes, the JSON names, the
reason codes and the endpoints each mode reads; the prefetch, the ``sentry_repository`` marker and
the checkpoint guard read the declarations too (``prefetch``, ``repository_checks``,
``reads_checkpoint``), so no module outside this package keeps a list of modes. Adding a mode is
its declaration here, its checks file and its docs page. A plugin may ``register`` a mode of its
own at import time.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from pytest_sentry_gate.modes.mode import Mode, require_namespaced

__all__ = [
    "CHECK_MODES",
    "LOOP_MODES",
    "MARKERS",
    "MARKER_HELP",
    "MODES",
    "Mode",
    "command_for",
    "declared",
    "json_name",
    "mode_rank",
    "register",
]


def declared() -> tuple[Mode, ...]:
    """The built-in modes: the ``MODE`` of every module of this package, in run order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name != "mode":
            found.append(importlib.import_module(f"{__name__}.{info.name}").MODE)
    return tuple(sorted(found, key=lambda mode: mode.order))


#: Every mode, in run order (the built-in ones, then any a plugin registered, by ``order``).
MODES: tuple[Mode, ...] = ()
#: Modes whose checks ``verify_loop`` also selects, in run order.
LOOP_MODES: tuple[str, ...] = ()
#: Every mode that holds checks, in run order.
CHECK_MODES: tuple[str, ...] = ()
#: Every marker the plugin registers.
MARKERS: tuple[str, ...] = ()
MARKER_HELP: dict[str, str] = {}


def _derive(modes: tuple[Mode, ...]) -> None:
    global MODES, LOOP_MODES, CHECK_MODES, MARKERS, MARKER_HELP
    MODES = tuple(sorted(modes, key=lambda mode: mode.order))
    LOOP_MODES = tuple(m.name for m in MODES if m.in_loop)
    CHECK_MODES = tuple(m.name for m in MODES if m.holds_checks)
    MARKERS = (*CHECK_MODES, *(m.name for m in MODES if not m.holds_checks))
    MARKER_HELP = {m.name: m.help for m in MODES}


_derive(declared())


def register(mode: Mode) -> None:
    """Add (or replace) a mode declared outside this package, such as a plugin's own: it gets
    its marker, its place in run order, its JSON name and its reason codes, each named
    ``<mode>.<code>`` (a ``ValueError`` names any other, before anything is registered)."""
    require_namespaced(mode)
    _derive((*(m for m in MODES if m.name != mode.name), mode))


def by_name(name: str) -> Mode | None:
    """The declaration of mode ``name`` (``None``: no such mode)."""
    return next((mode for mode in MODES if mode.name == name), None)


def json_name(mode: str) -> str:
    """The old script's name for a mode: ``release_gate`` -> ``release-gate``."""
    declared_mode = by_name(mode)
    return declared_mode.json_name if declared_mode else mode.replace("_", "-")


def mode_rank(mode: str) -> int:
    """Position of a mode in run order (unknown modes sort last)."""
    return CHECK_MODES.index(mode) if mode in CHECK_MODES else len(CHECK_MODES)


def is_cli(words: list[str]) -> bool:
    """Whether a command (split into words) runs ``sentry-gate``, not pytest."""
    return bool(words) and Path(words[0]).name == "sentry-gate"


def command_for(rerun: str, mode: str) -> str:
    """``rerun`` (the user's own command) turned to another mode: ``pytest -m verify_loop --x``
    -> ``pytest -m issue_triage --x``; ``sentry-gate --mode all --x`` -> ``sentry-gate --mode
    issue-triage --x``. A command that names no mode gets one."""
    import shlex

    words = shlex.split(rerun)
    cli = is_cli(words)
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
