"""Which runbook modes a run selects: ``-m`` read once, with pytest's own expression grammar.

Kept apart from ``plugin.py`` (which decides from it whether to activate) and ``hooks.py``
(which collects only the selected modes' check files), so that neither imports the other for it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import pytest

from pytest_sentry_gate import modes, repository_checks

WORD: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Why a ``-m`` naming a mode cannot be read (pytest moved its private grammar: see ``_compiled``).
NO_GRAMMAR: Final = (
    "-m {text!r}: pytest {version} has no _pytest.mark.expression.Expression.compile, which "
    "pytest-sentry-gate uses to read the modes -m selects; use a pytest this version supports "
    "(8.x or 9.x)"
)

#: A compiled ``-m``: asks ``has(name)`` of each mark name it reads and says whether it selects.
Evaluate = Callable[[Callable[[str], bool]], bool]
#: How many evaluations ``_names`` tries to reach every name of an expression (each ``or``/``and``
#: hides the names after it from some assignments); ``-m`` expressions name a handful of marks.
EVALUATIONS: Final = 256


@dataclass(frozen=True)
class Selection:
    """What ``-m`` says, read once at configure time (``read``) and kept in the config's stash."""

    text: str  # the expression as given ("" without -m)
    modes: tuple[str, ...]  # the runbook modes it selects, in run order
    loop: bool  # it selects verify_loop itself (not only one of its modes)
    names: frozenset[str] = frozenset()  # every mark name it reads (``names``)


KEY: Final = pytest.StashKey[Selection]()


def read(config: pytest.Config) -> Selection:
    """This run's ``Selection``: ``-m`` is parsed once, on first use, and kept."""
    found = config.stash.get(KEY, None)
    if found is None:
        found = _select(config.getoption("markexpr", "") or "")
        config.stash[KEY] = found
    return found


def selected_modes(config: pytest.Config) -> tuple[str, ...]:
    """The runbook modes that ``-m`` selects, in run order.

    A mode counts when the expression selects a check of that mode but not an unmarked test:
    ``-m release_gate`` or ``-m "release_gate or slow"`` select it, ``-m "not release_gate"`` (or
    no ``-m``) does not, so a plain test suite never switches the plugin on. ``-m
    sentry_repository`` selects the modes that hold a repository-only check (no token needed).
    """
    return read(config).modes


def selection_words(config: pytest.Config) -> str:
    """The options that deselect tests, as the user gave them: ``-k 'typo'``, ``--deselect X``
    and ``-m`` (which also names the modes); another plugin may deselect too."""
    words = []
    keyword = config.getoption("keyword", "") or ""
    if keyword:
        words.append(f"-k {shlex.quote(keyword)}")
    words += [f"--deselect {shlex.quote(d)}" for d in config.getoption("deselect", None) or ()]
    markexpr = read(config).text
    if set(WORD.findall(markexpr)) - {*modes.MARKERS, "and", "or", "not"}:  # not just modes
        words.append(f"-m {shlex.quote(markexpr)}")
    return " ".join(words) or "another plugin's selection"


def _select(text: str) -> Selection:
    words = set(WORD.findall(text))
    wanted = bool(words & {*modes.MARKERS, repository_checks.MARKER})
    evaluate = _compiled(text, required=wanted) if text.strip() else None
    read_names = _names(evaluate) if evaluate is not None else frozenset[str]()
    # no mode named, an invalid -m (pytest reports it), or one that selects a plain test
    if not wanted or evaluate is None or evaluate(lambda name: False):
        return Selection(text, (), loop=False, names=read_names)

    def matches(marks: set[str]) -> bool:
        return evaluate(marks.__contains__)

    repository_only = repository_checks.checks()

    def selects(mode: str) -> bool:
        marks = {mode, "verify_loop"} if mode in modes.LOOP_MODES else {mode}
        if mode in repository_only and matches(marks | {repository_checks.MARKER}):
            return True
        return matches(marks)

    chosen = tuple(m for m in modes.CHECK_MODES if selects(m))
    loop = "verify_loop" in words and matches({"verify_loop"})
    return Selection(text, chosen, loop=loop, names=read_names)


def names(config: pytest.Config) -> frozenset[str]:
    """Every mark name the ``-m`` expression reads, as pytest's grammar reads it: ``prod-health``
    is one name (pytest's names may hold ``-``, ``.``, ``:``), a keyword argument's key or value
    is none (``mark(key=value)`` names ``mark``). Empty without ``-m`` or for an invalid one."""
    return read(config).names


def _names(evaluate: Evaluate) -> frozenset[str]:
    """The names ``evaluate`` reads over the assignments that reach them: each name read is tried
    true too, to reach the names its ``and``/``or`` skipped."""
    seen: set[str] = set()
    todo, tried = [frozenset[str]()], set[frozenset[str]]()
    while todo and len(tried) < EVALUATIONS:
        marks = todo.pop()
        if marks in tried:
            continue
        tried.add(marks)
        asked: list[str] = []

        def has(name: str, marks: frozenset[str] = marks, asked: list[str] = asked) -> bool:
            asked.append(name)
            return name in marks

        evaluate(has)
        seen.update(asked)
        todo += [marks | {name} for name in asked if name not in marks]
    return frozenset(seen)


def _compiled(text: str, *, required: bool = True) -> Evaluate | None:
    """``text`` compiled with pytest's own ``-m`` grammar: given ``has(name)``, whether it selects.

    pytest exposes no public way to evaluate a mark expression. Its ``Expression`` (the class
    ``-m`` itself is compiled with, ``compile`` and ``evaluate(matcher)`` since pytest 6, the
    matcher taking keyword arguments since 8.3) is used so that the modes this plugin runs are
    exactly the tests pytest selects; a grammar of our own would drift from it (idents with
    ``-`` or ``.``, ``mark(key=value)``). This is the one private pytest import of the package;
    ``tests/test_private_internals.py`` holds its interface, and a pytest without it is a usage
    error naming the version (``NO_GRAMMAR``), never a silently inert run (unless not
    ``required``: ``-m`` names no mode; then ``None``).
    """
    try:
        from _pytest.mark.expression import Expression

        compile_expression = getattr(Expression, "compile", None)
    except ImportError:
        compile_expression = None
    if compile_expression is None:
        if not required:
            return None
        raise pytest.UsageError(NO_GRAMMAR.format(text=text, version=pytest.__version__))
    try:
        expression = compile_expression(text)
    except Exception:  # an invalid -m: pytest itself reports it
        return None

    def evaluate(has: Callable[[str], bool]) -> bool:
        # pytest >= 8.3 passes a mark's keyword arguments too; they select nothing here
        return bool(expression.evaluate(lambda name, /, **kwargs: has(name)))

    return evaluate
