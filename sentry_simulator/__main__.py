"""``python -m sentry_simulator``: serve a simulator, or run one command against it.

Binds 127.0.0.1 only. Without ``--run`` it serves until Ctrl-C (``--port 0`` picks a free port)
and prints the URL (never the token). ``--scenario demo --repo examples/codictate`` serves what
Sentry holds for the demo app (``scenarios.py``) instead of the seeded data set.

``--run -- CMD...`` starts the simulator on a free port, accepts a fresh random token with every
scope the runbook needs, runs CMD with ``SENTRY_URL`` and ``SENTRY_AUTH_TOKEN`` set in its
environment (any other ``SENTRY_*`` variable is removed, so the command cannot reach a real
Sentry by accident), stops the simulator whatever happens, and exits with CMD's exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from .data import SimulatorData
from .faults import DEFAULT_SCOPES, TokenSpec
from .scenarios import SCENARIOS
from .seed import seeded
from .server import Simulator

READY: Final = "Sentry simulator serving {url} ({what})"
RUNNING: Final = (
    "sentry simulator: serving {url} ({what}); running the command with SENTRY_URL={url} and a "
    "throwaway SENTRY_AUTH_TOKEN in its environment (never printed){unset}"
)
UNSET: Final = "; unset for it: {names}"
NO_COMMAND: Final = "--run needs a command after it: --run -- pytest -m release_gate"
NEEDS_REPO: Final = (
    "--scenario {name} needs --repo DIR (the app repository, e.g. examples/codictate)"
)
NOT_FOUND: Final = "sentry simulator: cannot run {command!r}: {error}"
RUN_FLAG: Final = "--run"
DEFAULT_PORT: Final = 8000
EXIT_NOT_FOUND: Final = 127
EXIT_INTERRUPTED: Final = 130
CHILD_GRACE_SECONDS: Final = 10.0
#: Variables the command gets from the simulator (every other ``SENTRY_*`` one is removed).
PASSED: Final = ("SENTRY_URL", "SENTRY_AUTH_TOKEN")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; everything after ``--run`` (and an optional ``--``) is the command."""
    args = list(sys.argv[1:] if argv is None else argv)
    command: list[str] | None = None
    if RUN_FLAG in args:
        at = args.index(RUN_FLAG)
        args, command = args[:at], args[at + 1 :]
        if command[:1] == ["--"]:
            command = command[1:]
    parser = argparse.ArgumentParser(prog="python -m sentry_simulator")
    parser.add_argument(
        "--port", type=int, default=None, help=f"0 picks a free port (default {DEFAULT_PORT}, "
        "or a free port with --run)",
    )  # fmt: skip
    parser.add_argument("--issues", type=int, default=200, help="unresolved issues to seed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--project", action="append", help="project slug (repeatable)")
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        help="serve a named data set instead of the seeded one (needs --repo)",
    )
    parser.add_argument("--repo", type=Path, help="the app repository a scenario describes")
    parser.add_argument(
        "--token",
        default=os.environ.get("SENTRY_AUTH_TOKEN"),
        help="bearer token to accept (default: $SENTRY_AUTH_TOKEN; --run makes its own)",
    )
    parser.add_argument("--scopes", nargs="+", default=list(DEFAULT_SCOPES))
    parser.add_argument("--org-token", action="store_true", help="the token is an org:ci token")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument(
        RUN_FLAG,
        metavar="-- CMD",
        nargs=argparse.REMAINDER,
        help="run CMD against the simulator (SENTRY_URL and SENTRY_AUTH_TOKEN in its "
        "environment), stop it, and exit with CMD's exit code",
    )
    parsed = parser.parse_args(args)
    if command is not None and not command:
        parser.error(NO_COMMAND)
    if parsed.scenario and parsed.repo is None:
        parser.error(NEEDS_REPO.format(name=parsed.scenario))
    parsed.run = command
    return parsed


def build_data(args: argparse.Namespace) -> tuple[SimulatorData, str]:
    """The data to serve and a short description of it."""
    if args.scenario:
        data = SCENARIOS[args.scenario](args.repo)
        slugs = ",".join(p.slug for p in data.projects.values())
        orgs = ",".join(data.organizations)
        return data, f"scenario {args.scenario}: org {orgs}, projects {slugs}"
    projects = tuple(args.project or ["codictate"])
    data = seeded(seed=args.seed, issues=args.issues, org=args.org, projects=projects)
    return data, f"org {args.org}, projects {','.join(projects)}, {args.issues} issues"


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or ``stop``); with ``--run``, run the command and return its code."""
    args = parse_args(argv)
    data, what = build_data(args)
    port = args.port if args.port is not None else (0 if args.run else DEFAULT_PORT)
    sim = Simulator(data=data, latency=args.latency, port=port)
    if args.run:
        return run_command(sim, args.run, what)
    if args.token:
        scopes = ("org:ci",) if args.org_token else tuple(args.scopes)
        sim.add_token(
            args.token, TokenSpec(scopes=scopes, kind="org" if args.org_token else "user")
        )
    with sim:
        print(READY.format(url=sim.url, what=what), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return 0


def child_environment(url: str, token: str) -> tuple[dict[str, str], list[str]]:
    """The command's environment, and the ``SENTRY_*`` names removed from it."""
    env = dict(os.environ)
    removed = sorted(n for n in env if n.startswith("SENTRY_") and n not in PASSED)
    for name in removed:
        del env[name]
    env["SENTRY_URL"] = url
    env["SENTRY_AUTH_TOKEN"] = token
    return env, removed


def run_command(sim: Simulator, command: list[str], what: str) -> int:
    """Run ``command`` against ``sim`` with a fresh token; the simulator stops on every path."""
    token = secrets.token_hex(32)
    sim.add_token(token, TokenSpec(scopes=DEFAULT_SCOPES, kind="user"))
    with sim:
        env, removed = child_environment(sim.url, token)
        unset = UNSET.format(names=", ".join(removed)) if removed else ""
        print(RUNNING.format(url=sim.url, what=what, unset=unset), file=sys.stderr, flush=True)
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as exc:
            print(NOT_FOUND.format(command=command[0], error=exc.strerror), file=sys.stderr)
            return EXIT_NOT_FOUND
        try:
            code = child.wait()
        except KeyboardInterrupt:
            code = _interrupt(child)
    return code if code >= 0 else 128 - code


def _interrupt(child: subprocess.Popen[bytes]) -> int:
    """Ctrl-C: the child got SIGINT from the terminal too; give it time, then kill it."""
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=CHILD_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
