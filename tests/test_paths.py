"""Path options: the rootdir they leave alone, and the report path the run may write."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import Simulator
from tests.conftest import CANARY_TOKEN, check, default_sigint, edit_json, load_report


def _setup_lines(result: pytest.RunResult) -> tuple[str, ...]:
    """The header's ``rootdir:`` and ``configfile:`` lines."""
    return tuple(line for line in result.stdout.lines if re.match(r"(rootdir|configfile): ", line))


@pytest.mark.parametrize("option", ["--sentry-gate-report", "--sentry-state-file"])
def test_two_word_path_options_keep_rootdir_and_verdict(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    repo: Path,
    sim: Simulator,
    option: str,
) -> None:
    # Given an app whose ini file (pytester writes tox.ini) names the repository, which has a
    # version mismatch, and a path option pointing outside it: the file exists after one run
    edit_json(repo / "package.json", version="1.4.3")
    pytester.makeini(f"[pytest]\nsentry_http_timeout = 2\nsentry_repo_root = {repo}\n")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    out = tmp_path_factory.mktemp("out")
    path = out / ("report.json" if option == "--sentry-gate-report" else "state.json")
    report = out / "report.json"
    target = (f"--sentry-url={sim.url}", "--sentry-org=acme", "--sentry-project=codictate")
    spellings = {"two words": [option, str(path)], "one word": [f"{option}={path}"]}
    if option != "--sentry-gate-report":  # (release_gate does not write the state file)
        path.touch()
        for words in spellings.values():
            words.append(f"--sentry-gate-report={report}")
    seen: list[tuple[Any, ...]] = []
    # When each spelling runs twice (the second time the file exists)
    for _ in range(2):
        for words in spellings.values():
            result = pytester.runpytest_inprocess(
                "-m", "release_gate", *target, *words, "-p", "no:cacheprovider"
            )
            document = load_report(report)
            versions = check(document, "test_versions_aligned")
            seen.append((_setup_lines(result), result.ret, versions["status"], versions["reason"]))
    # Then every run has the same rootdir and ini file, and the mismatch FAILs each time
    assert path.exists()
    assert seen[0] == (
        (f"rootdir: {pytester.path}", "configfile: tox.ini"),
        1,
        "FAIL",
        "version_mismatch",
    )
    assert seen == [seen[0]] * 4


# -- the report path: replaced only when it is ours, written through when it is a stream ------

ROOT = Path(__file__).resolve().parents[1]
#: A run that needs no network: the preflight's checks against a port nothing listens on.
OFFLINE = ("-m", "setup_preflight", "--sentry-url=http://127.0.0.1:9", "--sentry-org=acme")


