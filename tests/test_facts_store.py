"""The facts store: one memoizing store per (org, project) target, and every project checked."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import loop_report
from sentry_simulator import Simulator, SimulatorData, TokenSpec, seeded
from sentry_simulator.scenarios import demo_data
from tests.conftest import CANARY_TOKEN, FULL_SCOPES, load_report

DEMO = Path(__file__).resolve().parents[1] / "examples" / "codictate"
NOW = datetime.now(UTC).replace(microsecond=0)


def _sim(data: SimulatorData) -> Simulator:
    sim = Simulator(data=data)
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    return sim


def _run(pytester: pytest.Pytester, sim: Simulator, *args: str) -> dict[str, Any]:
    os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
    result = pytester.runpytest_inprocess(
        f"--sentry-url={sim.url}",
        "--sentry-org=acme",
        f"--sentry-repo-root={DEMO}",
        "--sentry-gate-report=report.json",
        "-p",
        "no:cacheprovider",
        *args,
    )
    out = result.stdout.str()
    assert "Traceback" not in out
    assert "INTERNALERROR" not in out
    report = load_report(pytester.path / "report.json")
    report["_exit"] = int(result.ret)
    report["_out"] = out
    return report


def _status(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"].split("::")[1]: c["status"] for c in report["checks"]}


# -- 16.1: the report's facts do not depend on which fixtures ran ----------------------------------


def test_the_loop_section_and_checkpoint_come_from_the_store_whatever_ran(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given a project with unresolved issues, and a verify_loop run of one check only (the count,
    # which reads X-Hits and neither the listing nor the high-severity queries)
    data = seeded(issues=12, now=NOW)
    state = tmp_path / "acme_codictate.json"
    with _sim(data) as sim:
        report = _run(
            pytester,
            sim,
            "-m",
            "verify_loop",
            "-k",
            "test_unresolved_count",
            "--sentry-project=codictate",
            f"--sentry-state-file={state}",
        )
    # Then the section and the checkpoint still hold the whole picture: the store read the rest
    loop = report["verify_loop"]
    assert _status(report) == {"test_unresolved_count": "PASS"}
    counted = next(c for c in report["checks"] if "test_unresolved_count" in c["id"])
    assert loop["unresolved_count"] == counted["evidence"]["count"] > 0
    assert loop["high_severity"] is not None
    assert loop["checkpoint_written"], loop["note"]
    saved = json.loads(state.read_text())
    assert saved["unresolved_count"] == len(saved["unresolved_ids"]) == loop["unresolved_count"]


#: What a run's verify_loop section says about Sentry (not when it ran or where it wrote).
SAID = (
    "unresolved_count",
    "statsPeriod",
    "high_severity",
    "release",
    "release_regressions",
    "checkpoint_written",
    "baseline_established",
    "note",
)


def _said(report: dict[str, Any]) -> dict[str, Any]:
    loop = report["verify_loop"]
    history = [{k: v for k, v in p.items() if k != "checked_at"} for p in loop["history"]]
    said = {"report_release": report["release"], "history": history, "triage": report["triage"]}
    return said | {k: loop[k] for k in SAID}


def test_a_check_that_reads_no_sentry_fact_still_gets_the_whole_loop(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given the demo's release with its issues and sessions, and two verify_loop runs: the whole
    # loop, and one check that reads the version files only (no fixture of it opens the client)
    data = demo_data(DEMO, now=NOW, health_story=True, incident_story=False)
    alone, whole = tmp_path / "alone.json", tmp_path / "whole.json"
    with _sim(data) as sim:
        project = ("--sentry-project=codictate",)
        only = _run(
            pytester,
            sim,
            "-m",
            "verify_loop",
            "-k",
            "test_versions_aligned",
            *project,
            f"--sentry-state-file={alone}",
        )
        everything = _run(
            pytester, sim, "-m", "verify_loop", *project, f"--sentry-state-file={whole}"
        )
    # Then the one check's run says what the whole loop says, and writes the same checkpoint:
    # the release under check, the counts, the crash-free rates of the history's point
    assert _status(only) == {"test_versions_aligned": "PASS"}
    said = _said(only)
    assert said == _said(everything)
    assert said["checkpoint_written"], said["note"]
    assert said["report_release"] == said["release"] == "codictate@1.4.2"
    assert said["history"][0]["crash_free_sessions"] is not None
    assert said["triage"]["totals"], "the triage section is the loop's too"
    kept = [json.loads(path.read_text()) for path in (alone, whole)]
    for state in kept:
        del state["checked_at"]
        for point in state["history"]:
            del point["checked_at"]
    assert kept[0] == kept[1]


def test_a_selection_that_leaves_no_check_reads_nothing_and_writes_nothing(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given a verify_loop run whose -k matches no check
    state = tmp_path / "acme_codictate.json"
    with _sim(seeded(issues=3, now=NOW)) as sim:
        report = _run(
            pytester,
            sim,
            "-m",
            "verify_loop",
            "-k",
            "no_such_check",
            "--sentry-project=codictate",
            f"--sentry-state-file={state}",
        )
        asked = len(sim.requests)
    # Then Sentry was not asked, no checkpoint was written, and the section says why
    loop = report["verify_loop"]
    assert (asked, loop["unresolved_count"], loop["checkpoint_written"]) == (0, None, False)
    assert loop["note"] == "checkpoint not written: " + loop_report.NOTHING_RAN
    assert not state.exists()


def test_a_failed_read_is_kept_and_read_once() -> None:
    from pytest_sentry_gate.store.memo import Memo

    memo, calls = Memo(), []

    def read() -> int:
        calls.append(1)
        raise ValueError("boom")

    for _ in range(3):
        with pytest.raises(ValueError, match="boom"):
            memo.get("k", read)
    assert len(calls) == 1
    assert memo.peek("k") is None
    assert memo.get("v", lambda: 7) == memo.peek("v") == 7


# -- 15.6: every configured project is checked ----------------------------------------------------


def _projects(slugs: tuple[str, ...], fatal_in: str, issues: int = 2) -> SimulatorData:
    """Projects with warnings only, except ``fatal_in``, which also has two fatal issues."""
    data = seeded(issues=0, now=NOW, projects=slugs)
    for slug in slugs:
        for n in range(issues):
            data.add_issue(project=slug, title=f"Warn {n}", level="warning", last_seen=NOW)
    for n in range(2):
        data.add_issue(project=fatal_in, title=f"Crash {n}", level="fatal", last_seen=NOW)
    return data


def test_each_project_gets_its_own_checks_and_only_the_broken_one_fails(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given three projects where only the second has fatal issues
    slugs = ("alpha", "beta", "gamma")
    with _sim(_projects(slugs, fatal_in="beta")) as sim:
        # When prod_health checks all three
        report = _run(pytester, sim, "-m", "prod_health", "--sentry-project=" + ",".join(slugs))
    status = _status(report)
    # Then each project has its own checks, named by the project, and only beta's FAILs
    assert status["test_high_severity[beta]"] == "FAIL"
    assert status["test_high_severity[alpha]"] == "PASS"
    assert status["test_high_severity[gamma]"] == "PASS"
    assert {f"test_unresolved_count[{s}]" for s in slugs} <= set(status)
    counted = {
        c["id"].split("[")[1].rstrip("]"): c["evidence"]["count"]
        for c in report["checks"]
        if "test_unresolved_count" in c["id"]
    }
    assert counted == {"alpha": 2, "beta": 4, "gamma": 2}
    assert report["overall_status"] == "FAIL"
    assert report["_exit"] == 1


def test_a_project_that_does_not_exist_fails_by_name(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given two configured projects, the second of which Sentry does not know
    with _sim(_projects(("alpha",), fatal_in="alpha")) as sim:
        report = _run(pytester, sim, "-m", "prod_health", "--sentry-project=alpha,ghost")
    status = _status(report)
    # Then every check of the missing project FAILs naming it; the other is checked as usual
    ghost = [c for c in report["checks"] if c["id"].endswith("[ghost]")]
    assert ghost
    assert all(c["status"] == "FAIL" and "'ghost'" in c["message"] for c in ghost)
    assert status["test_high_severity[alpha]"] == "FAIL"  # its own fatal issues
    assert status["test_unresolved_count[alpha]"] == "PASS"


def _loop_two(pytester: pytest.Pytester, tmp_path: Path, projects: str) -> tuple[Path, Any]:
    """verify_loop's prod_health checks over ``projects`` (alpha has 3 issues, beta 5), with the
    default checkpoint location under a fresh repository."""
    repo = tmp_path / "app"
    repo.mkdir()
    (repo / "package.json").write_text('{"name": "app", "version": "1.0.0"}')
    with _sim(_projects(("alpha", "beta"), fatal_in="beta", issues=3)) as sim:
        os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
        pytester.makeini("[pytest]\nsentry_http_timeout = 2\nsentry_version_files = package.json\n")
        pytester.runpytest_inprocess(
            "-m",
            "verify_loop",
            "-k",
            "prod_health",
            f"--sentry-url={sim.url}",
            "--sentry-org=acme",
            f"--sentry-project={projects}",
            f"--sentry-repo-root={repo}",
            "--sentry-gate-report=report.json",
            "-p",
            "no:cacheprovider",
        )
    return repo, load_report(pytester.path / "report.json")


def test_verify_loop_writes_one_checkpoint_per_project(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given two projects and the default checkpoint location under the repository
    repo, report = _loop_two(pytester, tmp_path, "alpha,beta")
    # Then each project has its own section and its own checkpoint, holding its own issues
    targets = {t["project"]: t["verify_loop"] for t in report["targets"]}
    assert set(targets) == {"alpha", "beta"}
    assert targets["alpha"]["unresolved_count"] == 3
    assert targets["beta"]["unresolved_count"] == 5
    for slug in ("alpha", "beta"):
        saved = json.loads((repo / ".sentry-gate" / f"acme_{slug}.json").read_text())
        assert saved["project"] == slug
        assert saved["unresolved_count"] == targets[slug]["unresolved_count"]


def test_a_missing_project_blocks_only_its_own_checkpoint(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given verify_loop over a project that exists and one that does not
    repo, report = _loop_two(pytester, tmp_path, "alpha,ghost")
    targets = {t["project"]: t["verify_loop"] for t in report["targets"]}
    # Then the missing one writes nothing and says why; the other's checkpoint is written
    assert not targets["ghost"]["checkpoint_written"]
    assert "not written" in targets["ghost"]["note"]
    assert targets["alpha"]["checkpoint_written"], targets["alpha"]["note"]
    assert (repo / ".sentry-gate" / "acme_alpha.json").is_file()
    assert not (repo / ".sentry-gate" / "acme_ghost.json").exists()


def test_twenty_projects_each_checked_once(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given twenty projects, one of which (p13) has fatal issues
    slugs = tuple(f"p{n:02d}" for n in range(20))
    with _sim(_projects(slugs, fatal_in="p13", issues=1)) as sim:
        report = _run(pytester, sim, "-m", "prod_health", "--sentry-project=" + ",".join(slugs))
        project_reads = [r.path for r in sim.requests if r.path.endswith("/projects/acme/p05/")]
    # Then every project's high-severity check ran, and only p13's FAILs
    high = {k: v for k, v in _status(report).items() if k.startswith("test_high_severity[")}
    assert len(high) == 20
    assert {k for k, v in high.items() if v == "FAIL"} == {"test_high_severity[p13]"}
    assert len(project_reads) == 1  # each project's facts are read once


def test_one_state_file_for_several_projects_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given two projects and one explicit checkpoint file (each project needs its own)
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_inprocess(
        "-m",
        "verify_loop",
        "--sentry-url=http://127.0.0.1:9",
        "--sentry-org=acme",
        "--sentry-project=alpha,beta",
        f"--sentry-state-file={tmp_path / 'one.json'}",
        "-p",
        "no:cacheprovider",
    )
    # Then the run stops before anything is read, naming the file, its source and what is allowed
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "one.json" in err
    assert "2 projects are configured (alpha, beta)" in err
    assert not (tmp_path / "one.json").exists()


# -- 16.1: what checks computed themselves are facts ----------------------------------------------


def test_sentry_cli_is_a_fact_a_conftest_can_set(pytester: pytest.Pytester) -> None:
    # Given a conftest that says which sentry-cli this machine has (the fact, not a subprocess)
    pytester.makeconftest(
        """
