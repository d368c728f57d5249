"""A report directory that cannot be created or written is refused before any check runs; a
report that still cannot be written at the end makes the summary's exit line say exit 4."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_sentry_gate import atomic, report_file

CHECK = """
import pytest

@pytest.mark.release_gate
def test_release(sentry_check):
    sentry_check.fail("the release is broken", reason="threshold")
"""
NO_BUNDLED = ("-o", "sentry_bundled_checks=false", "-p", "no:cacheprovider")
#: A directory no one can create, root included (Linux's /proc holds no new directory).
UNCREATABLE = Path("/proc/sentry-gate-nope/r.json")
needs_proc = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


@needs_proc
def test_a_directory_that_cannot_be_created_is_refused_before_any_check(
    pytester: pytest.Pytester,
) -> None:
    # Given a check of release_gate
    pytester.makepyfile(test_custom=CHECK)
    # When the report is asked for in a directory that cannot be created
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", f"--sentry-gate-report={UNCREATABLE}", *NO_BUNDLED
    )
    # Then it is a usage error naming the path and the directory, and no check ran
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --sentry-gate-report {UNCREATABLE}: the directory {UNCREATABLE.parent} "
         "cannot be created (*)*"]
    )  # fmt: skip
    assert "test_release" not in result.stdout.str()
    assert "failed" not in result.stdout.str()


@needs_proc
def test_sentry_gate_refuses_such_a_directory_before_the_run(tmp_path: Path) -> None:
    # When the sentry-gate command is asked for its report there
    done = subprocess.run(
        [sys.executable, "-m", "pytest_sentry_gate.cli", "--mode", "release-gate",
         "--report", str(UNCREATABLE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # Then it stops with its usage exit code (2), naming the directory, before pytest runs
    assert done.returncode == 2, done.stderr
    assert f"--report {UNCREATABLE}: the directory {UNCREATABLE.parent} cannot" in done.stderr
    assert "test session starts" not in done.stderr


def test_the_check_creates_the_directories_and_leaves_no_file(tmp_path: Path) -> None:
    # Given a report path two directories below one that exists
    path = tmp_path / "out" / "ci" / "report.json"
    # When the path is checked as a run starts
    how = report_file.plan(path, prepare=True)
    # Then the directories exist, empty: no report, no temporary file was left behind
    assert how == report_file.NEW
    assert path.parent.is_dir()
    assert list(path.parent.iterdir()) == []


def test_a_directory_that_refuses_a_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a directory where no file can be created (a read-only file system, a full disk)
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    # When the path is checked as a run starts
    with pytest.raises(report_file.ReportPathRefused) as refused:
        report_file.plan(tmp_path / "report.json", prepare=True)
    # Then it is refused, naming the directory and why
    assert f"the directory {tmp_path} is not writable (Read-only file system)" in str(refused.value)


def test_a_report_lost_at_the_end_makes_the_exit_line_say_exit_4(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a check that fails, and a disk that fills during the run (the path was fine at the
    # start: the write at the end fails)
    pytester.makepyfile(test_custom=CHECK)

    def full(path: Path, data: bytes, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "replace", full)
    # When the run ends
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=report.json", *NO_BUNDLED
    )
    # Then it exits 4, and the summary's exit line says exit 4 and why, not the verdicts' exit 1
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot write the report to" in out
    assert "No space left on device" in out
    exit_lines = [line for line in result.stdout.lines if line.startswith("exit ")]
    assert exit_lines == [
        f"exit 4: the report could not be written to {pytester.path / 'report.json'} "
        "(why: above); the verdicts alone would exit 1"
    ]


def test_a_fifo_nothing_reads_at_the_end_makes_the_exit_line_say_exit_4(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Given a FIFO that nothing reads (refused when the report is written, at the end)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    pytester.makepyfile(test_custom=CHECK)
    # When the run ends
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", f"--sentry-gate-report={fifo}", *NO_BUNDLED
    )
    # Then the exit status and the summary's exit line agree
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stdout.lines if line.startswith("exit ")] == [
        f"exit 4: the report could not be written to {fifo} (why: above); "
        "the verdicts alone would exit 1"
    ]


def test_collect_only_creates_no_report_directory(pytester: pytest.Pytester) -> None:
    # Given a check of release_gate, and a report path in a directory that does not exist
    pytester.makepyfile(test_custom=CHECK)
    # When the run only collects
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", "--sentry-gate-report=out/ci/report.json", "--collect-only",
        *NO_BUNDLED,
    )  # fmt: skip
    # Then it collected the check and created nothing: it writes no report
    assert result.ret == pytest.ExitCode.OK
    assert "test_release" in result.stdout.str()
    assert not (pytester.path / "out").exists()


def test_a_usage_error_before_the_session_creates_no_report_directory(
    pytester: pytest.Pytester,
) -> None:
    # Given a check of release_gate, and a report path in a directory that does not exist
    pytester.makepyfile(test_custom=CHECK)
    # When -m also names a mode with the report's hyphens (a usage error when pytest configures)
    result = pytester.runpytest_inprocess(
        "-m", "release_gate or prod-health", "--sentry-gate-report=out/ci/report.json",
        *NO_BUNDLED,
    )  # fmt: skip
    # Then the run stops on that usage error and leaves no directory behind
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "names 'prod-health', which is no runbook mode" in result.stderr.str()
    assert not (pytester.path / "out").exists()


def test_under_xdist_the_report_directory_is_tried_once_by_the_controller(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a check of release_gate, and a conftest.py that logs which process tries the
    # report's directory for writing (a worker by the name xdist gives it: none when this suite
    # itself runs on a worker, so the run's controller is not taken for one)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    pytester.makepyfile(test_custom=CHECK)
    pytester.makeconftest(
        "import os\n"
        "from pytest_sentry_gate import atomic\n"
        "_probe = atomic.probe\n\n"
        "def probe(path):\n"
        "    with open(os.path.join(os.path.dirname(__file__), 'probes.log'), 'a') as log:\n"
        "        log.write(os.environ.get('PYTEST_XDIST_WORKER', 'controller') + '\\n')\n"
        "    _probe(path)\n\n"
        "atomic.probe = probe\n"
    )
    # When the check runs on an xdist worker, with the report in a directory that does not exist
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "1", "-m", "release_gate", "--sentry-gate-report=out/report.json",
        *NO_BUNDLED,
    )  # fmt: skip
    # Then the directory was tried once, by the controller, and the report written
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert (pytester.path / "probes.log").read_text().splitlines() == ["controller"]
    assert (pytester.path / "out" / "report.json").is_file()


@needs_proc
def test_collect_only_refuses_no_report_path(pytester: pytest.Pytester) -> None:
    # Given a check of release_gate
    pytester.makepyfile(test_custom=CHECK)
    # When the run only collects, with a report path in a directory that cannot be created
    result = pytester.runpytest_inprocess(
        "-m", "release_gate", f"--sentry-gate-report={UNCREATABLE}", "--collect-only",
        *NO_BUNDLED,
    )  # fmt: skip
    # Then it collects as usual: it writes no report, so the path is not its concern
    assert result.ret == pytest.ExitCode.OK
    assert "test_release" in result.stdout.str()
    assert "--sentry-gate-report" not in result.stderr.str()


@needs_proc
def test_under_xdist_a_directory_that_cannot_be_created_is_refused_before_the_workers_start(
    pytester: pytest.Pytester,
) -> None:
    # Given a check of release_gate
    pytester.makepyfile(test_custom=CHECK)
    # When it would run on an xdist worker, with the report in a directory that cannot be created
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "1", "-m", "release_gate", f"--sentry-gate-report={UNCREATABLE}",
        *NO_BUNDLED,
    )  # fmt: skip
    # Then it is a usage error naming the directory, and no worker was started
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"the directory {UNCREATABLE.parent} cannot be created" in result.stderr.str()
    assert "created: 1/1 worker" not in result.stdout.str()
    assert "gw0" not in result.stdout.str() + result.stderr.str()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only directory")
def test_a_read_only_directory_is_refused_with_the_reason(tmp_path: Path) -> None:
    # Given a directory its owner may not write in
    directory = tmp_path / "locked"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        # When a report path in it is checked as a run starts
        with pytest.raises(report_file.ReportPathRefused) as refused:
            report_file.plan(directory / "report.json", prepare=True)
    finally:
        directory.chmod(0o700)
    # Then it is refused, naming the directory and why the system refused the file
    assert f"the directory {directory} is not writable (Permission denied)" in str(refused.value)
