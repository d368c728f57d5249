"""The package's shape: no product module does too much, and no check reads Sentry itself."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: No product module is longer than this (issue 16, item 6); most stay under 250.
MAX_LINES = 400
PRODUCT = (ROOT / "pytest_sentry_gate", ROOT / "checks")


def product_modules() -> list[Path]:
    return sorted(path for base in PRODUCT for path in base.rglob("*.py"))


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def checks_taking(fixture: str, files: Iterable[Path]) -> list[str]:
    """``file::check`` for every check function (``test_*``) with ``fixture`` as a parameter."""
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names = [
                    a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
                ]
                if fixture in names:
                    found.append(f"{path.name}::{node.name}")
    return found


def test_no_product_module_is_over_400_lines() -> None:
    # Given every module of the package and the bundled checks
    sizes = {path.relative_to(ROOT).as_posix(): line_count(path) for path in product_modules()}
    # Then none is over the limit, and most are under 250 lines
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
    assert sum(n <= 250 for n in sizes.values()) > 0.8 * len(sizes)


def test_no_check_takes_the_client() -> None:
    # Given the bundled checks: they judge facts the fixtures read, never the client itself
    files = sorted((ROOT / "checks").glob("test_*.py"))
    assert files
    assert checks_taking("sentry_client", files) == []


def test_a_check_taking_the_client_is_found(tmp_path: Path) -> None:
    # Given a checks file whose check asks for the client (keyword-only too)
    planted = tmp_path / "test_toy.py"
    planted.write_text(
        "def test_reads(sentry_check, sentry_client):\n    pass\n\n"
        "def test_judges(sentry_check, *, sentry_client=None):\n    pass\n\n"
        "def helper(sentry_client):\n    pass\n",
        encoding="utf-8",
    )
    # Then both checks are named, and a helper that is not a check is not
    assert checks_taking("sentry_client", [planted]) == [
        "test_toy.py::test_reads",
        "test_toy.py::test_judges",
    ]


#: No check's body (its docstring aside) is longer than this: a check judges facts; matching,
#: bucketing, scanning and message assembly are pure functions beside the facts (issue 16, item 5).
MAX_CHECK_LINES = 30


def check_body_lines(files: Iterable[Path]) -> dict[str, int]:
    """``file::check`` -> lines of the check's body, from its first statement after the
    docstring to the end of its last one (comments and blank lines between them count)."""
    sizes = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                end = body[-1].end_lineno if body else None
                sizes[f"{path.name}::{node.name}"] = end - body[0].lineno + 1 if end else 0
    return sizes


def test_every_check_body_is_at_most_30_lines() -> None:
    # Given the bundled checks
    files = sorted((ROOT / "checks").glob("test_*.py"))
    sizes = check_body_lines(files)
    assert len(sizes) > 30  # every mode's checks were found
    # Then each check judges its facts in at most 30 lines
    assert {name: n for name, n in sizes.items() if n > MAX_CHECK_LINES} == {}


def test_a_long_check_body_is_measured_without_its_docstring(tmp_path: Path) -> None:
    # Given a checks file: a check of a 3-line docstring and 31 statements; one whose comment
    # comes before its 28 statements, a blank line and one more; and a long helper, not a check
    def lines(count: int) -> str:
        return "\n".join(f"    x{i} = {i}" for i in range(count))

    planted = tmp_path / "test_toy.py"
    planted.write_text(
        f'def test_long(sentry_check):\n    """One.\n\n    Three."""\n{lines(31)}\n\n'
        f"def test_short(sentry_check):\n    # a comment\n{lines(28)}\n\n    y = 1\n\n"
        f"def helper():\n{lines(60)}\n",
        encoding="utf-8",
    )
    # Then the first is 31 lines (its docstring aside), the second 30 (the comment before its
    # first statement is not counted, the blank line inside is), and the helper is not measured
    assert check_body_lines([planted]) == {
        "test_toy.py::test_long": 31,
        "test_toy.py::test_short": 30,
    }


#: The calls that say a verdict's words: ``sentry_check``'s verdicts, risks, next commands and
#: fixes, and pytest's own outcomes.
VERDICT_CALLS = frozenset(
    {"passed", "fail", "partial", "not_applicable", "risk", "next", "fix", "skip", "xfail"}
)
_WORDS = re.compile(r"[A-Za-z]\S*\s+\S*[A-Za-z]")


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _words(node: ast.AST) -> bool:
    """A string literal that holds a letter."""
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(re.search("[A-Za-z]", node.value))
    )


def _verdict_words(tree: ast.Module) -> set[int]:
    """The string literals with a letter inside a verdict call's arguments (its reason aside)."""
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in VERDICT_CALLS:
            said = [*node.args, *(k.value for k in node.keywords if k.arg != "reason")]
            found |= {id(leaf) for part in said for leaf in ast.walk(part) if _words(leaf)}
    return found


def _is_message(node: ast.AST, docstrings: set[int], said: set[int]) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    return id(node) not in docstrings and (id(node) in said or bool(_WORDS.search(node.value)))


def inline_messages(files: Iterable[Path]) -> list[str]:
    """``file:line`` of every message written in a checks file rather than in its mode's
    declaration (``modes/<mode>.py``): an f-string, a string literal of two words or more, or
    a word in the arguments of a verdict call (``passed``, ``fail``, ``partial``, ...; its
    ``reason`` code aside). Docstrings are the runbook's steps, not messages."""
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings, said = _docstrings(tree), _verdict_words(tree)
        inside_fstrings = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in ast.walk(node)
            if part is not node
        }
        lines = {
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.expr)
            and id(node) not in inside_fstrings
            and _is_message(node, docstrings, said)
        }
        found += [f"{path.name}:{line}" for line in sorted(lines)]
    return found


def test_no_check_writes_its_messages_inline() -> None:
    # Given the bundled checks: their messages are templates of their mode's declaration
    files = sorted((ROOT / "checks").glob("test_*.py"))
    assert len(files) >= 6
    # Then no checks file holds a message of its own
    assert inline_messages(files) == []


def test_an_inline_message_is_found(tmp_path: Path) -> None:
    # Given a checks file with an f-string, a sentence, a word said by a verdict and a sentence
    # built before it is said; beside a docstring, reason codes, keys and separators
    planted = tmp_path / "test_toy.py"
    planted.write_text(
        '"""toy: a module docstring is no message."""\n'
        "def test_one(sentry_check, facts):\n"
        '    """A check\'s docstring is its runbook step."""\n'
        '    sentry_check.record(bucket=facts["new"], kind="urgent")\n'
        '    if facts.get("id", "") == "partial":\n'
        '        sentry_check.fail(f"{facts} missing", reason="no_build")\n'
        '    head = "none of the files exist: " + "; ".join(facts)\n'
        '    sentry_check.partial(head, reason="no_release")\n'
        '    sentry_check.risk("dropped: " + ", ".join(facts))\n'
        '    sentry_check.passed(messages.OK.format(what="organization"))\n'
        "    sentry_check.passed(messages.OK.format(what=messages.ORG))\n",
        encoding="utf-8",
    )
    # Then each message is named by its line, and nothing else is
    assert inline_messages([planted]) == [
        "test_toy.py:6",
        "test_toy.py:7",
        "test_toy.py:9",
        "test_toy.py:10",
    ]
