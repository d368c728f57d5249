"""``sentry-gate``: the old shell script's flags, run through pytest.

``sentry-gate --mode verify-loop --org O --project P --repo-root R --json`` runs
``pytest -m verify_loop --sentry-org O --sentry-project P --sentry-repo-root R`` and prints the
agent report on standard output. The setting flags come from the settings table (each row's
``cli`` flags map to its pytest flags), so the two cannot drift apart. The exit code is pytest's:
0 for PASS and PARTIAL, 1 for FAIL, 5 for a mode without checks; any usage error (a bad flag or
a bad value) exits 2 (the old script's ``--json`` always exited 0). With ``--json``, standard
output always holds one JSON document: the agent report, or, when the run stopped before any
check, a report with ``overall_status: "ERROR"`` and the message.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import pytest

from pytest_sentry_gate import modes
from pytest_sentry_gate.settings import ROWS

OLD_MODES = tuple(modes.json_name(m) for m in modes.MARKERS)
USAGE_EXIT = 2
ERROR = "ERROR"


class UsageFailure(Exception):
    """A bad ``sentry-gate`` flag (argparse's message, without exiting)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageFailure(f"{self.prog}: error: {message}")


def _mode(text: str) -> str:
    """``release-gate`` or ``release_gate``: the old script's spelling, normalized."""
    name = text.replace("_", "-")
    if name not in OLD_MODES:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {', '.join(OLD_MODES)}; '_' or '-')"
        )
    return name


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="sentry-gate",
        description="Run the Sentry runbook checks (pytest-sentry-gate) with the old script's "
        "flags. Extra pytest arguments go after '--'.",
    )
    p.add_argument(
        "--mode", required=True, type=_mode, help="runbook mode: " + ", ".join(OLD_MODES)
    )
    for name, row in ROWS.items():
        for index, (cli_flag, flag) in enumerate(zip(row.cli, row.all_flags, strict=False)):
            if index == 0:
                text = f"{row.help} ({flag})"
            else:
                what = "turn off" if flag == row.negative else "alias of"
                text = f"{what} {row.cli[0]} ({flag})"
            if row.switch:
                p.add_argument(cli_flag, action="store_true", dest=_dest(name, index), help=text)
            else:
                p.add_argument(cli_flag, dest=_dest(name, index), metavar=row.metavar, help=text)
    p.add_argument(
        "--json",
        action="store_true",
        help="print the agent report (JSON) on stdout; pytest's output goes to stderr",
    )
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return p


def _dest(name: str, index: int) -> str:
    return name if index == 0 else f"{name}_{index}"


def pytest_args(ns: argparse.Namespace, report: Path | None) -> list[str]:
    """The pytest command line that the old flags stand for."""
    args = ["-m", ns.mode.replace("-", "_")]
    for name, row in ROWS.items():
        if name == "report":
            continue  # the caller decides (a temporary file for --json)
        for index, flag in enumerate(row.all_flags[: len(row.cli)]):
            value = getattr(ns, _dest(name, index))
            if row.switch and value:
                args.append(flag)
            elif not row.switch and value:
                args += [flag, value]
    if report is not None:
        args += [ROWS["report"].flags[0], str(report)]
    return [*args, *ns.pytest_args]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in argv[: argv.index("--") if "--" in argv else len(argv)]
    started = time.time()
    try:
        ns = parser().parse_args(argv)
    except UsageFailure as exc:
        sys.stderr.write(parser().format_usage() + f"{exc}\n")
        if wants_json:
            mode = _mode_of(argv)
            _print(_error_report(mode, str(exc), started))
        return USAGE_EXIT
    if not ns.json:
        report = Path(ns.report) if ns.report else None
        return _exit_code(int(pytest.main(pytest_args(ns, report))))
    with tempfile.TemporaryDirectory(prefix="sentry-gate-") as tmp:
        report = Path(ns.report) if ns.report else Path(tmp) / "report.json"
        errors = _Tee(sys.stderr)
        with contextlib.redirect_stdout(sys.stderr), contextlib.redirect_stderr(errors):
            code = int(pytest.main(pytest_args(ns, report)))
        if report.is_file():
            sys.stdout.write(report.read_text(encoding="utf-8"))
        else:  # pytest stopped before any check (a usage error): still one JSON document
            _print(_error_report(ns.mode, _pytest_error(errors.getvalue(), code), started))
    return _exit_code(code)


def _exit_code(code: int) -> int:
    return USAGE_EXIT if code == pytest.ExitCode.USAGE_ERROR else code


def _mode_of(argv: Sequence[str]) -> str:
    """The ``--mode`` value of a command line argparse refused, if it names a mode."""
    for index, arg in enumerate(argv):
        value = None
        if arg == "--mode" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--mode="):
            value = arg.partition("=")[2]
        if value is not None and value.replace("_", "-") in OLD_MODES:
            return value.replace("_", "-")
    return ""


def _pytest_error(stderr: str, code: int) -> str:
    """pytest's own ``ERROR:`` lines, or what stopped it when it printed none."""
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("ERROR: "):
            return "\n".join([line.removeprefix("ERROR: "), *lines[index + 1 :]]).strip()
    return f"pytest stopped before running any check (exit code {code}); see standard error"


def _error_report(mode: str, message: str, started: float) -> dict[str, Any]:
    """A report (schema ``pytest-sentry-gate/report@1``) for a run that stopped before any check."""
    return {
        "schema": "pytest-sentry-gate/report@1",
        "overall_status": ERROR,
        "mode": mode,
        "org": None,
        "project": None,
        "server": "",
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 3),
        "results": [
            {
                "mode": mode,
                "status": ERROR,
                "message": message,
                "evidence": "",
                "risks": "",
                "next_commands": "sentry-gate --help",
            }
        ],
        "checks": [],
    }


def _print(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


class _Tee(io.StringIO):
    """Keeps what is written to standard error, and writes it through."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target

    def write(self, text: str) -> int:
        self._target.write(text)
        return super().write(text)

    def flush(self) -> None:
        self._target.flush()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
