"""The README's first command (the demo app against the simulator that the root conftest
starts), and the simulator's ``--run``."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sentry_simulator.__main__ import main
from tests.conftest import CANARY_TOKEN

ROOT = Path(__file__).resolve().parents[1]
PYTEST = str(Path(sys.executable).with_name("pytest"))


def readme_demo_command() -> list[str]:
    """The README's first command after its install step, with this interpreter and pytest.

    Read from the README itself, so the command a newcomer copies is the one tested.
    """
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0].strip()
    run = first_block.split(" && ")[-1]
    swap = {".venv/bin/python": sys.executable, ".venv/bin/pytest": PYTEST, "pytest": PYTEST}
    return [swap.get(word, word) for word in shlex.split(run)]


DEMO_COMMAND = readme_demo_command()


def test_readme_demo_command_passes(clean_env: Path) -> None:
    # Given a fresh shell in the repository root, with a stray SENTRY_ORG and a canary token set
    env = {**os.environ, "SENTRY_ORG": "someone-else", "SENTRY_AUTH_TOKEN": CANARY_TOKEN}

    # When the README's first command runs
    done = subprocess.run(
        DEMO_COMMAND, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    # Then the demo replays offline and tells its story: PASS, PARTIAL and FAIL, with the loop
    out = done.stdout
    assert done.returncode == 1, out + done.stderr  # the demo holds a FAIL on purpose
    assert "sentry-gate demo: examples/codictate replayed offline from " in out
    assert "curl commands name servers that are not running" in out  # dead links, said so
    # A PASS that names a risk shows it under its line ("see risks" points at something)
    privacy = out.index("PASS     test_sentry_privacy:")
    assert out[privacy:].splitlines()[1].startswith("           risk: src/main.ts:5: "), out
    assert "(unset for it: SENTRY_AUTH_TOKEN, SENTRY_ORG)" in out
    rows = [line.split()[:2] for line in out.splitlines() if line[:1].isalpha() and "  " in line]
    assert ["setup-preflight", "PASS"] in rows
    assert ["local-smoke", "PASS"] in rows
    assert ["release-gate", "PASS"] in rows
    assert ["prod-health", "FAIL"] in rows
    assert ["issue-triage", "PARTIAL"] in rows
    assert "overall: FAIL" in out
    assert "FAIL     test_high_severity: 2 high-severity unresolved issue(s)" in out
    assert "verify-loop      unresolved 5 (no previous checkpoint to compare with)" in out
    assert "checkpoint not written: a replay never reads or writes the live checkpoint" in out
    # triage reads as sentences: no "?" standing in for a frame, no "new ... issue(s)" word salad
    assert "1 new issue(s) in the last 24 h (no previous checkpoint): CODICTATE-5" in out
    assert "[high priority] at no in-app frame, owner no owner rule" in out
    assert CANARY_TOKEN not in out + done.stderr
    assert not (ROOT / "examples" / "codictate" / ".sentry-gate").exists()


def test_the_demo_replays_on_xdist_workers_too(clean_env: Path) -> None:
    # Given the README's demo command on a pytest-xdist worker (workers inherit the
    # environment, not the controller's options: the demo tells them to replay). One worker:
    # the demo's one project is one group, so a second worker would start and run nothing.
    done = subprocess.run(
        [*DEMO_COMMAND, "-n", "1"], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    # Then the checks ran on the worker, which replayed the same cassette: the same story,
    # nothing dialled
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "created: 1/1 worker" in out
    rows = [line.split()[:2] for line in out.splitlines() if line[:1].isalpha() and "  " in line]
    assert ["setup-preflight", "PASS"] in rows, out
    assert ["release-gate", "PASS"] in rows
    assert ["prod-health", "FAIL"] in rows
    assert "nothing listens on 127.0.0.1:9" not in out


def test_run_propagates_exit_code_and_stops_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a command that writes down what it was given, then exits 3
    seen = tmp_path / "seen.txt"
    script = (
        "import os, sys; "
        f"open({str(seen)!r}, 'w').write(os.environ['SENTRY_URL'] + ' ' "
        "+ str(len(os.environ['SENTRY_AUTH_TOKEN']))); sys.exit(3)"
    )

    # When it runs through --run, in this process
    code = main(
        [
            *("--scenario", "demo", "--repo", str(ROOT / "examples/codictate")),
            *("--run", "--", sys.executable, "-c", script),
        ]
    )

    # Then its exit code comes back, it saw the simulator and a token, and the simulator is gone
    assert code == 3
    url, token_length = seen.read_text().split()
    assert url.startswith("http://127.0.0.1:")
    assert token_length == "64"
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), 1):
        pass
    err = capsys.readouterr().err
    assert url in err
    assert "never printed" in err


def test_run_without_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--run", "--"])
    assert exit_info.value.code == 2
    assert "--run needs a command after it" in capsys.readouterr().err


def test_run_of_a_missing_program_exits_127(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--issues", "1", "--run", "--", "/nonexistent/program"])
    assert code == 127
    assert "cannot run '/nonexistent/program'" in capsys.readouterr().err


def test_child_exit_code_through_a_real_process() -> None:
    # Given the CLI as its own process, running a command that fails
    done = subprocess.run(
        [
            *(sys.executable, "-m", "sentry_simulator", "--issues", "1", "--run"),
            *("--", sys.executable, "-c", "import sys; sys.exit(5)"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then the CLI exits with the child's code
    assert done.returncode == 5