def _run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """A real process whose standard output is a pipe (as in ``… | jq``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _report_in(text: str) -> dict[str, Any]:
    """The agent report printed in ``text`` (from its first line ``{`` to its closing ``}``)."""
    start = text.index("{\n")
    document: dict[str, Any] = json.JSONDecoder().raw_decode(text[start:])[0]
    return document


def test_report_to_dev_stdout_pipe(tmp_path: Path) -> None:
    # Given standard output is a pipe
    # When pytest writes the report to /dev/stdout
    done = _run(
        tmp_path,
        "pytest",
        *OFFLINE,
        "-p",
        "no:cacheprovider",
        "--sentry-gate-report",
        "/dev/stdout",
    )
    # Then the report is in the pipe, after pytest's own output, and the run's verdict decides
    assert done.returncode == 1, done.stdout + done.stderr
    assert "cannot write the report" not in done.stdout
    assert _report_in(done.stdout)["schema"] == "pytest-sentry-gate/report@1"
    assert _report_in(done.stdout)["overall_status"] == "FAIL"  # no token


def test_report_to_dev_stdout_redirected_to_a_file(tmp_path: Path) -> None:
    # Given standard output is redirected to a file (``> out.txt``)
    out = tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with out.open("w") as handle:
        args = [sys.executable, "-m", "pytest", *OFFLINE, "-p", "no:cacheprovider"]
        code = subprocess.call(
            [*args, "--sentry-gate-report=/dev/stdout"], cwd=tmp_path, env=env, stdout=handle
        )
    # Then the file keeps pytest's output and the report, neither replacing the other
    text = out.read_text()
    assert code == 1
    assert _report_in(text)["overall_status"] == "FAIL"
    assert "setup-preflight  FAIL" in text  # the terminal summary, printed after the report


def test_cli_report_to_dev_stdout(tmp_path: Path) -> None:
    # When sentry-gate writes --report to /dev/stdout, standard output being a pipe
    done = _run(
        tmp_path,
        "pytest_sentry_gate.cli",
        "--mode",
        "setup-preflight",
        "--url",
        "http://127.0.0.1:9",
        "--org",
        "acme",
        "--report",
        "/dev/stdout",
    )
    # Then the text summary and the report are on standard output, and the verdict decides
    assert done.returncode == 1, done.stderr
    assert _report_in(done.stdout)["overall_status"] == "FAIL"
    assert "cannot write" not in done.stderr


@pytest.mark.parametrize("kind", ["foreign file", "symlink to a file", "directory", "dangling"])
def test_report_path_that_is_not_ours_is_a_usage_error_and_untouched(
    pytester: pytest.Pytester, tmp_path: Path, kind: str
) -> None:
    # Given the report path holds something this tool did not write
    foreign = tmp_path / "notes.json"
    foreign.write_text('{"mine": true}\n')
    path = tmp_path / "report.json"
    if kind == "foreign file":
        path = foreign
    elif kind == "symlink to a file":
        path.symlink_to(foreign)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "nowhere.json")
    before = os.lstat(path)
    # When a run is asked to write the report there
    result = pytester.runpytest_inprocess(
        *OFFLINE, "-p", "no:cacheprovider", "--sentry-gate-report", str(path)
    )
    # Then it is a usage error naming the path, before any check ran, and nothing changed
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--sentry-gate-report {path}: " in result.stderr.str()
    assert os.lstat(path).st_ino == before.st_ino
    assert foreign.read_text() == '{"mine": true}\n'
    assert not list(tmp_path.glob(".report.json-*"))


def test_report_through_a_fifo_and_a_device(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given a FIFO that something reads, and /dev/null
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    try:
        result = pytester.runpytest_inprocess(
            *OFFLINE, "-p", "no:cacheprovider", f"--sentry-gate-report={fifo}"
        )
    finally:
        if reader.is_alive():  # the run failed before writing: let the reader go
            with fifo.open("w"):
                pass
        reader.join(10)
    # Then the report went through the FIFO, which is still a FIFO
    assert result.ret == 1
    assert json.loads(received[0])["overall_status"] == "FAIL"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    # And /dev/null stays the device
    result = pytester.runpytest_inprocess(
        *OFFLINE, "-p", "no:cacheprovider", "--sentry-gate-report=/dev/null"
    )
    assert result.ret == 1
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_fifo_nothing_reads_is_refused_not_waited_on(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    result = pytester.runpytest_inprocess(
        *OFFLINE, "-p", "no:cacheprovider", f"--sentry-gate-report={fifo}"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"cannot write the report to {fifo}" in result.stdout.str()
    assert "a FIFO that nothing reads" in result.stdout.str()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# -- no check ran is not PASS; --collect-only writes nothing ---------------------------------

TWO_MODES = """
import pytest

@pytest.mark.release_gate
def test_release(sentry_check):
    sentry_check.passed("release ok")

@pytest.mark.prod_health
def test_health(sentry_check):
    sentry_check.passed("healthy")