import pytest
from pytest_sentry_gate.repo.sentry_cli import CliTool

@pytest.fixture(scope="session")
def sentry_cli_tool():
    return CliTool(path="/opt/tools/sentry-cli", version="sentry-cli 2.99.0")
"""
    )
    pytester.makeini("[pytest]\n")
    os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    pytester.runpytest_inprocess(
        "-m",
        "setup_preflight",
        "-k",
        "test_settings_resolved",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={DEMO}",
        "--sentry-gate-report=report.json",
        "-p",
        "no:cacheprovider",
    )
    # Then the preflight's evidence is that fact
    report = load_report(pytester.path / "report.json")
    (resolved,) = report["checks"]
    assert resolved["evidence"]["sentry_cli"] == {
        "path": "/opt/tools/sentry-cli",
        "version": "sentry-cli 2.99.0",
    }


def test_the_repository_wiring_is_a_fact_a_conftest_can_set(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given an empty app repository, and a conftest that says what its wiring is instead: a Tauri
    # app, a release wiring marker in a file without it, a sentry_wiring marker found
    pytester.makeconftest(
        """
import pytest
from pytest_sentry_gate.repo.wiring import WiringResult

@pytest.fixture(scope="session")
def sentry_tauri_repo():
    return True

@pytest.fixture
def sentry_release_wiring_results():
    return (WiringResult("vite.config.ts", "sentryVitePlugin", False, True, None,
                         "vite.config.ts does not use sentryVitePlugin", "add the plugin"),)

