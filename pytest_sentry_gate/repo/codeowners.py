"""The app repository's CODEOWNERS: where GitHub looks for it, and who owns a file.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS``; within it
the last matching rule wins. Matching is the ``codeowners`` package's (gitignore-style patterns,
last match wins), not hand-written globbing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from codeowners import CodeOwners

LOCATIONS: Final = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
NO_RULE: Final = "no owner rule"
NO_FILE: Final = "no CODEOWNERS file"


@dataclass(frozen=True)
class Owners:
    """The parsed CODEOWNERS of a repository (``file`` is ``None`` when there is none)."""

    file: str | None
    rules: CodeOwners | None

    def of(self, path: str | None) -> tuple[str, ...]:
        """The owners of ``path`` (repository-relative), empty when no rule matches."""
        if self.rules is None or not path:
            return ()
        return tuple(owner for _kind, owner in self.rules.of(path))

    def describe(self, path: str | None) -> str:
        """Owners as text, or why there is none."""
        if self.rules is None:
            return NO_FILE
        owners = self.of(path)
        return " ".join(owners) if owners else NO_RULE


def read_owners(repo_root: Path) -> Owners:
    """The first CODEOWNERS file GitHub would use, parsed."""
    for relative in LOCATIONS:
        path = repo_root / relative
        if path.is_file():
            return Owners(relative, _rules(path.read_text(encoding="utf-8", errors="replace")))
    return Owners(None, None)


def _rules(text: str) -> CodeOwners:
    """The rules of ``text``; a line whose pattern the package cannot compile (``src/[ab``) is
    left out, so one bad line does not end triage with a traceback."""
    from codeowners import CodeOwners

    try:
        return CodeOwners(text)
    except (ValueError, re.error):
        return CodeOwners("\n".join(line for line in text.splitlines() if _compiles(line)))


def _compiles(line: str) -> bool:
    from codeowners import CodeOwners

    try:
        CodeOwners(line)
    except (ValueError, re.error):
        return False
    return True