"""
NO_BUNDLED = ("-o", "sentry_bundled_checks=false", "-p", "no:cacheprovider")


def test_a_mode_the_selection_emptied_is_partial_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two modes selected, GitHub Actions, and a -k that keeps only one mode's check
    pytester.makepyfile(test_custom=TWO_MODES)
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = pytester.runpytest_inprocess(
        "-m",
        "release_gate or prod_health",
        "-k",
        "test_release",
        "--sentry-gate-report=r.json",
        *NO_BUNDLED,
    )
    document = load_report(pytester.path / "r.json")
    rows = {r["mode"]: r for r in document["results"]}
    # Then the emptied mode is PARTIAL, naming the selection that emptied it
    assert rows["release-gate"]["status"] == "PASS"
    assert rows["prod-health"]["status"] == "PARTIAL"
    assert rows["prod-health"]["message"] == (
        "prod-health: no check of this mode ran: the selection (-k test_release) deselected its "
        "1 check(s), so nothing was verified"
    )
    assert "-k test_release) deselected its 1 check(s)" in result.stdout.str()
    # And the report, the terminal and the step summary agree: PARTIAL, never PASS
    assert document["overall_status"] == "PARTIAL"
    assert "overall: PARTIAL" in result.stdout.str()
    text = summary.read_text()
    assert text.startswith("## ⚠️ sentry-gate: PARTIAL ·")
    assert "| prod-health | ⚠️ PARTIAL |" in text


def test_collect_only_keeps_the_last_report_and_step_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the last real run's report and step summary
    pytester.makepyfile(test_custom=TWO_MODES)
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = ("-m", "release_gate or prod_health", "--sentry-gate-report=r.json", *NO_BUNDLED)
    assert pytester.runpytest_inprocess(*args).ret == 0
    report = (pytester.path / "r.json").read_bytes()
    written = summary.read_text()
    # When the same selection only collects
    result = pytester.runpytest_inprocess(*args, "--collect-only")
    # Then neither is written, and no verdict is printed
    assert result.ret == 0
    assert (pytester.path / "r.json").read_bytes() == report
    assert summary.read_text() == written
    assert "overall:" not in result.stdout.str()


# -- a run that stopped early is ERROR everywhere ----------------------------------------------

SLOW_CHECKS = """
import pathlib
import time

import pytest

@pytest.mark.release_gate
def test_first(sentry_check):
    sentry_check.passed("release ok")

@pytest.mark.release_gate
def test_slow(sentry_check):
    pathlib.Path("started").touch()
    time.sleep(60)