@pytest.fixture
def sentry_wiring_results():
    return (WiringResult("src/main.ts", "Sentry.init(", True, True, 3,
                         "src/main.ts:3 contains 'Sentry.init('"),)
"""
    )
    pytester.makeini("[pytest]\nsentry_wiring =\n    src/main.ts: Sentry.init(\n")
    os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    pytester.runpytest_inprocess(
        "-m",
        "setup_preflight or release_gate",
        "-k",
        "test_release_wiring or test_wiring_markers or test_sentry_privacy",
        "--sentry-url=http://127.0.0.1:9",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        "--sentry-release=codictate@1.0.0",
        f"--sentry-repo-root={tmp_path}",
        "--sentry-gate-report=report.json",
        "-p",
        "no:cacheprovider",
    )
    # Then the checks judge those facts, reading nothing of the repository themselves
    report = load_report(pytester.path / "report.json")
    verdicts = {c["id"].split("::")[1]: c for c in report["checks"]}
    release = verdicts["test_release_wiring"]
    assert (release["status"], release["reason"]) == ("FAIL", "release_wiring")
    assert "vite.config.ts does not use sentryVitePlugin" in release["message"]
    markers = verdicts["test_wiring_markers"]
    assert (markers["status"], markers["message"]) == ("PASS", "1 of 1 wiring marker(s) found")
    privacy = verdicts["test_sentry_privacy"]
    assert (privacy["status"], privacy["reason"]) == ("FAIL", "sentry_init_missing")


def test_the_checkpoint_writability_is_a_fact(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given a conftest that says the checkpoint location cannot be written
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def sentry_checkpoint_writable():
    return "read-only file system"
"""
    )
    with _sim(seeded(issues=3, now=NOW)) as sim:
        report = _run(
            pytester,
            sim,
            "-m",
            "prod_health",
            "-k",
            "test_volume_growth",
            "--sentry-project=codictate",
            f"--sentry-state-file={tmp_path / 'state.json'}",
        )
    # Then the growth check says so (PARTIAL, the reason named) instead of probing for itself
    (growth,) = report["checks"]
    assert (growth["status"], growth["reason"]) == ("PARTIAL", "checkpoint_unwritable")
    assert "read-only file system" in growth["message"]


