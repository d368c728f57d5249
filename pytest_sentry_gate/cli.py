"""``sentry-gate``: the old shell script's flags, run through pytest.

``sentry-gate --mode verify-loop --org O --project P --repo-root R --json`` runs
``pytest -m verify_loop --sentry-org O --sentry-project P --sentry-repo-root R`` and prints the
agent report on standard output. The exit code is pytest's: 0 for PASS and PARTIAL, 1 for FAIL,
4 for a usage error (the old script's ``--json`` always exited 0).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_sentry_gate import modes

OLD_MODES = tuple(modes.json_name(m) for m in modes.MARKERS)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sentry-gate",
        description="Run the Sentry runbook checks (pytest-sentry-gate) with the old script's "
        "flags. Extra pytest arguments go after '--'.",
    )
    p.add_argument("--mode", required=True, choices=OLD_MODES, help="runbook mode")
    p.add_argument("--org", help="Sentry organization slug (--sentry-org)")
    p.add_argument("--project", help="Sentry project slug(s), comma separated (--sentry-project)")
    p.add_argument("--repo-root", help="app repository (--sentry-repo-root)")
    p.add_argument("--url", help="Sentry server URL (--sentry-url)")
    p.add_argument("--release", help="release under check (--sentry-release)")
    p.add_argument("--environment", help="Sentry environment (--sentry-environment)")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the agent report (JSON) on stdout; pytest's output goes to stderr",
    )
    p.add_argument("--report", metavar="PATH", help="also write the agent report to PATH")
    p.add_argument(
        "--require-host-network",
        action="store_true",
        help="network unavailable is a FAIL, not PARTIAL",
    )
    p.add_argument(
        "--send-test-event", action="store_true", help="local-smoke sends one synthetic event"
    )
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return p


def pytest_args(ns: argparse.Namespace, report: Path | None) -> list[str]:
    """The pytest command line that the old flags stand for."""
    args = ["-m", ns.mode.replace("-", "_")]
    for flag, value in (
        ("--sentry-org", ns.org),
        ("--sentry-project", ns.project),
        ("--sentry-repo-root", ns.repo_root),
        ("--sentry-url", ns.url),
        ("--sentry-release", ns.release),
        ("--sentry-environment", ns.environment),
    ):
        if value:
            args += [flag, value]
    if ns.require_host_network:
        args.append("--require-host-network")
    if ns.send_test_event:
        args.append("--send-test-event")
    if report is not None:
        args += ["--sentry-gate-report", str(report)]
    return [*args, *ns.pytest_args]


def main(argv: Sequence[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    if not ns.json:
        report = Path(ns.report) if ns.report else None
        return int(pytest.main(pytest_args(ns, report)))
    with tempfile.TemporaryDirectory(prefix="sentry-gate-") as tmp:
        report = Path(ns.report) if ns.report else Path(tmp) / "report.json"
        with contextlib.redirect_stdout(sys.stderr):
            code = int(pytest.main(pytest_args(ns, report)))
        if report.is_file():
            sys.stdout.write(report.read_text(encoding="utf-8"))
        else:  # pytest stopped before any check (a usage error): still one JSON document
            sys.stdout.write(json.dumps(_no_report(ns, code), indent=2) + "\n")
    return code


def _no_report(ns: argparse.Namespace, code: int) -> dict[str, object]:
    return {
        "schema": "pytest-sentry-gate/error@1",
        "overall_status": "FAIL",
        "mode": ns.mode,
        "exit_code": code,
        "message": "pytest stopped before running any check (usage error or no checks); "
        "its message is on standard error",
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
