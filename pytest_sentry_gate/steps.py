"""Next steps as data, and the compact report (``--sentry-gate-report-detail=summary``).

Each check's ``next_commands`` (shell command lines) and ``fixes`` (changes in words) stay as they
are; ``steps`` says the same for a program: ``{"argv": [...], "kind": ..., "why": ...}``. An
``argv`` runs as it stands (``execvp``): a command that only a shell can run (it reads a
variable, ``$SENTRY_AUTH_TOKEN``, or chains commands with ``&&``) is ``["sh", "-c", line]``. A
command that runs the checks again (``sentry-gate``, ``pytest``) is a ``rerun``; a command of a
tool that changes something (``sentry-cli``) is a ``fix``; any other command (``curl`` to read an
event) is for a person or an agent to look at, ``human``. ``why`` is the check's message.

An empty ``argv`` is a step for a person, not for a subprocess: a fix in words (a ``fix``), and
a command line that changes the shell it runs in (``read -rs … && export …``, ``cd x && pytest``:
a builtin of ``OWN_SHELL`` starts one of its ``&&``/``;``/``|`` parts). What such a line sets up
(a variable, the directory) is meant for the person's shell; under ``sh -c`` it would be lost
when the child exits, and ``read -s`` is not in POSIX ``sh`` (dash refuses it). That step is
``human``, and its ``why`` ends with the line to run in one's own shell.

The summary detail keeps the verdicts, reasons, counts, messages and steps and drops the evidence:
each check's structured ``evidence`` (left ``{}``), the old rows' ``key=value`` strings (left
``""``) and the ``triage`` listing. ``verify_loop`` stays (its counts and the few high-severity
and regression snapshots the next run compares).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any, Final

RERUN: Final = "rerun"
FIX: Final = "fix"
HUMAN: Final = "human"
KINDS: Final = (RERUN, FIX, HUMAN)
#: The kind of a command by its program (anything else: ``human``).
PROGRAM_KINDS: Final = {"sentry-gate": RERUN, "pytest": RERUN, "sentry-cli": FIX}
#: The characters of a shell's operators (``&&``, ``;``, ``|``, ``>``, ``2>&1`` ...): a command
#: line holding one outside quotes (or a ``$``, or that starts ``A=1 cmd``) runs as ``sh -c``.
OPERATOR_CHARS: Final = "();<>|&"
#: Operators that end one command of a line and start the next.
SEPARATORS: Final = frozenset({"&&", "||", ";", "&", "|"})
#: Builtins that change the shell they run in (its variables, directory, options): a line with
#: one at the start of a part is for the person's own shell (``[]``, not ``sh -c``).
OWN_SHELL: Final = frozenset(
    {".", "source", "cd", "pushd", "popd", "export", "unset", "set", "read", "readonly"}
    | {"declare", "typeset", "local", "alias", "unalias", "umask", "ulimit", "shopt", "trap"}
    | {"eval"}
)
#: The ``why`` of a step for the person's own shell.
IN_YOUR_SHELL: Final = "{why} (run in your own shell: {command})"
_ASSIGNMENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
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


def _tokens(command: str) -> list[str]:
    """The shell's words and operators of ``command`` (``a;b`` is ``a``, ``;``, ``b``)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # a URL's ``#fragment`` is not a comment
    try:
        return list(lexer)
    except ValueError:
        return [command]


def _is_operator(token: str) -> bool:
    return bool(token) and not token.strip(OPERATOR_CHARS)


def _parts(tokens: Sequence[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in SEPARATORS:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def changes_own_shell(command: str) -> bool:
    """Whether ``command`` changes the shell it runs in: a part (between ``&&``, ``;``, ``|``)
    starts with a builtin of ``OWN_SHELL`` or only sets variables (``A=1``)."""
    return _own_shell(_tokens(command))


def _own_shell(tokens: Sequence[str]) -> bool:
    return any(
        part and (part[0] in OWN_SHELL or all(_ASSIGNMENT.match(word) for word in part))
        for part in _parts(tokens)
    )


def _step(command: str, why: str) -> dict[str, Any]:
    tokens = _tokens(command)
    if _own_shell(tokens):
        return {"argv": [], "kind": HUMAN, "why": IN_YOUR_SHELL.format(why=why, command=command)}
    words = _words(command)
    shell = len(tokens) > 1 and (
        "$" in command or any(map(_is_operator, tokens)) or bool(_ASSIGNMENT.match(tokens[0]))
    )
    argv = ["sh", "-c", command] if shell else words
    return {"argv": argv, "kind": _kind(words), "why": why}


def steps(next_commands: Sequence[str], fixes: Sequence[str], why: str) -> list[dict[str, Any]]:
    """The structured next steps of one check (the kind from the program the line runs)."""
    out = [_step(command, why) for command in next_commands]
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
