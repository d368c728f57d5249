"""CODEOWNERS patterns matched in linear time, with a budget: no pattern can hold a run.

The path being matched is a frame path from Sentry event data, which anyone holding the public
DSN can shape. A regular-expression engine with backtracking (Python's ``re``, which the
``codeowners`` package compiles patterns to) takes polynomial time, with the degree set by the
pattern, on ``*a*a*a…*b`` against a long path: one lookup ran past 300 s. Here a pattern is
compiled to a small automaton and run over the path once, keeping the set of live states
(Thompson's construction), so one match costs at most ``len(path) * len(pattern)`` steps.
Paths above ``MAX_PATH_CHARS`` and patterns above ``MAX_PATTERN_CHARS`` are not matched, and
``Budget`` bounds the steps of one lookup over all the rules: past any of these, the owner is
*undecided* (``Undecided``), never guessed.

The meaning of a pattern is GitHub's, as the ``codeowners`` package ports it from
hmarr/codeowners: a pattern with a ``/`` before its end is anchored at the repository root,
otherwise it matches at the start of the path or after any ``/``; ``*`` and ``?`` stay inside one
path segment; ``**`` between slashes (or at either end) spans directories; a pattern ending in
``/`` matches a directory's contents, one ending in ``/*`` only its direct children, any other
the path itself or what lies below it; ``\\`` escapes a character; ``[…]`` is a character class
(``[!…]`` negates, as in gitignore).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_PATH_CHARS: Final = 1024
MAX_PATTERN_CHARS: Final = 256
#: Automaton steps one lookup may take over every rule of the file.
MAX_STEPS: Final = 2_000_000

PATH_TOO_LONG: Final = "the path is longer than {cap} characters"
PATTERN_TOO_LONG: Final = "line {line}: the pattern is longer than {cap} characters"
PATTERN_BAD: Final = "line {line}: {why}"
OVER_BUDGET: Final = "matching took more than {cap:,} steps"

# Step kinds: consume one character (LIT, ONE, CLASS), or loop (STAR: [^/]*, ANY: .*), or the
# optional "any directories" of **/ as OPT (skip the next step) + DIRS (any characters, then /).
LIT, ONE, CLASS, STAR, ANY, OPT, DIRS = range(7)
LOOPS: Final = frozenset({STAR, ANY})


class Undecided(Exception):
    """The owner cannot be decided: a cap was reached; the message says which."""


class BadPattern(ValueError):
    """A pattern that cannot be compiled (too long, an unterminated character class)."""


@dataclass(frozen=True)
class Step:
    """One automaton step: its kind and, for LIT and CLASS, what it consumes."""

    kind: int
    char: str = ""
    klass: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Glob:
    """A compiled pattern: anchored or not, its steps, and what must follow the match."""

    anchored: bool
    steps: tuple[Step, ...]
    suffix: str  # "dir": a "/" must follow; "end": the path must end; "either"


@dataclass
class Budget:
    """Steps left for one lookup; ``spend`` raises ``Undecided`` when they run out."""

    left: int = MAX_STEPS

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise Undecided(OVER_BUDGET.format(cap=MAX_STEPS))


def _klass(body: str, start: int) -> tuple[Step, int]:
    """The character class opening at ``body[start]`` and the index after its ``]``."""
    index, text = start + 1, ""
    if body[index : index + 1] == "!":
        text, index = "^", index + 1
    while index < len(body) and body[index] != "]":
        if body[index] == "\\" and index + 1 < len(body):
            text += re.escape(body[index + 1])
            index += 2
            continue
        text += "\\\\" if body[index] == "\\" else body[index]
        index += 1
    if index >= len(body):
        raise BadPattern("unterminated character class")
    try:
        return Step(CLASS, klass=re.compile(f"[{text}]")), index + 1
    except re.error as exc:
        raise BadPattern(f"bad character class ({exc})") from None


def compile_glob(pattern: str) -> Glob:
    """Compile a CODEOWNERS pattern (``BadPattern`` when too long or malformed)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise BadPattern(f"longer than {MAX_PATTERN_CHARS} characters")
    slash = pattern.find("/")
    anchored = slash > -1 and slash != len(pattern) - 1
    suffix = "dir" if pattern.endswith("/") else "end" if pattern.endswith("/*") else "either"
    body = pattern.strip("/")
    steps: list[Step] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            if index + 1 < len(body):
                steps.append(Step(LIT, body[index + 1]))
            index += 2
        elif char == "*" and body[index + 1 : index + 2] == "*" and _spans(body, index):
            trailing = body[index + 2 : index + 3] == "/"
            steps += [Step(OPT), Step(DIRS)] if trailing else [Step(ANY)]
            index += 3 if trailing else 2
        elif char == "*":
            steps.append(Step(STAR))
            index += 1
        elif char == "?":
            steps.append(Step(ONE))
            index += 1
        elif char == "[":
            step, index = _klass(body, index)
            steps.append(step)
        else:
            steps.append(Step(LIT, char))
            index += 1
    return Glob(anchored, tuple(steps), suffix)


def _spans(body: str, index: int) -> bool:
    """``**`` at ``index`` stands alone between slashes (or at an end): it spans directories."""
    before = index == 0 or body[index - 1] == "/"
    after = index + 2 == len(body) or body[index + 2] == "/"
    return before and after


def _closure(steps: tuple[Step, ...], states: set[int]) -> set[int]:
    """``states`` and every state reachable from them without consuming a character."""
    stack, seen = list(states), set(states)
    while stack:
        state = stack.pop()
        if state >= len(steps):
            continue
        kind = steps[state].kind
        targets = (state + 1,) if kind in LOOPS else (state + 1, state + 2) if kind == OPT else ()
        for target in targets:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _takes(step: Step, char: str) -> bool:
    """Whether a one-character step (LIT, ONE, CLASS) consumes ``char``."""
    if step.kind == LIT:
        return char == step.char
    if step.kind == ONE:
        return char != "/"
    return step.klass is not None and step.klass.fullmatch(char) is not None


def _advance(steps: tuple[Step, ...], states: set[int], char: str) -> set[int]:
    """The states after consuming ``char``."""
    after: set[int] = set()
    for state in states:
        if state >= len(steps):
            continue
        step = steps[state]
        if step.kind in (LIT, ONE, CLASS):
            if _takes(step, char):
                after.add(state + 1)
        elif step.kind == ANY or (step.kind == STAR and char != "/"):
            after.add(state)
        elif step.kind == DIRS:
            after.add(state)
            if char == "/":
                after.add(state + 1)
    return after


def matches(glob: Glob, path: str, budget: Budget) -> bool:
    """Whether ``glob`` matches ``path`` (repository-relative, ``/``-separated)."""
    steps, end = glob.steps, len(glob.steps)
    start = _closure(steps, {0})
    live = set(start)
    for position in range(len(path) + 1):
        if position and not glob.anchored and path[position - 1] == "/":
            live |= start
        if end in live:
            at_end = position == len(path)
            if at_end and glob.suffix != "dir":
                return True
            if not at_end and path[position] == "/" and glob.suffix != "end":
                return True
        if position == len(path) or (not live and glob.anchored):
            return False
        budget.spend(len(live) + 1)
        live = _closure(steps, _advance(steps, live, path[position]))
    return False
