"""A mode is one declaration: the registry, the reason codes, the settings and the endpoints it
names, and a plugin's own mode that becomes a marker, takes its place in run order and is named
in the report."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import modes, reasons
from pytest_sentry_gate.modes import Mode
from pytest_sentry_gate.sentry import endpoints
from pytest_sentry_gate.settings import ROWS
from tests.conftest import NamedReads, load_report

TOY = Mode(
    name="toy_mode",
    order=35,
    help="a toy mode declared by a plugin",
    reasons={"toy_mode.broken": "the toy is broken"},
    endpoints=("sessions",),
)


@pytest.fixture
def registry() -> Iterator[tuple[tuple[Mode, ...], dict[str, str]]]:
    """The registry's modes and reason codes as they were, restored after the test (the codes
    are the modes' own: restoring the modes restores them)."""
    before, codes = modes.MODES, dict(reasons.REASONS)
    yield before, codes
    modes._derive(before)


@pytest.fixture
def toy(registry: object) -> Mode:
    """``TOY`` registered for one test, and the registry as it was afterwards."""
    modes.register(TOY)
    return TOY


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
    assert reasons.REASONS["toy_mode.broken"] == "the toy is broken"
    assert modes.CHECK_MODES.index("toy_mode") == modes.CHECK_MODES.index("release_gate") + 1
    assert modes.json_name("toy_mode") == "toy-mode"


def test_a_mode_replaced_by_a_plugin_takes_its_old_codes_away(toy: Mode) -> None:
    # Given the toy mode registered with its code
    assert "toy_mode.broken" in reasons.REASONS
    # When a plugin declares it again with another code
    modes.register(Mode(name="toy_mode", order=35, help="again", reasons={"toy_mode.gone": "g"}))
    # Then a check may carry the new code, and no longer the old one
    assert reasons.require_reason("toy_mode.gone") == "toy_mode.gone"
    with pytest.raises(ValueError, match="not registered"):
        reasons.require_reason("toy_mode.broken")


PLUGIN = """
from pytest_sentry_gate.modes import Mode, register

register(Mode(name="toy_late", order=95, help="declared by a plugin, runs last",
              reasons={"toy_late.broken": "the toy is broken"}))
register(Mode(name="toy_early", order=5, help="declared by a plugin, runs first",
              json="toy-first"))
"""

