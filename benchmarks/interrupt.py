"""How long a run takes to stop after Ctrl-C while its reads wait for a host that never answers.

Usage (from the repository root)::

    .venv/bin/python benchmarks/interrupt.py [--runs 10] [--mode verify_loop] [--tree PATH]

``benchmarks/hostile_server.py PORT silent`` runs on 127.0.0.1 (every request read, never
answered); ``pytest -m MODE`` runs in a copy of the demo app against it, ``CI=true``, and gets
SIGINT at a random moment 1.5-4 s after it started (seeded: the same moments every time), while
the first reads wait. For each run: the seconds from SIGINT to the process's exit, its exit code
and the report's ``overall_status``. ``--tree`` runs another checkout's package (``PYTHONPATH``),
to compare before and after a change in one sitting. The server is stopped by its process id.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # (a shell's background job ignores it)


def one_run(
    app: Path, url: str, mode: str, tree: Path | None, delay: float
) -> tuple[float, int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "PYTEST_"))}
    env.update(CI="true", SENTRY_AUTH_TOKEN="sntryu_benchmark_not_a_secret")
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    report = app / "r.json"
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", mode,
            f"--sentry-url={url}", "--sentry-gate-report", str(report)]  # fmt: skip
    run = subprocess.Popen(argv, cwd=app, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, preexec_fn=default_sigint)  # fmt: skip
    time.sleep(delay)
    signalled = time.monotonic()
    run.send_signal(signal.SIGINT)
    code = run.wait(timeout=300)
    waited = time.monotonic() - signalled
    status = json.loads(report.read_text())["overall_status"] if report.exists() else "(none)"
    return waited, code, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--mode", default="verify_loop")
    parser.add_argument("--tree", type=Path, default=None, help="another checkout to run")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "hostile_server.py"), str(port), "silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    moments = random.Random(16).sample(range(150, 400), args.runs)
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as scratch:
            app = Path(scratch) / "app"
            shutil.copytree(ROOT / "examples" / "codictate", app)
            waits = []
            for index, moment in enumerate(moments, 1):
                waited, code, status = one_run(
                    app, f"http://127.0.0.1:{port}/", args.mode, args.tree, moment / 100
                )
                waits.append(waited)
                print(f"run {index}: SIGINT at {moment / 100:.2f}s, exit {code} after "
                      f"{waited:.2f}s, report {status}", flush=True)  # fmt: skip
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
    print(
        f"{args.mode}, {args.runs} runs: SIGINT to exit min {min(waits):.2f}s, "
        f"median {statistics.median(waits):.2f}s, max {max(waits):.2f}s"
    )


if __name__ == "__main__":
    main()
