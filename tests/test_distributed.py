"""Runbook modes under pytest-xdist: the checks of one project on one worker, one merged report
identical to a serial run's (``distributed``, ``schedule``, ``in_process``)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import pytest

from pytest_sentry_gate import checkpoint, in_process
from pytest_sentry_gate.schedule import RAN_GROUPS, group_of_nodeid, owned_targets
from sentry_simulator import Simulator, TokenSpec
from sentry_simulator.scenarios import demo_data
from tests.conftest import CANARY_TOKEN, FULL_SCOPES, assert_no_secret, load_report

#: What differs between two runs of the same checks: when they ran and how long they took.
TIMING = frozenset({"duration", "duration_s", "started_at", "checked_at"})
PROJECTS = ("codictate", *(f"p{n:02d}" for n in range(1, 8)))


def untimed(value: Any) -> Any:
    """The report without its timings (and the temporary directory pytester names)."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return _no_basetemp(value) if isinstance(value, str) else value


def _no_basetemp(text: str) -> str:
    """Without ``--basetemp=…`` (pytester's subprocess runs each get their own)."""
    return re.sub(r"--basetemp=\S+ ?", "", text)


def _summary(out: str) -> str:
    """The terminal's sentry-gate section (up to pytest's next section)."""
    section = out.split("sentry-gate ==", 1)[1]
    return _no_basetemp(re.split(r"\n=+ ", section, maxsplit=1)[0])


def _junit_properties(path: Path) -> dict[str, list[tuple[str, str]]]:
    cases = ElementTree.parse(path).getroot().iter("testcase")
    return {
        f"{c.get('classname')}::{c.get('name')}": [
            (p.get("name", ""), _no_basetemp(p.get("value", ""))) for p in c.iter("property")
        ]
        for c in cases
    }


