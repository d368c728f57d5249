"""A mode is one declaration: the registry, the reason codes, the settings and the endpoints it
names, and a plugin's own mode that becomes a marker, takes its place in run order and is named
in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_sentry_gate import modes, reasons
from pytest_sentry_gate.modes import Mode
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.settings import ROWS

TOY = Mode(
    name="toy_mode",
    order=35,
    help="a toy mode declared by a plugin",
    reasons={"toy_broken": "the toy is broken"},
    endpoints=("sessions",),
)


@pytest.fixture
def toy() -> Iterator[Mode]:
    """``TOY`` registered for one test, and the registry as it was afterwards."""
    before, codes = modes.MODES, dict(reasons.REASONS)
    modes.register(TOY)
    yield TOY
    modes._derive(before)
    reasons.REASONS.clear()
    reasons.REASONS.update(codes)


def test_the_built_in_modes_are_their_declarations_in_run_order() -> None:
    assert modes.CHECK_MODES == (
        "setup_preflight",
        "local_smoke",
        "release_gate",
        "prod_health",
        "issue_triage",
        "incident",
    )
    assert modes.CHECK_MODES[:5] == modes.LOOP_MODES
    assert (*modes.CHECK_MODES, "verify_loop") == modes.MARKERS
    assert [m.json_name for m in modes.MODES] == [m.replace("_", "-") for m in modes.MARKERS]


def test_each_declaration_names_real_settings_endpoints_and_unique_reasons() -> None:
    seen = set(reasons.COMMON_REASONS)
    for mode in modes.MODES:
        assert set(mode.settings) <= set(ROWS), mode.name
        assert all(endpoints.named(name) is not None for name in mode.endpoints), mode.name
        assert not seen & set(mode.reasons), mode.name  # a code belongs to one place
        seen |= set(mode.reasons)
    assert seen == set(reasons.REASONS)


def test_the_preflight_scopes_come_from_the_declarations(toy: Mode) -> None:
    # Given a mode that declares it reads the sessions endpoint
    table = endpoints.for_modes(["toy_mode"])
    # Then the preflight judges the token against it, and the organization and project rows
    assert [e.name for e in table if not e.common] == ["sessions"]
    assert "toy_mode" in endpoints.SESSIONS.modes
    assert "toy_mode" not in endpoints.ISSUES.modes
    # And its reason codes are registered, its place is between release_gate and prod_health
    assert reasons.REASONS["toy_broken"] == "the toy is broken"
    assert modes.CHECK_MODES.index("toy_mode") == modes.CHECK_MODES.index("release_gate") + 1
    assert modes.json_name("toy_mode") == "toy-mode"


PLUGIN = """
from pytest_sentry_gate.modes import Mode, register

register(Mode(name="toy_late", order=95, help="declared by a plugin, runs last",
              reasons={"toy_broken": "the toy is broken"}))
register(Mode(name="toy_early", order=5, help="declared by a plugin, runs first",
              json="toy-first"))
"""

CHECKS = """
import pytest

@pytest.mark.toy_late
def test_late(sentry_check):
    sentry_check.fail("the toy is broken", reason="toy_broken")

@pytest.mark.toy_early
def test_early(sentry_check):
    sentry_check.passed("the toy holds")
"""


def test_a_plugin_declares_a_mode_in_one_place(pytester: pytest.Pytester) -> None:
    # Given a plugin that declares two modes (one place each) and a checks file for them
    pytester.makepyfile(toy_plugin=PLUGIN, test_toy=CHECKS)
    pytester.makeini("[pytest]\n")
    # When both modes run, with --strict-markers
    result = pytester.runpytest_subprocess(
        "test_toy.py", "-p", "toy_plugin", "-m", "toy_late or toy_early", "--strict-markers", "-v",
        "--sentry-gate-report=report.json", "-p", "no:cacheprovider",
    )  # fmt: skip
    # Then each is a marker, the checks run in the declared order (not the file's)
    out = result.stdout.str()
    assert out.index("test_early") < out.index("test_late"), out
    assert "FAILED test_toy.py::test_late" in out
    # And the report names each mode by its JSON name, with the plugin's own reason code (the
    # shipped schema enumerates the built-in codes only: a built-in mode regenerates it)
    report = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))
    assert [r["mode"] for r in report["results"]] == ["toy-first", "toy-late"]
    late = next(c for c in report["checks"] if c["id"].endswith("::test_late"))
    assert (late["status"], late["reason"]) == ("FAIL", "toy_broken")
    markers = pytester.runpytest_subprocess("-p", "toy_plugin", "--markers").stdout.str()
    assert "@pytest.mark.toy_early: runbook mode: declared by a plugin, runs first" in markers


def test_the_mode_pages_are_generated_from_the_declarations() -> None:
    from pytest_sentry_gate import mode_table

    root = Path(__file__).resolve().parents[1]
    index = (root / "docs" / "modes" / "index.md").read_text(encoding="utf-8")
    mkdocs = (root / "mkdocs.yml").read_text(encoding="utf-8")
    # The table and the nav are the declarations' (run scripts/sync_generated.py otherwise)
    assert mode_table.replaced(index) == index
    assert mode_table.replaced_nav(mkdocs) == mkdocs
    # And each declared mode has its page, and its checks file when it holds checks
    for mode in modes.MODES:
        assert (root / "docs" / "modes" / f"{mode.name}.md").is_file(), mode.name
        assert f"| `{mode.name}` | `{mode.json_name}` |" in index
        assert mode.holds_checks == (root / "checks" / f"test_{mode.name}.py").is_file()
