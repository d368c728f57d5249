"""Issue 16 item 8: no third-party private internal, except one pinned here; one atomic writer.

pytest's ``Expression`` (the ``-m`` grammar) is the one private import the package keeps, on
purpose (``selection._compiled`` says why): its interface is held below, so a pytest that changes
it fails this file instead of silently selecting no mode. vcrpy's ``Cassette._save()`` and
httpx's ``response._content`` are gone, and every file this package writes is replaced through
``atomic.replace``.
"""

from __future__ import annotations

import ast
import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.mark import expression as pytest_expression

from pytest_sentry_gate.sentry.client import SentryClient
from sentry_simulator.scenarios import demo_data
from tests.test_health import DEMO, NOW, _loop, _sim

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = sorted([*ROOT.glob("pytest_sentry_gate/**/*.py"), *ROOT.glob("checks/*.py")])
#: Private names of vcrpy's Cassette and httpx's Response the package once reached into.
FOREIGN_PRIVATE = {"_save", "_persist", "_as_dict", "_content", "_load"}


def _trees() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text(encoding="utf-8"))) for p in PRODUCT]


def _calls(tree: ast.Module, owner: str, name: str) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    )


def test_no_private_attribute_of_vcrpy_or_httpx_is_used() -> None:
    # Given every product module
    # When the attributes it reads or assigns are listed
    found = [
        f"{path}:{node.lineno} .{node.attr}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in FOREIGN_PRIVATE
        and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
    ]
    # Then none is a private name of vcrpy's cassette or httpx's response
    assert found == []


def test_pytests_mark_grammar_is_imported_in_one_place() -> None:
    found = sorted(
        path
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("_pytest.mark")
    )
    assert found == ["pytest_sentry_gate/selection.py"]


def test_the_pinned_interface_of_pytests_mark_expression() -> None:
    # Given pytest's -m grammar, as selection._compiled uses it
    compiled = pytest_expression.Expression.compile("release_gate or (verify_loop and not slow)")
    seen: list[tuple[str, dict[str, Any]]] = []

    def has(marks: set[str]) -> Any:
        def matcher(name: str, /, **kwargs: Any) -> bool:
            seen.append((name, kwargs))
            return name in marks

        return matcher

    # When it is evaluated against sets of marks
    # Then it answers as pytest's own -m does, asking the matcher by mark name
    assert compiled.evaluate(has({"release_gate"})) is True
    assert compiled.evaluate(has({"verify_loop"})) is True
    assert compiled.evaluate(has({"verify_loop", "slow"})) is False
    assert compiled.evaluate(has(set())) is False
    assert {name for name, _ in seen} == {"release_gate", "verify_loop", "slow"}
    # And an invalid expression raises (the plugin then leaves the report to pytest)
    with pytest.raises(Exception):  # noqa: B017, PT011 - pytest's own ParseError type is private
        pytest_expression.Expression.compile("release_gate or")


def test_dash_m_is_compiled_once_per_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given pytest's Expression.compile, counting the calls made from the plugin
    original = pytest_expression.Expression.compile.__func__  # type: ignore[attr-defined]
    callers: list[str] = []

    def counting(cls: type, text: str) -> Any:
        import sys

        caller = sys._getframe(1).f_globals.get("__name__", "")
        callers.append(caller)
        return original(cls, text)

    monkeypatch.setattr(pytest_expression.Expression, "compile", classmethod(counting))
    # When a whole verify_loop run (health, triage, the loop's report) ends
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        report = _loop(pytester, sim, tmp_path / "state.json")
    assert report["checks"], report
    # Then the plugin compiled -m once (pytest's own selection compiled it too)
    ours = [c for c in callers if c.startswith("pytest_sentry_gate")]
    assert ours == ["pytest_sentry_gate.selection"]
    assert report["verify_loop"]["checkpoint_written"] is True


def test_gzip_body_read_under_the_caps_is_the_decoded_json() -> None:
    # Given a server answering with a gzip-encoded JSON body
    body = json.dumps([{"id": "1", "title": "x" * 2000}]).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return httpx.Response(200, content=gzip.compress(body), headers=headers)

    client = SentryClient(
        base_url="http://sentry.test/", token="t", transport=httpx.MockTransport(answer)
    )
    with client:
        # When the client reads it (in chunks, under the size cap)
        response = client.get("/api/0/organizations/acme/issues/")
    # Then the JSON is the decoded body, and no header claims an encoding it no longer has
    assert response.data == [{"id": "1", "title": "x" * 2000}]
    assert "content-encoding" not in {k.lower() for k in response.headers}


def test_files_are_replaced_through_one_atomic_writer() -> None:
    # Given every product module
    # When the renames over a path and the temporary files it makes are counted, per module
    counts = {
        path: (_calls(tree, "os", "replace"), _calls(tree, "tempfile", "mkstemp"))
        for path, tree in _trees()
    }
    # Then only atomic.py creates a temporary file and renames it over a path (state_files
    # renames a corrupt checkpoint aside, which is no write)
    assert {p: c for p, c in counts.items() if c != (0, 0)} == {
        "pytest_sentry_gate/atomic.py": (1, 1),
        "pytest_sentry_gate/repo/state_files.py": (1, 0),
    }