def _run(
    pytester: pytest.Pytester,
    sim: Simulator,
    repo: Path,
    workers: str,
    *,
    projects: tuple[str, ...] = ("codictate",),
    ci: bool = True,
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """``pytest -m verify_loop`` with ``-n <workers>`` in ``addopts`` (so the rerun commands in
    the report are the same), writing the report, JUnit XML and the GitHub step summary; each
    run from no checkpoint (``<repo>/.sentry-gate``)."""
    pytester.makeini(f"[pytest]\naddopts = -p xdist -n {workers}\nsentry_http_timeout = 5\n")
    for name in ("report.json", "junit.xml", "summary.md"):
        (pytester.path / name).unlink(missing_ok=True)
    shutil.rmtree(repo / ".sentry-gate", ignore_errors=True)
    os.environ["GITHUB_STEP_SUMMARY"] = str(pytester.path / "summary.md")
    if ci:
        os.environ["GITHUB_ACTIONS"] = "true"
    result = pytester.runpytest_subprocess(
        "-m",
        "verify_loop",
        "--sentry-gate-report=report.json",
        "--junitxml=junit.xml",
        "-p",
        "no:cacheprovider",
        "-v",
        *_target(sim.url, repo, projects),
    )
    out = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in out
    assert "INTERNALERROR" not in out
    assert_no_secret(out, (pytester.path / "report.json").read_text())
    return result, load_report(pytester.path / "report.json")


def _target(url: str, repo: Path, projects: tuple[str, ...] = ("codictate",)) -> tuple[str, ...]:
    return (
        f"--sentry-url={url}",
        "--sentry-org=acme",
        f"--sentry-project={','.join(projects)}",
        f"--sentry-repo-root={repo}",
    )


def _simulator(repo: Path, projects: tuple[str, ...] = ("codictate",)) -> Simulator:
    data = demo_data(repo, health_story=True)
    for n, slug in enumerate(projects[1:], start=1):
        data.add_project(slug)
        for i in range(n % 4):
            data.add_issue(project=slug, title=f"Error: {slug} broke {i}", level="fatal")
    sim = Simulator(data=data)
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    return sim


def test_n_2_gives_the_report_of_a_serial_run(
    pytester: pytest.Pytester, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with _simulator(repo) as sim:
        # Given the whole daily loop over the demo (a FAIL, PARTIALs, skips), run serially
        serial, expected = _run(pytester, sim, repo, "0")
        serial_junit = _junit_properties(pytester.path / "junit.xml")
        serial_summary = _no_basetemp((pytester.path / "summary.md").read_text())
        # When the same run is spread over two xdist workers
        spread, found = _run(pytester, sim, repo, "2")
    # Then the checks ran on a worker, all of them on one (one project: one group)
    out = spread.stdout.str()
    assert "created: 2/2 workers" in out
    workers = set(re.findall(r"^\[(gw\d)\] ", out, flags=re.MULTILINE))
    assert len(workers) == 1, workers
    # and the controller's report, summary, JUnit properties, step summary and exit code are
    # the serial run's (timings aside)
    assert found["counts"] == expected["counts"]
    assert expected["counts"]["FAIL"]
    assert expected["counts"]["PARTIAL"]
    assert untimed(found) == untimed(expected)
    assert found["verify_loop"]["checkpoint_written"]
    assert _summary(out) == _summary(serial.stdout.str())
    assert _junit_properties(pytester.path / "junit.xml") == serial_junit
    assert _no_basetemp((pytester.path / "summary.md").read_text()) == serial_summary
    annotations = [_no_basetemp(line) for line in out.splitlines() if line.startswith("::")]
    assert annotations
    assert annotations == [_no_basetemp(s) for s in serial.stdout.lines if s.startswith("::")]
    assert spread.ret == serial.ret == 1


def test_n_4_over_eight_projects_gives_the_serial_report(
    pytester: pytest.Pytester, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with _simulator(repo, PROJECTS) as sim:
        # Given eight projects checked serially
        serial, expected = _run(pytester, sim, repo, "0", projects=PROJECTS, ci=False)
        # When the same run is spread over four workers
        spread, found = _run(pytester, sim, repo, "4", projects=PROJECTS, ci=False)
    # Then the report and the exit code are the serial run's
    assert "created: 4/4 workers" in spread.stdout.str()
    assert untimed(found) == untimed(expected)
    assert _summary(spread.stdout.str()) == _summary(serial.stdout.str())
    assert "project p07:" in _summary(spread.stdout.str())
    assert spread.ret == serial.ret
    # and every checkpoint written is whole: one writer per project
    written = sorted((repo / ".sentry-gate").glob("*.json"))
    assert written
    for path in written:
        org, project = path.stem.split("_", 1)
        loaded = checkpoint.load(path, org=org, project=project)
        assert loaded.previous is not None, path
        assert loaded.moved_aside is None
    assert not list((repo / ".sentry-gate").glob("*.tmp"))  # no write left half done
    # and each project's checks ran on one worker, the projects over several
    by_project: dict[str, set[str]] = {}
    for worker, nodeid in re.findall(r"^\[(gw\d)\] .*? (\S+::\S+)", spread.stdout.str(), re.M):
        by_project.setdefault(group_of_nodeid(nodeid, PROJECTS), set()).add(worker)
    assert set(by_project) == {*PROJECTS, "sentry"}  # one group per project, one for the rest
    assert all(len(workers) == 1 for workers in by_project.values()), by_project
    assert len(set().union(*by_project.values())) > 1  # spread over several workers


# -- the group of a check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodeid", "group"),
    [
        ("test_prod_health.py::test_high_severity", "sentry"),
        ("test_prod_health.py::test_high_severity[p01]", "p01"),
        ("test_prod_health.py::test_high_severity[web-api]", "web-api"),
        ("test_prod_health.py::test_high_severity[web]", "web"),
        ("test_prod_health.py::test_x[web-api-slow]", "web-api"),
        ("test_prod_health.py::test_x[slow-web]", "web"),
        ("test_prod_health.py::test_x[other]", "sentry"),
        ("test_mine.py::test_y@mine", "mine"),
        ("test_mine.py::test_y[a@b]", "sentry"),
    ],
)
def test_a_check_is_grouped_by_its_project(nodeid: str, group: str) -> None:
    assert group_of_nodeid(nodeid, ("web", "web-api", "p01")) == group


def test_a_worker_owns_the_projects_whose_checks_it_ran() -> None:
    projects = ("web", "codictate", "api")
    config: Any = SimpleNamespace(stash=pytest.Stash())
    # A serial run (no worker's record) owns every project
    assert owned_targets(config, projects) == projects
    # A worker owns those whose checks it ran, in the configured order
    ran = config.stash[RAN_GROUPS] = set()
    ran.update({"api", "web"})
    assert owned_targets(config, projects) == ("web", "api")
    # And with one project, whatever it ran, that project (its checks are ungrouped)
    assert owned_targets(config, ("codictate",)) == ("codictate",)


# -- how -n reaches a mode ----------------------------------------------------------------------

ON_A_WORKER = """
import pytest

@pytest.mark.release_gate
def test_release(sentry_check, request):
    # the worker's own id (not PYTEST_XDIST_WORKER: a suite on xdist passes that on to this run)
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    sentry_check.evidence["worker"] = worker
    sentry_check.passed("release ok")
"""
NO_BUNDLED = ("-o", "sentry_bundled_checks=false", "--sentry-org=acme", "--sentry-project=web")


def _custom(pytester: pytest.Pytester, addopts: str, *args: str) -> tuple[pytest.RunResult, Any]:
    pytester.makeini(f"[pytest]\naddopts = {addopts}\n")
    pytester.makepyfile(test_custom=ON_A_WORKER)
    result = pytester.runpytest_subprocess(
        "-m", "release_gate", "--sentry-gate-report=r.json", *NO_BUNDLED, *args
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    return result, load_report(pytester.path / "r.json")


def test_n_auto_in_addopts_distributes_a_mode(pytester: pytest.Pytester) -> None:
    # Given a project whose addopts distribute its tests (-n auto)
    result, report = _custom(pytester, "-n auto -p xdist")
    # Then the mode's check ran on a worker, silently, and the controller reported it
    assert str(report["checks"][0]["evidence"]["worker"]).startswith("gw")
    assert report["counts"] == {"PASS": 1}
    assert "notices" not in report
    assert "workers" in result.stdout.str()
    # and -n keeps distributing the user's own tests when no mode is selected
    plain = pytester.runpytest_subprocess("test_custom.py", "-p", "no:sentry_gate")
    assert re.search(r"created: (\d+)/\1 workers", plain.stdout.str())


def test_another_dist_becomes_loadgroup_with_a_notice(pytester: pytest.Pytester) -> None:
    result, report = _custom(pytester, "-n 1 --dist load -p xdist")
    notice = in_process.DIST_NOTICE.format(dist="load")
    assert report["notices"] == [notice]
    assert f"notice: {notice}" in " ".join(result.stdout.str().split())
    assert report["checks"][0]["evidence"]["worker"] == "gw0"


def test_a_recording_run_stays_in_process_with_a_notice(pytester: pytest.Pytester) -> None:
    # Given a record mode that writes the cassette
    _result, report = _custom(
        pytester,
        "-n 2 -p xdist",
        "--sentry-record-mode=new_episodes",
        "--sentry-url=http://x.invalid",
    )
    # Then one process runs the mode (one cassette writer), and the notice says why
    assert report["checks"][0]["evidence"]["worker"] is None
    assert report["notices"] == [in_process.NOTICE.format(workers="-n 2")]


def test_no_xdist_still_runs_in_process(pytester: pytest.Pytester) -> None:
    _result, report = _custom(pytester, "-p no:xdist")
    assert report["checks"][0]["evidence"]["worker"] is None
    assert report["counts"] == {"PASS": 1}


CRASHES = """
import os, pytest

@pytest.mark.release_gate
def test_release(sentry_check):
    os._exit(3)  # the worker dies (killed, out of memory) while checking
"""


def test_a_check_whose_worker_crashed_fails_in_the_report(pytester: pytest.Pytester) -> None:
    # Given a check whose worker dies while it runs (xdist's scope scheduling sends it to each
    # replacement worker again; one replacement is enough here, not xdist's default eight)
    pytester.makeini("[pytest]\naddopts = -n 1 -p xdist --max-worker-restart 1\n")
    pytester.makepyfile(test_release_gate=CRASHES)
    result = pytester.runpytest_subprocess(
        "-m", "release_gate", "--sentry-gate-report=r.json", *NO_BUNDLED
    )
    # Then the report names it FAIL (not a run with nothing checked), and the run fails
    report = load_report(pytester.path / "r.json")
    entry = report["checks"][0]
    assert (entry["id"], entry["mode"], entry["status"], entry["reason"]) == (
        "test_release_gate::test_release",
        "release_gate",
        "FAIL",
        "error",
    )
    assert "crashed while running" in entry["message"]
    assert report["counts"] == {"FAIL": 1}
    assert result.ret == 1


CRASHES_ONCE = """
import os, pytest

@pytest.mark.release_gate
def test_release(sentry_check):
    if not os.path.exists("crashed-once"):
        open("crashed-once", "w").close()
        os._exit(3)
    sentry_check.passed("release ok")
"""


def test_a_check_rerun_after_its_worker_crashed_keeps_its_verdict(
    pytester: pytest.Pytester,
) -> None:
    # Given a check whose worker dies once, and xdist runs it again on the worker that replaces
    # it (one worker: the check's group is one, so a second worker would only start and wait)
    pytester.makeini("[pytest]\naddopts = -n 1 -p xdist\n")
    pytester.makepyfile(test_release_gate=CRASHES_ONCE)
    pytester.runpytest_subprocess("-m", "release_gate", "--sentry-gate-report=r.json", *NO_BUNDLED)
    # Then the report holds the check once, with the verdict of the run that finished
    report = load_report(pytester.path / "r.json")
    assert [(c["id"], c["status"]) for c in report["checks"]] == [
        ("test_release_gate::test_release", "PASS")
    ]
