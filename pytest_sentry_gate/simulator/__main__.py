"""``python -m pytest_sentry_gate.simulator``: serve a seeded simulator until Ctrl-C.

Binds 127.0.0.1 only; ``--port 0`` picks a free port. Prints the URL (never the token).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading

from .data import SimulatorData
from .faults import DEFAULT_SCOPES, TokenSpec
from .server import Simulator

READY = "Sentry simulator serving {url} (org {org}, projects {projects}, {issues} issues)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m pytest_sentry_gate.simulator")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--issues", type=int, default=200, help="unresolved issues to seed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--project", action="append", help="project slug (repeatable)")
    parser.add_argument(
        "--token",
        default=os.environ.get("SENTRY_AUTH_TOKEN"),
        help="bearer token to accept (default: $SENTRY_AUTH_TOKEN)",
    )
    parser.add_argument("--scopes", nargs="+", default=list(DEFAULT_SCOPES))
    parser.add_argument("--org-token", action="store_true", help="the token is an org:ci token")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set)."""
    args = parse_args(argv)
    projects = tuple(args.project or ["codictate"])
    data = SimulatorData.seeded(seed=args.seed, issues=args.issues, org=args.org, projects=projects)
    sim = Simulator(data=data, latency=args.latency, port=args.port)
    if args.token:
        scopes = ("org:ci",) if args.org_token else tuple(args.scopes)
        sim.add_token(
            args.token, TokenSpec(scopes=scopes, kind="org" if args.org_token else "user")
        )
    with sim:
        print(
            READY.format(
                url=sim.url, org=args.org, projects=",".join(projects), issues=args.issues
            ),
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
