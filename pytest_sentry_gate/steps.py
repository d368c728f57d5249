"""Next steps as data, and the compact report (``--sentry-gate-report-detail=summary``).

Each check's ``next_commands`` (shell command lines) and ``fixes`` (changes in words) stay as they
are; ``steps`` says the same for a program: ``{"argv": [...], "kind": ..., "why": ...}``. An
``argv`` runs as it stands (``execvp``): a command that only a shell can run (it reads a
variable, ``$SENTRY_AUTH_TOKEN``, or chains commands with ``&&``) is ``["sh", "-c", line]``. A
command that runs the checks again (``sentry-gate``, ``pytest``) is a ``rerun``; a command of a
tool that changes something (``sentry-cli``) is a ``fix``; any other command (``curl`` to read an
event) is for a person or an agent to look at, ``human``. A fix in words is a ``fix`` with an
empty ``argv``. ``why`` is the check's message.

The summary detail keeps the verdicts, reasons, counts, messages and steps and drops the evidence:
each check's structured ``evidence`` (left ``{}``), the old rows' ``key=value`` strings (left
``""``) and the ``triage`` listing. ``verify_loop`` stays (its counts and the few high-severity
and regression snapshots the next run compares).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any, Final

RERUN: Final = "rerun"
FIX: Final = "fix"
HUMAN: Final = "human"
KINDS: Final = (RERUN, FIX, HUMAN)
#: The kind of a command by its program (anything else: ``human``).
PROGRAM_KINDS: Final = {"sentry-gate": RERUN, "pytest": RERUN, "sentry-cli": FIX}
#: Words only a shell gives meaning to: a command line holding one (or a ``$``) runs as ``sh -c``.
SHELL_WORDS: Final = frozenset({"&&", "||", "|", ";", ">", ">>", "<"})
SUMMARY: Final = "summary"


def _kind(argv: Sequence[str]) -> str:
    if not argv:
        return HUMAN
    program = argv[0].rsplit("/", 1)[-1]
    if program.startswith("python") and argv[1:3] == ["-m", "pytest"]:
        return RERUN
    return PROGRAM_KINDS.get(program, HUMAN)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # not a shell line (unbalanced quotes): one word, for a person to read
        return [command]


def steps(next_commands: Sequence[str], fixes: Sequence[str], why: str) -> list[dict[str, Any]]:
    """The structured next steps of one check (the kind from the program the line runs)."""
    out: list[dict[str, Any]] = []
    for command in next_commands:
        words = _words(command)
        shell = len(words) > 1 and ("$" in command or not SHELL_WORDS.isdisjoint(words))
        argv = ["sh", "-c", command] if shell else words
        out.append({"argv": argv, "kind": _kind(words), "why": why})
    out += [{"argv": [], "kind": FIX, "why": fix} for fix in fixes]
    return out


def with_steps(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's check entries, each with its ``steps``."""
    for entry in checks:
        entry["steps"] = steps(entry["next_commands"], entry["fixes"], entry["message"])
    return checks


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """The summary detail of a report: no evidence, the rest as it is."""
    out = dict(document)
    out["checks"] = [{**check, "evidence": {}} for check in document["checks"]]
    out["results"] = [{**row, "evidence": ""} for row in document.get("results", [])]
    out.pop("triage", None)
    if "targets" in out:  # each project's own sections, without triage too
        out["targets"] = [{k: v for k, v in t.items() if k != "triage"} for t in out["targets"]]
    out["detail"] = SUMMARY
    return out
