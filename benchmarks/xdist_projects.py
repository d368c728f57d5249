"""``pytest -m verify_loop`` over many projects, serial vs spread over pytest-xdist workers.

Usage (from the repository root)::

    .venv/bin/python benchmarks/xdist_projects.py [--projects 20] [--latency 0.05]
        [--workers 0 4] [--rounds 1]

One simulator on 127.0.0.1 answers every request after ``--latency`` seconds; it holds the demo
story of ``examples/codictate`` (project ``codictate``) plus ``p01``…``pNN``, each with a few
issues. In a copy of the demo app, ``python -m pytest -m verify_loop
--sentry-project=codictate,p01,… -n W --sentry-gate-report=r.json -q`` runs once per ``--workers``
value W (``0``: serial), from no checkpoint each time, with a fresh random token in
``SENTRY_AUTH_TOKEN`` (never printed). For each run: wall time, CPU time of pytest and its
workers, requests the simulator received,
exit code, and whether the report equals the first run's (timings and the temporary paths
aside). Prints a table, then everything as JSON; asserts nothing.

With one facts store per project (``--sentry-project`` with several slugs parametrises the
checks by project) the projects spread over the workers; without it every check is in one group
and ``-n`` cannot help (the table says how many groups the run had).
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentry_simulator import Simulator, TokenSpec  # noqa: E402
from sentry_simulator.scenarios import demo_data  # noqa: E402

SCOPES = ("org:read", "project:read", "project:releases", "event:read")
TIMING = frozenset({"duration", "duration_s", "started_at", "checked_at"})


def untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def run(
    repo: Path, work: Path, url: str, projects: list[str], workers: int, token: str
) -> dict[str, Any]:
    """One run from no checkpoint; ``-n`` in ``addopts`` so the reports' rerun commands agree."""
    shutil.rmtree(repo / ".sentry-gate", ignore_errors=True)
    (work / "r.json").unlink(missing_ok=True)
    (work / "pytest.ini").write_text(f"[pytest]\naddopts = -p xdist -n {workers}\n")
    env = dict(os.environ, SENTRY_AUTH_TOKEN=token)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    command = [
        sys.executable, "-m", "pytest", "-m", "verify_loop", "-q", "-p", "no:cacheprovider",
        f"--sentry-url={url}", "--sentry-org=acme",
        f"--sentry-project={','.join(projects)}", f"--sentry-repo-root={repo}",
        "--sentry-gate-report=r.json", "-o", "sentry_http_timeout=30",
    ]  # fmt: skip
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    report = json.loads((work / "r.json").read_text())
    nodeids = [c["nodeid"] for c in report["checks"]]
    groups = {m.group(1) for n in nodeids if (m := re.search(r"\[([^\]]+)\]$", n))}
    return {
        "workers": workers,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "exit": done.returncode,
        "checks": len(nodeids),
        "groups": len(groups) + 1,
        "counts": report["counts"],
        "report": untimed(report),
    }


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (pytest and its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 4])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    projects = ["codictate", *(f"p{n:02d}" for n in range(1, args.projects))]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "codictate"
        shutil.copytree(
            ROOT / "examples" / "codictate", repo, ignore=shutil.ignore_patterns("pytest.ini")
        )
        work = Path(tmp) / "work"
        work.mkdir()
        data = demo_data(repo, health_story=True)
        for n, slug in enumerate(projects[1:], start=1):
            data.add_project(slug)
            for i in range(n % 4):
                data.add_issue(project=slug, title=f"Error: {slug} broke {i}", level="fatal")
        sim = Simulator(data=data, latency=args.latency)
        results = []
        with sim:
            for _ in range(args.rounds):
                for workers in args.workers:
                    token = "sntryu_" + secrets.token_hex(32)
                    sim.add_token(token, TokenSpec(scopes=SCOPES, kind="user"))
                    before = len(sim.requests)
                    found = run(repo, work, sim.url, projects, workers, token)
                    found["requests"] = len(sim.requests) - before
                    results.append(found)
    first = results[0]["report"]
    print(f"{'workers':>8} {'wall s':>8} {'cpu s':>7} {'requests':>9} {'checks':>7} {'groups':>7} "
          f"{'exit':>5}  same report as the first run")  # fmt: skip
    for found in results:
        same = found["report"] == first
        print(f"{found['workers']:>8} {found['wall_s']:>8} {found['cpu_s']:>7} "
              f"{found['requests']:>9} {found['checks']:>7} {found['groups']:>7} "
              f"{found['exit']:>5}  {same}")  # fmt: skip
    print(json.dumps([{k: v for k, v in r.items() if k != "report"} for r in results], indent=1))


if __name__ == "__main__":
    main()
