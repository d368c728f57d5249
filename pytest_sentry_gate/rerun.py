"""The rerun command: the user's own command, made true for the next run.

A next command that reruns the checks must do what it says. So the rerun built from the user's
command line

- never replays a cassette: ``--sentry-record-mode once`` or ``none`` (either spelling) is left
  out, so the rerun asks Sentry again instead of reading the answers the last run recorded;
- keeps ``--require-host-network`` and ``--strict-network`` when the user gave them (an
  unreachable Sentry stays a FAIL in the rerun), and the network hint adds the flag only once;
- sets an option to the value a verdict suggests (``with_option``: the slug to try instead)
  rather than repeating the value that failed;
- leaves out a ``-k`` that matched nothing (``after_collection``), and any ``-k`` when it turns to
  another mode (``for_mode``): a keyword chosen for one mode's checks selects none of another's.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Final

from pytest_sentry_gate.modes import command_for, is_cli

RECORD_FLAG: Final = "--sentry-record-mode"
#: Record modes that replay what a cassette holds.
REPLAYING: Final = frozenset({"once", "none"})
NETWORK_FLAGS: Final = ("--require-host-network", "--strict-network")
KEYWORD_FLAG: Final = "-k"


def without_replay(words: Sequence[str]) -> list[str]:
    """``words`` without ``--sentry-record-mode once|none`` (``=value`` or two words)."""
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == RECORD_FLAG and index + 1 < len(words) and words[index + 1] in REPLAYING:
            index += 2
            continue
        if word.startswith(RECORD_FLAG + "=") and word.split("=", 1)[1] in REPLAYING:
            index += 1
            continue
        kept.append(word)
        index += 1
    return kept


def without_keyword(command: str) -> str:
    """``command`` without its ``-k`` expressions (``-k EXPR``, ``-kEXPR``, ``-k=EXPR``); a
    ``--`` left with nothing after it goes too."""
    words = shlex.split(command)
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == KEYWORD_FLAG:
            index += 2
            continue
        if word.startswith(KEYWORD_FLAG) and not word.startswith("--"):
            index += 1
            continue
        kept.append(word)
        index += 1
    if kept and kept[-1] == "--":
        kept.pop()
    return shlex.join(kept)


def has_keyword(command: str) -> bool:
    """Whether ``command`` selects checks with ``-k``."""
    return without_keyword(command) != shlex.join(shlex.split(command))


def with_host_network(command: str) -> str:
    """``command`` with ``--require-host-network``, unless it already requires host network."""
    if any(flag in shlex.split(command) for flag in NETWORK_FLAGS):
        return command
    return f"{command} {NETWORK_FLAGS[0]}"


def for_mode(command: str, mode: str) -> str:
    """``command`` turned to ``mode``, without the ``-k`` that chose checks of the first one."""
    return command_for(without_keyword(command), mode)


def after_collection(command: str, *, selected: int) -> str:
    """The rerun once collection is done: a ``-k`` that left no check selected is dropped."""
    if selected == 0 and has_keyword(command):
        return without_keyword(command)
    return command


def with_option(
    command: str,
    flags: tuple[str, str],
    value: str,
    *,
    instead_of: str | None = None,
    added: str | None = None,
) -> str:
    """``command`` with an option set to ``value``.

    Each ``FLAG VALUE`` or ``FLAG=VALUE`` of ``flags`` (pytest's spelling, ``sentry-gate``'s)
    takes it, or, with ``instead_of``, the item of its comma list equal to ``instead_of`` becomes
    ``value``. pytest's words after ``--`` are its file arguments (left alone); ``sentry-gate``'s
    are pytest's own options (pytest's spelling among them counts, and wins over the flags before
    ``--``). When none changed, ``FLAG added`` is added in the command's own spelling (nothing
    with ``added=None``)."""
    words = shlex.split(command)
    cli = is_cli(words)
    end = words.index("--") if "--" in words else len(words)

    def changed(old: str) -> str:
        if instead_of is None:
            return value
        return ",".join(value if item.strip() == instead_of else item for item in old.split(","))

    found = False
    for index, word in enumerate(words):
        spellings = flags if index < end else flags[:1] if cli else ()
        flag, eq, old = word.partition("=")
        if word in spellings and index + 1 < len(words) and index + 1 != end:
            new = changed(words[index + 1])
            found = found or new != words[index + 1]
            words[index + 1] = new
        elif eq and flag in spellings:
            words[index] = f"{flag}={changed(old)}"
            found = found or changed(old) != old
    if not found and added is not None:
        words[end:end] = [flags[1] if cli else flags[0], added]
    return shlex.join(words)
