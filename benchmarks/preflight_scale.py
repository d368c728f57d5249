"""Requests, wall time and peak memory of a runbook mode against a simulator with a big backlog.

Usage (from the repository root)::

    .venv/bin/python benchmarks/preflight_scale.py [--issues 50000] [--mode setup_preflight]

Seeds a simulator on 127.0.0.1 (``sentry_simulator.seeded(seed=1, issues=N)``), gives it a fresh
random token with every scope the runbook needs (never printed), writes a throwaway repository
whose ``pyproject.toml`` names org ``acme``, project ``codictate`` and the simulator's URL, and
runs ``python -m pytest -m MODE --sentry-gate-report=r.json -q -p no:cacheprovider`` there under
``/usr/bin/time -v`` (peak RSS of the pytest process; without GNU time, ``getrusage`` of the
children). Prints as JSON: seeding time, wall time, exit code, overall status and check
statuses from the report, the number of HTTP requests the simulator received (``sim.requests``)
grouped by method and path, and the peak RSS in MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

#: Run as a script, this file would import the package the venv was installed from: import
#: the checkout it belongs to (``ROOT``) instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentry_simulator import Simulator, TokenSpec, seeded  # noqa: E402

SCOPES = ("org:read", "project:read", "project:releases", "event:read")
GNU_TIME = "/usr/bin/time"
_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


def run_mode(sim: Simulator, token: str, mode: str, repo: Path) -> dict[str, Any]:
    """Run one mode in ``repo`` against ``sim``; wall time, exit code and peak RSS."""
    (repo / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        'sentry_org = "acme"\n'
        'sentry_project = "codictate"\n'
        f'sentry_url = "{sim.url}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "PYTEST_"))}
    env["SENTRY_AUTH_TOKEN"] = token
    # pytest runs in a temporary directory: import this checkout, not the venv's installed one.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    pytest_cmd = [sys.executable, "-m", "pytest", "-m", mode, "--sentry-gate-report=r.json"]
    pytest_cmd += ["-q", "-p", "no:cacheprovider"]
    gnu_time = Path(GNU_TIME).exists()
    argv = [GNU_TIME, "-v", *pytest_cmd] if gnu_time else pytest_cmd
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if gnu_time:
        found = _MAX_RSS.search(done.stderr)
        peak_kb = int(found.group(1)) if found else -1
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert token not in done.stdout + done.stderr, "the token leaked into the output"
    report_path = repo / "r.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return {
        "wall_s": round(wall, 3),
        "exit_code": done.returncode,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rss_source": "/usr/bin/time -v" if gnu_time else "getrusage(RUSAGE_CHILDREN)",
        "overall_status": report.get("overall_status"),
        "checks": {c["nodeid"]: c["status"] for c in report.get("checks", [])},
        "summary_line": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=50_000)
    parser.add_argument("--mode", default="setup_preflight")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    data = seeded(seed=args.seed, issues=args.issues)
    seed_s = time.perf_counter() - start
    token = secrets.token_hex(32)
    sim = Simulator(data=data)
    sim.add_token(token, TokenSpec(scopes=SCOPES, kind="user"))
    repo = Path(tempfile.mkdtemp(prefix="sentry-gate-scale-"))
    try:
        with sim:
            result = run_mode(sim, token, args.mode, repo)
            by_path = Counter(f"{r.method} {r.path}" for r in sim.requests)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    out = {
        "mode": args.mode,
        "issues": args.issues,
        "seed_s": round(seed_s, 3),
        **result,
        "requests": sum(by_path.values()),
        "requests_by_path": dict(by_path.most_common()),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
