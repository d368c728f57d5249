"""The demo re-record script, and the root conftest replaying the demo's cassette offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = "setup_preflight or release_gate"


def root_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-m", MODES, "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_record_script_then_offline_replay(tmp_path: Path) -> None:
    # Given the demo cassettes re-recorded by the documented script into a directory
    script = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "record_demo.py"), "--cassette-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert script.returncode == 0, script.stdout + script.stderr
    cassette = tmp_path / "acme" / "codictate.yaml"
    assert cassette.is_file()
    recorded = script.stdout
    # When the root's demo runs with no record mode and no server configured
    replay = root_pytest(f"--sentry-cassette-dir={tmp_path}")
    out = replay.stdout
    # Then it replays the cassette (no simulator) and shows the recorded verdicts
    assert "record-mode=none" in out, out
    assert replay.returncode == 0, out + replay.stderr
    summary = out[out.index("sentry-gate ===") :]
    assert "overall: PASS" in summary
    section = ""
    for line in recorded[recorded.index("sentry-gate ===") :].splitlines():
        if line and not line.startswith(" "):
            section = line.split(" ", 1)[0]  # the mode a check line belongs to
        in_replay = section in ("setup-preflight", "release-gate")
        if in_replay and (line.startswith("  PASS") or line.startswith("  FAIL")):
            assert line.split(":", 1)[0] + ":" in summary  # the same verdict for the same check


def test_every_mode_replays_to_the_report_it_recorded(tmp_path: Path) -> None:
    # Given every mode recorded against the simulator's demo, with its agent report
    modes = (
        "setup_preflight or local_smoke or release_gate or prod_health or issue_triage or incident"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}

    def run(*args: str) -> dict[str, object]:
        report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-m", modes, "-p", "no:cacheprovider", "-q",
             f"--sentry-cassette-dir={tmp_path / 'cassettes'}", f"--sentry-gate-report={report}",
             *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        loaded: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
        return loaded

    recorded = run("--sentry-record-mode=all")
    # When the same modes replay from the cassette, offline
    replayed = run()

    # Then every check gives the same verdict, reason and evidence, and each mode the same row
    def verdicts(report: dict[str, object]) -> list[tuple[object, ...]]:
        checks = report["checks"]
        assert isinstance(checks, list)
        # the record mode itself is the one fact that differs (all, then none)
        return [
            (c["id"], c["status"], c["reason"], json.dumps(c["evidence"] | {"record_mode": "-"}))
            if "record_mode" in c["evidence"]
            else (c["id"], c["status"], c["reason"], json.dumps(c["evidence"]))
            for c in checks
        ]

    assert replayed["record_mode"] == "none"
    assert verdicts(replayed) == verdicts(recorded)
    rows = [(r["mode"], r["status"], r["message"]) for r in replayed["results"]]  # type: ignore[attr-defined]
    assert rows == [(r["mode"], r["status"], r["message"]) for r in recorded["results"]]  # type: ignore[attr-defined]
    assert {r["mode"] for r in replayed["results"]} >= {"local-smoke", "incident"}  # type: ignore[attr-defined]