CHECKS = """
import pytest

@pytest.mark.toy_late
def test_late(sentry_check):
    sentry_check.fail("the toy is broken", reason="toy_late.broken")

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
    # And the report names each mode by its JSON name, with the plugin's own reason code, and
    # validates against the schema shipped in the package (which accepts <mode>.<code>)
    report = load_report(pytester.path / "report.json")
    assert [r["mode"] for r in report["results"]] == ["toy-first", "toy-late"]
    late = next(c for c in report["checks"] if c["id"].endswith("::test_late"))
    assert (late["status"], late["reason"]) == ("FAIL", "toy_late.broken")
    markers = pytester.runpytest_subprocess("-p", "toy_plugin", "--markers").stdout.str()
    assert "@pytest.mark.toy_early: runbook mode: declared by a plugin, runs first" in markers


@pytest.mark.parametrize(
    ("declared", "refused"),
    [
        ({"toy_broken": "x"}, "'toy_broken'"),  # no namespace
        ({"other_mode.broken": "x"}, "'other_mode.broken'"),  # another mode's namespace
        ({"toy_mode.Broken-Now": "x"}, "'toy_mode.Broken-Now'"),  # not the code's shape
        ({"toy_mode.ok": "x", "threshold": "x"}, "'threshold'"),  # a built-in code redeclared
    ],
)
def test_a_plugin_reason_code_outside_its_namespace_is_refused(
    registry: tuple[tuple[Mode, ...], dict[str, str]], declared: dict[str, str], refused: str
) -> None:
    # Given a plugin's mode whose reason codes are not all named <mode>.<code>
    before, codes = registry
    mode = Mode(name="toy_mode", order=35, help="a toy mode", reasons=declared)
    # When it registers, Then a clear error names the code and the shape it must take
    with pytest.raises(ValueError, match="declares reason code") as raised:
        modes.register(mode)
    message = str(raised.value)
    assert refused in message
    assert "'<mode>.<code>'" in message
    assert "'toy_mode." in message  # an example in its own namespace
    # And nothing of it was registered
    assert before == modes.MODES
    assert codes == reasons.REASONS
    assert "toy_mode" not in modes.MARKERS


def test_a_mode_name_its_codes_cannot_be_namespaced_by_is_refused(registry: object) -> None:
    mode = Mode(name="Toy-Mode", order=35, help="a toy mode", reasons={"Toy-Mode.x": "x"})
    with pytest.raises(ValueError, match="its name must be lowercase letters"):
        modes.register(mode)
    # a mode without codes of its own may keep any marker name
    assert "Toy-Mode" not in modes.MARKERS


def test_the_schema_accepts_the_built_in_codes_and_namespaced_plugin_codes_only() -> None:
    import jsonschema

    from pytest_sentry_gate.modes.mode import PLUGIN_REASON
    from pytest_sentry_gate.report import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    reason = schema["properties"]["checks"]["items"]["properties"]["reason"]
    # The pattern is the one register enforces, and no built-in code has that shape
    assert reason["anyOf"][1]["pattern"] == PLUGIN_REASON
    assert not [code for code in reasons.REASONS if re.fullmatch(PLUGIN_REASON, code)]
    validator = jsonschema.Draft202012Validator(reason)
    for code in ("ok", "threshold", "toy_mode.broken", "perf_budget.over_budget_2"):
        assert validator.is_valid(code), code
    refused: tuple[object, ...] = (
        "toy_broken",
        "toy.mode.broken",
        "Toy.broken",
        "toy_mode.",
        "",
        3,
    )
    for value in refused:
        assert not validator.is_valid(value), value


def test_a_plugin_that_registers_an_unnamespaced_code_stops_the_run_saying_why(
    pytester: pytest.Pytester,
) -> None:
    # Given a plugin whose mode declares a code outside its namespace
    pytester.makepyfile(toy_plugin=PLUGIN.replace("toy_late.broken", "toy_broken"), test_toy=CHECKS)
    pytester.makeini("[pytest]\n")
    # When pytest loads it, Then the run stops and says which code and what shape it must take
    result = pytester.runpytest_subprocess(
        "test_toy.py", "-p", "toy_plugin", "-p", "no:cacheprovider"
    )
    assert result.ret != 0
    err = result.stderr.str() + result.stdout.str()
    assert "mode 'toy_late' declares reason code(s) 'toy_broken'" in err
    assert "e.g. 'toy_late.toy_broken'" in err


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


def test_the_readme_table_of_modes_is_generated_from_the_declarations() -> None:
    from pytest_sentry_gate import mode_table

    # Given the README, whose table of modes scripts/sync_generated.py writes
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    # Then the table is the declarations' (run scripts/sync_generated.py otherwise)
    assert mode_table.replaced_readme(readme) == readme, "run scripts/sync_generated.py"
    # And it has one row per mode, in run order, with its marker help and a link to its page
    table = readme.split(mode_table.START)[1].split(mode_table.END)[0]
    assert table.strip().splitlines()[2:] == [
        f"| `{m.name}` | {m.help} | [docs/modes/{m.name}.md](docs/modes/{m.name}.md) |"
        for m in modes.MODES
    ]


#: Where a module of the package outside ``modes/`` may spell a mode's name, and why: none of them
#: keeps a list of modes or treats a mode apart; what a mode is and does, its declaration says.
NAMED_OUTSIDE_MODES = {
    ("cli.py", "verify-loop"): "the command's --mode verify-loop adds the old script's loop row",
    ("old_loop_row.py", "verify-loop"): "the old script's loop row, named as the script named it",
    ("old_loop_row.py", "verify_loop"): "the report's verify_loop section that row is made from",
    ("hooks.py", "verify_loop"): "the loop's marker, put on every check of a loop mode",
    ("selection.py", "verify_loop"): "the loop's marker in a -m expression selects its modes",
    ("sentry/endpoints.py", "verify_loop"): "the loop's marker reads what its modes read",
    ("loop_report.py", "verify_loop"): "the report's verify_loop section",
    ("step_context.py", "verify_loop"): "the report's verify_loop section",
    ("step_summary.py", "verify_loop"): "the report's verify_loop section",
    ("policy.py", "release_gate"): "in CI, a release gate that verified no release fails the run",
    ("sentry/smoke.py", "local-smoke"): "the smoke event's tag, as the old script sent it",
    ("store/target.py", "incident"): "the key of the facts store's incident fact, not the mode",
    ("fixtures/prefetch.py", "incident"): "the facts store's incident read, not the mode",
}


def mode_names_outside_modes() -> set[tuple[str, str]]:
    """Each (module, name) where a module of the package outside ``modes/`` holds a string that
    is a built-in mode's marker or JSON name."""
    package = Path(modes.__file__).resolve().parents[1]
    names = {m.name for m in modes.declared()} | {m.json_name for m in modes.declared()}
    found = set()
    for path in package.rglob("*.py"):
        module = path.relative_to(package).as_posix()
        if module.startswith("modes/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.add((module, node.value))
    return found


def test_no_module_outside_the_declarations_keeps_a_list_of_modes() -> None:
    # Given every string of the package, outside modes/, that spells a built-in mode
    found = mode_names_outside_modes()
    # Then each is one the table above explains: a list of modes, a mode treated apart (its
    # reads, its repository-only checks, its checkpoint) is a field of the declarations
    unexplained = sorted(found - set(NAMED_OUTSIDE_MODES))
    assert not unexplained, f"declare it in modes/<mode>.py instead: {unexplained}"
    stale = sorted(set(NAMED_OUTSIDE_MODES) - found)
    assert not stale, f"no longer named there: remove from NAMED_OUTSIDE_MODES: {stale}"


def test_the_tables_of_modes_treated_apart_are_the_declarations(registry: object) -> None:
    from pytest_sentry_gate import checkpoint_guard, repository_checks
    from pytest_sentry_gate.fixtures import prefetch

    # The built-in modes: the preflight's and the gate's repository-only checks, the two modes
    # that read the checkpoint, the reads each warms
    assert repository_checks.checks() == {
        "setup_preflight": ("test_tauri_capability", "test_sentry_privacy", "test_wiring_markers"),
        "release_gate": ("test_versions_aligned", "test_release_name", "test_release_wiring"),
    }
    assert checkpoint_guard.checkpoint_modes() == {"prod_health", "issue_triage"}
    assert prefetch.planned(["local_smoke"]) == ("client_keys",)
    assert prefetch.planned(["prod_health", "release_gate"]) == (
        *("high_severity", "unresolved_count", "release_issues", "crash_free", "release_side"),
        "bundle_scan",
    )
    # And a mode declared tomorrow takes its place in each, its declaration alone
    eighth = Mode(
        name="toy_mode",
        order=35,
        help="a toy",
        prefetch=("crash_free", "loop_facts"),
        repository_checks=("test_toy_files",),
        reads_checkpoint=True,
    )
    modes.register(eighth)
    assert repository_checks.checks()["toy_mode"] == ("test_toy_files",)
    assert "toy_mode" in checkpoint_guard.checkpoint_modes()
    # (a read the order does not name goes after those it names)
    assert prefetch.planned(["toy_mode", "incident"])[-3:] == (
        *("mitigation", "incident_symbolication"),
        "loop_facts",
    )


def test_the_built_in_declarations_name_reads_of_the_facts_store() -> None:
    from pytest_sentry_gate.store import FactsStore, Stores

    for mode in modes.declared():
        for name in mode.prefetch:
            assert callable(getattr(FactsStore, name, getattr(Stores, name, None))), name


def test_an_eighth_mode_gets_the_reads_it_declares_warmed(
    registry: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib
    import queue

    # (the module as imported now: another test may have imported the package afresh)
    prefetch = importlib.import_module("pytest_sentry_gate.fixtures.prefetch")
    asked: list[str] = []

    sent: list[list[Any]] = []
    monkeypatch.setattr(prefetch, "_together", sent.append)
    go: queue.SimpleQueue[bool] = queue.SimpleQueue()
    # Given a mode no module of the package names, declaring the token's facts, the project's
    # client keys (an endpoint it does not declare), a fact of the health checks and one of the
    # loop's
    reads = ("crash_free", "client_keys", "loop_facts", "auth")
    modes.register(Mode(name="toy_mode", order=35, help="a toy", prefetch=reads))
    # When its run's first two levels start
    stores = NamedReads(asked)
    prefetch._level_one(go, stores, NamedReads(asked, stores), {"toy_mode"})
    prefetch._level_two(go, NamedReads(asked, stores), {"toy_mode"}, False)
    # Then the token's facts and the keys go out with the slugs, the others once the project id
    # is known
    level_one, level_two = ([call.__name__ for call in calls] for calls in sent)
    assert level_one == ["org_resolution", "project_resolution", "auth", "client_keys"]
    assert level_two == ["crash_free", "loop_facts"]
    assert asked == ["release_name", "project_id"]


READS_PLUGIN = """
from pytest_sentry_gate.modes import Mode, register

register(Mode(name="toy_reads", order=35, help="a plugin's mode whose checks read releases",
              prefetch=PREFETCH))
"""

READS_CHECK = """
import pytest

@pytest.mark.toy_reads
def test_toy(sentry_check, sentry_client):
    sentry_check.passed("the toy holds")
"""


@pytest.mark.parametrize("prefetch", [("releases",), ()])
def test_a_plugin_mode_has_the_reads_it_declares_warmed_before_its_checks(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    registry: object,
    sim: Any,
    repo: Path,
    prefetch: tuple[str, ...],
) -> None:
    from tests.conftest import CANARY_TOKEN, demo_target, run_mode

    # Given a plugin's mode that declares it reads the project's newest releases, and a check of
    # it that asks the store nothing
    plugin = READS_PLUGIN.replace("PREFETCH", repr(prefetch))
    pytester.makepyfile(toy_plugin=plugin, test_toy=READS_CHECK)
    pytester.syspathinsert()
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    # When it runs against the demo's Sentry
    result, _ = run_mode(
        pytester, "toy_reads", "-p", "toy_plugin", "test_toy.py", *demo_target(sim.url, repo)
    )
    result.assert_outcomes(passed=1)
    # Then the releases were read as soon as the client opened, and only because it said so
    read = [r.path for r in sim.requests if r.path.endswith("/releases/")]
    assert bool(read) is bool(prefetch), [r.path for r in sim.requests]