def test_several_projects_keep_the_runbook_order(pytester: pytest.Pytester) -> None:
    # Given two projects and two modes, each with checks that read a project and checks that do not
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_inprocess(
        "--collect-only",
        "-q",
        "-m",
        "local_smoke or incident",
        "--sentry-org=acme",
        "--sentry-project=alpha,beta",
        f"--sentry-repo-root={DEMO}",
        "-p",
        "no:cacheprovider",
    )
    lines = [line for line in result.stdout.lines if "::" in line]
    ids = [line.split("::")[1] for line in lines]
    modes = [
        "local_smoke" if "local_smoke" in line.split("::")[0] else "incident" for line in lines
    ]
    assert "incident" in modes
    # Then mode by mode (pytest's grouping by project would mix them), within a mode the checks
    # that read no project first, then alpha's, then beta's
    assert modes == sorted(modes, key=["local_smoke", "incident"].index)
    smoke = [i for i, mode in zip(ids, modes, strict=True) if mode == "local_smoke"]
    assert smoke[0] == "test_api_answers"
    assert [i for i in smoke if i.endswith("]")] == sorted(
        (i for i in smoke if i.endswith("]")), key=lambda i: i.endswith("[beta]")
    )


def test_a_bug_at_the_loops_end_is_said_not_lost(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a verify_loop run whose end-of-run completion meets an error that is no failed read
    from pytest_sentry_gate.store.registry import Stores

    def broken(self: Stores, owned: Any) -> None:
        raise RuntimeError("a bug, not a read")

    monkeypatch.setattr(Stores, "complete", broken)
    with _sim(seeded(issues=3, now=NOW)) as sim:
        report = _run(
            pytester,
            sim,
            "-m",
            "verify_loop",
            "-k",
            "test_versions_aligned",
            "--sentry-project=codictate",
            f"--sentry-state-file={tmp_path / 'state.json'}",
        )
    # Then the run says so in pytest's warnings instead of ending as if nothing happened
    assert "verify_loop's end not read: RuntimeError('a bug, not a read')" in report["_out"]


def test_a_run_stopped_at_its_first_failure_still_gets_the_whole_loop(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given a check of the user's that fails first, and -x: pytest stops there, before the other
    # selected check runs, and tears the session's fixtures down only after the report is built
    pytester.makepyfile(
        test_first="""
        import pytest

        @pytest.mark.setup_preflight
        @pytest.mark.verify_loop
        def test_mine_fails(sentry_check):
            assert False, "the user's own check fails"
        """
    )
    data = seeded(issues=12, now=NOW)
    state = tmp_path / "acme_codictate.json"
    with _sim(data) as sim:
        report = _run(
            pytester,
            sim,
            "-m",
            "verify_loop",
            "-x",
            "-k",
            "test_mine_fails or test_unresolved_count",
            "--sentry-project=codictate",
            f"--sentry-state-file={state}",
            "test_first.py",
        )
    # Then only the failing check ran
    assert _status(report) == {"test_mine_fails": "FAIL"}
    assert report["_exit"] == 1
    # And the section still holds what the store read at the session's end, while the checkpoint
    # is held back by the failure, which the note names
    loop = report["verify_loop"]
    assert loop["unresolved_count"]
    assert loop["high_severity"] is not None
    assert not loop["checkpoint_written"]
    assert not state.exists()
    assert "test_mine_fails" in loop["note"]
