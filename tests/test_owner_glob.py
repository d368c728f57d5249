"""The linear-time CODEOWNERS matcher means what the codeowners package's regex means.

Generated patterns and paths over a small alphabet (``a``, ``b``, ``/``, ``*``, ``?``, ``\\``)
reach every construct: anchoring, ``*`` within a segment, ``**`` spanning directories, ``/``
and ``/*`` endings, escapes. Character classes are left out: the package pastes them into its
regex unchanged, where ``*`` inside a class means something no CODEOWNERS author intends.
"""

from __future__ import annotations

import re

from codeowners import path_to_regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_sentry_gate.repo.owner_glob import Budget, compile_glob, matches

PATTERNS = st.text(alphabet="ab/*?\\", min_size=1, max_size=8)
PATHS = st.text(alphabet="ab/", max_size=10)


@settings(max_examples=3000, deadline=None)
@given(pattern=PATTERNS, path=PATHS)
def test_same_answer_as_the_codeowners_regex(pattern: str, path: str) -> None:
    try:
        regex = path_to_regex(pattern)
    except (ValueError, re.error):
        return
    assert matches(compile_glob(pattern), path, Budget()) == (regex.search(path) is not None)


def test_character_classes_and_negation() -> None:
    glob = compile_glob("src/[ab]*.ts")
    assert matches(glob, "src/a1.ts", Budget())
    assert not matches(glob, "src/c1.ts", Budget())
    negated = compile_glob("src/[!ab]*.ts")
    assert matches(negated, "src/c1.ts", Budget())
    assert not matches(negated, "src/a1.ts", Budget())
