"""The app repository's CODEOWNERS: where GitHub looks for it, and who owns a file.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS``; within it
the last matching rule wins. The file is read like every repository file (a regular file within
``files.CAP_MANIFEST``); one that is refused leaves every owner undecided, naming the file.

Patterns are matched by ``owner_glob`` in linear time under a step budget, because the path
comes from Sentry event data that anyone with the public DSN can shape. When a lookup cannot be
decided (the path or a pattern is above its cap, a pattern does not compile, the budget ran out)
``describe`` says ``owner not decided: <why>`` instead of guessing: a rule that cannot be
matched and comes after every rule that matched could be the one that wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pytest_sentry_gate.repo import files
from pytest_sentry_gate.repo.owner_glob import (
    MAX_PATH_CHARS,
    PATH_TOO_LONG,
    PATTERN_BAD,
    BadPattern,
    Budget,
    Glob,
    Undecided,
    compile_glob,
    matches,
)

LOCATIONS: Final = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
NO_RULE: Final = "no owner rule"
NO_FILE: Final = "no CODEOWNERS file"
UNDECIDED: Final = "owner not decided: {why}"
NOT_READ: Final = "{file} not read: {why}"
# An owner is @user, @org/team or an e-mail address (as GitHub and the codeowners package read).
OWNER_RE: Final = re.compile(r"^(?:@\S+|\S+@\S+)$")
_FIELDS: Final = re.compile(r"(?<!\\)\s+")


@dataclass(frozen=True)
class Rule:
    """One CODEOWNERS line: its glob (``None`` with ``problem`` when it cannot be used)."""

    line: int
    glob: Glob | None
    owners: tuple[str, ...]
    problem: str = ""


def parse_rules(text: str) -> tuple[Rule, ...]:
    """The rules of a CODEOWNERS text, in file order (comments and section headers skipped)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if (
            not line
            or line.startswith("#")
            or (line.startswith(("[", "^[")) and line.endswith("]"))
        ):
            continue  # a comment, or a GitLab section header
        pattern, *rest = _FIELDS.split(line)
        owners = tuple(owner for owner in rest if OWNER_RE.match(owner))
        try:
            rules.append(Rule(number, compile_glob(pattern), owners))
        except BadPattern as exc:
            rules.append(Rule(number, None, owners, PATTERN_BAD.format(line=number, why=exc)))
    return tuple(rules)


@dataclass(frozen=True)
class Owners:
    """The parsed CODEOWNERS of a repository (``file`` is ``None`` when there is none).

    ``refused`` says why the file was not read (not a regular file, above its cap).
    """

    file: str | None
    rules: tuple[Rule, ...] | None
    refused: str = ""
    _cache: dict[str, tuple[tuple[str, ...], str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def decide(self, path: str | None) -> tuple[tuple[str, ...], str]:
        """``(owners, why_undecided)``: the last matching rule's owners, or why none can be said."""
        if self.refused:
            return (), self.refused
        if self.rules is None or not path:
            return (), ""
        if path not in self._cache:
            self._cache[path] = self._decide(path)
        return self._cache[path]

    def _decide(self, path: str) -> tuple[tuple[str, ...], str]:
        assert self.rules is not None
        if len(path) > MAX_PATH_CHARS:
            return (), PATH_TOO_LONG.format(cap=MAX_PATH_CHARS)
        budget = Budget()
        for rule in reversed(self.rules):
            if rule.glob is None:
                return (), rule.problem  # it might have been the last match
            try:
                if matches(rule.glob, path, budget):
                    return rule.owners, ""
            except Undecided as exc:
                return (), str(exc)
        return (), ""

    def of(self, path: str | None) -> tuple[str, ...]:
        """The owners of ``path`` (repository-relative), empty when no rule matches."""
        return self.decide(path)[0]

    def describe(self, path: str | None) -> str:
        """Owners as text, or why there is none."""
        if self.rules is None and not self.refused:
            return NO_FILE
        owners, why = self.decide(path)
        if why:
            return UNDECIDED.format(why=why)
        return " ".join(owners) if owners else NO_RULE


def read_owners(repo_root: Path) -> Owners:
    """The first CODEOWNERS file GitHub would use, parsed."""
    for relative in LOCATIONS:
        path = repo_root / relative
        if path.exists() and not path.is_dir():
            try:
                text = files.read_text(path, cap=files.CAP_MANIFEST, errors="replace")
            except files.FileRefused as exc:
                return Owners(relative, None, NOT_READ.format(file=relative, why=exc.why))
            return Owners(relative, parse_rules(text))
    return Owners(None, None)
