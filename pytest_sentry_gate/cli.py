"""``sentry-gate``: the old shell script's flags, run through pytest.

``sentry-gate --mode verify-loop --org O --project P --repo-root R --json`` runs
``pytest -m verify_loop --sentry-org O --sentry-project P --sentry-repo-root R`` (the same code
path as pytest, no second implementation) and prints the agent report on standard output; without
``--json`` it prints the old script's text summary (``cli_text``). pytest's own output goes to
standard error either way. ``--mode all`` (the default, as in the old script) runs the old
script's five modes without writing the checkpoint. The setting flags come from the settings
table (each row's ``cli`` flags map to its pytest flags), so the two cannot drift apart; the
plugin's own ``--sentry-…`` options are passed through as well, and anything after ``--`` goes to
pytest unchanged.

Exit codes: 0 PASS, 1 FAIL (or a run that did not finish, e.g. a collection error), 2 usage error
(a bad flag or a bad value: the old script's code; pytest itself says 4), 3 interrupted (Ctrl-C or
SIGTERM; pytest says 2). A PARTIAL exits as the exit policy says (``--fail-on``,
``sentry_fail_on``): 1 under ``partial`` (the default in CI), 0 under ``fail`` (the default
elsewhere). The old script's ``--json`` always exited 0. With ``--json``, standard output always
holds one JSON document: the agent report, or, when the run stopped before any check, a report
with ``overall_status: "ERROR"`` and the message.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import pytest

from pytest_sentry_gate import cli_text, modes, old_loop_row, report_file
from pytest_sentry_gate.interrupts import SIGINT_NAME, SIGTERM_NAME
from pytest_sentry_gate.plugin import RERUN_ATTRIBUTE, mask_credentials
from pytest_sentry_gate.report import SCHEMA_ID
from pytest_sentry_gate.rerun import without_replay
from pytest_sentry_gate.rootdir import VALUE_FLAGS
from pytest_sentry_gate.settings import ROWS

ALL = "all"
#: The old script's modes (and ``incident``), then ``all``, its default.
OLD_MODES = (*(modes.json_name(m) for m in modes.MARKERS), ALL)
#: What ``--mode all`` selects: every mode the old script had, without the checkpoint.
ALL_EXPRESSION = " or ".join(modes.LOOP_MODES)
USAGE_EXIT = 2
FAIL_EXIT = 1
#: Stopped by Ctrl-C or SIGTERM (pytest says 2, INTERRUPTED, for this and for collection errors).
INTERRUPTED_EXIT = 3
ERROR = "ERROR"
PLUGIN_PREFIX = "--sentry-"


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
        "flags. The plugin's --sentry-... options are accepted too; extra pytest arguments go "
        "after '--'. Exit: 0 PASS, 1 FAIL, 2 usage error, 3 interrupted; PARTIAL: 1 in CI, 0 "
        "elsewhere (--fail-on).",
    )
    p.add_argument(
        "--mode",
        type=_mode,
        default=ALL,
        help="runbook mode: " + ", ".join(OLD_MODES) + f" (default: {ALL})",
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
        help="print the agent report (JSON) on stdout instead of the text summary",
    )
    return p


def _dest(name: str, index: int) -> str:
    return name if index == 0 else f"{name}_{index}"


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The namespace of a ``sentry-gate`` command line: its flags, then ``plugin_args`` (the
    ``--sentry-…`` options it passes through) and ``pytest_args`` (everything after ``--``)."""
    argv = list(argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    ns, extras = parser().parse_known_args(argv[:cut])
    unknown = [
        arg
        for index, arg in enumerate(extras)
        if not arg.startswith(PLUGIN_PREFIX)
        and not (
            index > 0
            and extras[index - 1].startswith(PLUGIN_PREFIX)
            and "=" not in extras[index - 1]
            and not arg.startswith("-")
        )
    ]
    if unknown:
        raise UsageFailure(f"sentry-gate: error: unrecognized arguments: {' '.join(unknown)}")
    ns.plugin_args = extras
    ns.pytest_args = argv[cut + 1 :]
    return ns


def _options(ns: argparse.Namespace) -> list[tuple[str, str, str | None]]:
    """``(sentry-gate flag, pytest flag, value or None for a switch)`` for each flag given."""
    given = []
    for name, row in ROWS.items():
        for index, (cli_flag, flag) in enumerate(zip(row.cli, row.all_flags, strict=False)):
            value = getattr(ns, _dest(name, index))
            if value:
                given.append((cli_flag, flag, None if row.switch else str(value)))
    return given


def pytest_args(ns: argparse.Namespace, report: Path | None) -> list[str]:
    """The pytest command line that the old flags stand for."""
    args = ["-m", ALL_EXPRESSION if ns.mode == ALL else ns.mode.replace("-", "_")]
    for _cli, flag, value in _options(ns):
        if flag == ROWS["report"].flags[0]:
            continue  # the caller decides (a temporary file for --json)
        args.append(flag if value is None else f"{flag}={value}")
    if report is not None:
        args.append(f"{ROWS['report'].flags[0]}={report}")
    return [*args, *joined(ns.plugin_args), *ns.pytest_args]


def joined(args: Sequence[str]) -> list[str]:
    """``--sentry-x VALUE`` as one word, ``--sentry-x=VALUE``: pytest chooses its rootdir before
    it knows our options, so a separate value that exists as a path would count as a test path."""
    out: list[str] = []
    for arg in args:
        if out and out[-1] in VALUE_FLAGS and not arg.startswith("-"):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def rerun_command(ns: argparse.Namespace) -> str:
    """The ``sentry-gate`` command that reruns this run, as the user gave it (``--mode`` and the
    options in effect, URL credentials masked), without a replaying record mode (``rerun.py``)."""
    words = ["sentry-gate", "--mode", ns.mode]
    for cli_flag, _flag, value in _options(ns):
        words += [cli_flag] if value is None else [cli_flag, value]
    if ns.json:
        words.append("--json")
    words += ns.plugin_args
    if ns.pytest_args:
        words += ["--", *ns.pytest_args]
    return shlex.join(mask_credentials(word) for word in without_replay(words))


class Invocation:
    """Handed to ``pytest.main``: tells the plugin how the user ran it (``rerun_command``)."""

    def __init__(self, rerun: str) -> None:
        setattr(self, RERUN_ATTRIBUTE, rerun)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in argv[: argv.index("--") if "--" in argv else len(argv)]
    started = time.time()
    try:
        ns = parse(argv)
    except UsageFailure as exc:
        sys.stderr.write(parser().format_usage() + f"{exc}\n")
        if wants_json:
            _print(_error_report(_mode_of(argv), str(exc), started))
        return USAGE_EXIT
    target = Path(ns.report) if ns.report else None
    if target is not None:
        try:
            report_file.plan(target, prepare=True)
        except report_file.ReportPathRefused as exc:
            sys.stderr.write(f"sentry-gate: error: --report {exc}\n")
            if ns.json:
                _print(_error_report(ns.mode, f"--report {exc}", started))
            return USAGE_EXIT
    with tempfile.TemporaryDirectory(prefix="sentry-gate-") as tmp:
        report = Path(tmp) / "report.json"  # --report gets the finished document (see _deliver)
        errors = _Tee(sys.stderr)
        with contextlib.redirect_stdout(sys.stderr), contextlib.redirect_stderr(errors):
            code = int(
                pytest.main(pytest_args(ns, report), plugins=[Invocation(rerun_command(ns))])
            )
        if not _written_since(report, started):  # pytest stopped before any check
            failed = _error_report(ns.mode, _pytest_error(errors.getvalue(), code), started)
            if ns.json:
                _print(failed)
            _deliver(target, failed)
            return USAGE_EXIT if code == pytest.ExitCode.USAGE_ERROR else FAIL_EXIT
        document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    document["mode"] = ns.mode  # the mode as asked (``verify-loop``, ``all``), as the old script
    loop_row = old_loop_row.row(document, rerun_command(ns)) if ns.mode == "verify-loop" else None
    if loop_row is not None:
        document["results"].append(loop_row)
    sys.stdout.write(
        json.dumps(document, indent=2) + "\n" if ns.json else cli_text.render(document)
    )
    sys.stdout.flush()
    if not _deliver(target, document):
        return USAGE_EXIT
    return exit_code(code, document["overall_status"], by_signal=_by_signal(document))


def _deliver(target: Path | None, document: dict[str, Any]) -> bool:
    """Write the document to ``--report`` (a file, or through ``/dev/stdout``, a FIFO…)."""
    if target is None:
        return True
    try:
        report_file.write(target, json.dumps(document, indent=2) + "\n")
    except (OSError, report_file.ReportPathRefused) as exc:
        why = exc if isinstance(exc, report_file.ReportPathRefused) else exc.strerror or exc
        sys.stderr.write(f"sentry-gate: error: cannot write the report to {target}: {why}\n")
        return False
    return True


def _written_since(path: Path, started: float) -> bool:
    """Whether this run wrote ``path`` (a ``--report`` file may be left from an earlier run)."""
    return path.is_file() and path.stat().st_mtime >= started - 1


def _by_signal(document: dict[str, Any]) -> bool:
    """Whether the report says Ctrl-C or SIGTERM stopped the run (``interrupts.interruption``)."""
    message = str((document.get("error") or {}).get("message", ""))
    return any(f" by {name})" in message for name in (SIGINT_NAME, SIGTERM_NAME))


def exit_code(pytest_code: int, overall: str, *, by_signal: bool = False) -> int:
    """0 PASS, 1 FAIL (or a run that did not finish), 2 usage error, 3 interrupted (Ctrl-C,
    SIGTERM); a PARTIAL is 0, unless the exit policy (``--fail-on partial``, the default in CI)
    made pytest exit 1 for it."""
    if pytest_code == pytest.ExitCode.USAGE_ERROR:
        return USAGE_EXIT
    if pytest_code == pytest.ExitCode.INTERRUPTED and by_signal:
        return INTERRUPTED_EXIT
    finished = pytest_code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    return 0 if finished and overall in ("PASS", "PARTIAL") else FAIL_EXIT


def _mode_of(argv: Sequence[str]) -> str:
    """The ``--mode`` value of a command line argparse refused, if it names a mode (``all``, the
    default, when it has none)."""
    given = False
    for index, arg in enumerate(argv):
        given = given or arg == "--mode" or arg.startswith("--mode=")
        value = None
        if arg == "--mode" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--mode="):
            value = arg.partition("=")[2]
        if value is not None and value.replace("_", "-") in OLD_MODES:
            return value.replace("_", "-")
    return "" if given else ALL


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
        "schema": SCHEMA_ID,
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
