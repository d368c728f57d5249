"""The client's own CPU per request, beside bare httpx: what a wave of reads costs the interpreter.

Usage (from the repository root)::

    .venv/bin/python benchmarks/request_cpu.py [--requests 200] [--rounds 5]

One simulator on 127.0.0.1 (no latency) holds the demo story plus 100 background issues
(``verify_loop_scale.build``). The same issue-detail paths (about 2.5 KB of JSON each, the size of
triage's third level) are read one after another, alternating round by round:

- **ours**: ``SentryClient.get`` (the read-only guard, the session cache, which is cleared before
  each round, the retry loop, the deadline transport, the depth guard, the JSON parse);
- **httpx**: a bare ``httpx.Client.get`` plus ``response.json()``;
- **page**: ``SentryClient.get`` of the 100-issue unresolved page (about 200 KB), per request.

Each figure is the reading thread's CPU (``time.thread_time``, which the simulator's threads do
not add to) and its wall time, per request, the median of ``--rounds`` rounds. The requests
wait for no latency, so a run at 50 ms per request costs the same CPU per request: when a wave
of N independent reads goes out from one interpreter, its last request leaves about
N x (CPU per request) after the first (the reading threads take turns on the interpreter lock).
Prints a table, then everything as JSON; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpx
from verify_loop_scale import DEMO_APP, SCOPES, build

from pytest_sentry_gate.sentry.client import SentryClient
from sentry_simulator import Simulator, TokenSpec

ISSUES = 100


def per_request(reads: Callable[[], int]) -> tuple[float, float]:
    """CPU and wall milliseconds per request of one round of ``reads`` (it returns its count)."""
    cpu, wall = time.thread_time(), time.perf_counter()
    count = reads()
    return (
        1000 * (time.thread_time() - cpu) / count,
        1000 * (time.perf_counter() - wall) / count,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sentry-gate-request-cpu-"))
    repo = work / "codictate"
    shutil.copytree(DEMO_APP, repo, ignore=shutil.ignore_patterns(".sentry-gate"))
    data = build(repo, ISSUES, 1)
    project = data.project("acme", "codictate")
    assert project is not None
    token = secrets.token_hex(32)
    found: dict[str, list[tuple[float, float]]] = {"ours": [], "httpx": [], "page": []}
    try:
        with Simulator(data=data) as sim:
            sim.add_token(token, TokenSpec(scopes=SCOPES, kind="user"))
            ours = SentryClient(base_url=sim.url, token=token)
            bare = httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {token}"})
            ids = [issue.id for issue in data.issues][: args.requests]
            paths = [f"/api/0/organizations/acme/issues/{i}/" for i in ids]
            listing = "/api/0/organizations/acme/issues/"
            page = {"project": str(project.id), "query": "is:unresolved", "limit": "100"}
            pages = max(1, args.requests // 20)

            def read_ours() -> int:
                ours._cache.clear()  # every round reads again
                for path in paths:
                    ours.get(path)
                return len(paths)

            def read_bare() -> int:
                for path in paths:
                    bare.get(path).json()
                return len(paths)

            def read_pages() -> int:
                for _ in range(pages):
                    ours._cache.clear()
                    ours.get(listing, page)
                return pages

            read_ours(), read_bare(), read_pages()  # warm: connections, imports, caches
            for _ in range(args.rounds):
                found["ours"].append(per_request(read_ours))
                found["httpx"].append(per_request(read_bare))
                found["page"].append(per_request(read_pages))
            size = len(bare.get(paths[0]).content)
            page_size = len(bare.get(listing, params=page).content)
            ours.close()
            bare.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows: list[dict[str, Any]] = []
    for name, runs in found.items():
        rows.append(
            {
                "client": name,
                "bytes": page_size if name == "page" else size,
                "cpu_ms": round(statistics.median(c for c, _ in runs), 3),
                "wall_ms": round(statistics.median(w for _, w in runs), 3),
                "cpu_ms_runs": [round(c, 3) for c, _ in runs],
            }
        )
    print("| client | body bytes | CPU ms per request | wall ms per request |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['client']} | {row['bytes']} | {row['cpu_ms']} | {row['wall_ms']} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
