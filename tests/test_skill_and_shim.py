"""The old script's users: the sentry_monitor.sh shim and the agent skill file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pytest_sentry_gate import reason_table
from pytest_sentry_gate.verdict import REASONS

ROOT = Path(__file__).resolve().parent.parent
SKILL = ROOT / "skills" / "sentry-monitoring" / "SKILL.md"
SHIM = ROOT / "skills" / "sentry-monitoring" / "scripts" / "sentry_monitor.sh"


def test_the_skill_files_reason_table_is_verdict_reasons() -> None:
    # Given the skill file agents read (scripts/sync_generated.py rewrites its table)
    text = SKILL.read_text(encoding="utf-8")
    # Then its table is the one generated from REASONS now: every code, with its meaning
    assert reason_table.replaced(text) == text, "run scripts/sync_generated.py"
    table = text[text.index(reason_table.START) : text.index(reason_table.END)]
    assert {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")} == set(
        REASONS
    )


def test_the_shim_runs_sentry_gate_with_the_same_arguments(tmp_path: Path) -> None:
    # Given a sentry-gate on PATH that shows what it was given
    fake = tmp_path / "sentry-gate"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\nexit 7\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    # When the old command line is run through the shim, as the old skill ran it (bash …)
    args = ["--mode", "verify-loop", "--repo-root", "/a dir/with space", "--json"]
    done = subprocess.run(
        [shutil.which("bash") or "bash", str(SHIM), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # Then sentry-gate got exactly those arguments, and its exit code is the shim's
    assert done.stdout.splitlines() == args
    assert done.returncode == 7


def test_the_shim_falls_back_to_the_installed_module(tmp_path: Path) -> None:
    # Given no sentry-gate on PATH, only a python that imports the package
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # (a script, not a symlink: a symlinked venv python outside its venv may not find the venv)
    python = bin_dir / "python3"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "PYTHONPATH": str(ROOT),
    }
    # When the shim is given a bad mode
    done = subprocess.run(
        ["bash", str(SHIM), "--mode", "bogus"], env=env, capture_output=True, text=True, check=False
    )
    # Then sentry-gate itself answered: its usage error and exit code 2, as the old script's
    assert done.returncode == 2, done.stderr
    assert "sentry-gate: error: argument --mode: invalid choice: 'bogus'" in done.stderr