"""


def _stop_while_checking(
    cwd: Path, argv: list[str], signum: int, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Start ``argv`` in ``cwd``, and send ``signum`` once its slow check has started."""
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 60
    while not (cwd / "started").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the slow check never started"
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def _ci_env(cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["GITHUB_ACTIONS"] = "true"
    env["GITHUB_STEP_SUMMARY"] = str(cwd / "summary.md")
    return env


@pytest.mark.parametrize(
    ("signum", "name"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C (SIGINT)")]
)
def test_a_signal_while_checking_is_error_in_report_and_step_summary(
    tmp_path: Path, signum: int, name: str
) -> None:
    # Given a mode whose first check passed and whose second is still running
    (tmp_path / "test_custom.py").write_text(SLOW_CHECKS)
    argv = [sys.executable, "-m", "pytest", "-m", "release_gate", "--sentry-gate-report=r.json"]
    argv += ["-o", "sentry_bundled_checks=false", "-p", "no:cacheprovider", "test_custom.py"]
    # When the run gets SIGTERM (as a CI runner stops a job) or Ctrl-C
    done = _stop_while_checking(tmp_path, argv, signum, _ci_env(tmp_path))
    # Then pytest stops as interrupted and the report says ERROR, naming the signal
    assert done.returncode == pytest.ExitCode.INTERRUPTED, done.stdout + done.stderr
    document = load_report(tmp_path / "r.json")
    assert document["overall_status"] == "ERROR"
    assert document["error"]["message"] == (
        f"pytest stopped (interrupted by {name}) before every selected check gave its verdict"
    )
    # And the mode's row is ERROR, not the PASS of the one check that finished
    (row,) = document["results"]
    assert row["status"] == "ERROR"
    assert "release-gate     ERROR" in done.stdout
    assert "overall: ERROR" in done.stdout
    # And the step summary says the same
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## ❌ sentry-gate: ERROR")
    assert "| release-gate | ❌ ERROR |" in summary


def test_sentry_gate_json_after_sigterm_is_error(tmp_path: Path) -> None:
    # Given sentry-gate running the same slow checks
    (tmp_path / "test_custom.py").write_text(SLOW_CHECKS)
    argv = [sys.executable, "-m", "pytest_sentry_gate.cli", "--mode", "release-gate", "--json"]
    argv += ["--", "-o", "sentry_bundled_checks=false", "-p", "no:cacheprovider", "test_custom.py"]
    # When it gets SIGTERM
    done = _stop_while_checking(tmp_path, argv, signal.SIGTERM, _ci_env(tmp_path))
    # Then its JSON says ERROR, its row too, and it exits 3 (interrupted; 1 is a FAIL)
    document = json.loads(done.stdout)
    assert document["overall_status"] == "ERROR"
    assert [r["status"] for r in document["results"]] == ["ERROR"]
    assert done.returncode == 3


def test_an_internal_error_is_error_in_the_step_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a plugin hook that crashes while the checks run, under GitHub Actions
    pytester.makeconftest("def pytest_runtestloop(session):\n    raise RuntimeError('boom')\n")
    pytester.makepyfile(test_custom=TWO_MODES)
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=r.json", *NO_BUNDLED
    )
    # Then pytest exits 3 and the report and the step summary both say ERROR
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    document = load_report(pytester.path / "r.json")
    assert document["overall_status"] == "ERROR"
    assert [r["status"] for r in document["results"]] == ["ERROR"]
    assert summary.read_text().startswith("## ❌ sentry-gate: ERROR")


def test_a_collection_error_is_error_in_the_step_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_broken="import no_such_module_anywhere\n")
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "test_broken.py", "--sentry-gate-report=r.json", *NO_BUNDLED
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert load_report(pytester.path / "r.json")["results"][0]["status"] == "ERROR"
    text = summary.read_text()
    assert text.startswith("## ❌ sentry-gate: ERROR")
    assert "| release-gate | ❌ ERROR |" in text


def test_verify_loop_line_after_ctrl_c_says_what_was_not_read(pytester: pytest.Pytester) -> None:
    # Given verify_loop, its first check passed, interrupted (Ctrl-C) before its listing was read
    pytester.makepyfile(
        test_custom="import pytest\n\n"
        "@pytest.mark.release_gate\ndef test_ok(sentry_check):\n    sentry_check.passed('ok')\n\n"
        "@pytest.mark.release_gate\ndef test_stop(sentry_check):\n    raise KeyboardInterrupt\n"
    )
    result = pytester.runpytest_inprocess(
        "-m",
        "verify_loop",
        "--sentry-url=http://127.0.0.1:9",
        "--sentry-org=acme",
        "--sentry-project=app",
        *NO_BUNDLED,
        no_reraise_ctrlc=True,
    )
    # Then the verify_loop line says the listing was not read (never "None")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    lines = result.stdout.lines
    loop = next(i for i, x in enumerate(lines) if x.startswith("verify-loop      unresolved"))
    assert "None" not in " ".join(lines[loop : loop + 3])
    loop = lines[loop]
    assert loop.startswith("verify-loop      unresolved not read (checkpoint not written: ")
    # And no mode's row says PASS although one check passed
    assert "release-gate     ERROR    1 pass" in lines
    assert not [x for x in lines if re.match(r"[a-z-]+ +PASS ", x)]
