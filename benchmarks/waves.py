"""How serial a run's Sentry reads are: waves, HTTP span and the dependency-chain bound.

Usage (from the repository root)::

    .venv/bin/python benchmarks/waves.py [--issues 100 1000 10000] [--latency 0.05]
        [--modes verify_loop prod_health incident] [--server-work within|after]

For each backlog size N and mode, one simulator on 127.0.0.1 holds the demo story of
``examples/codictate`` plus background issues (``verify_loop_scale.build``: exactly N unresolved
issues in the window) and answers every request ``--latency`` seconds after it arrived, building
the answer meanwhile (``--server-work within``, the default since 2026-12-03 16:50: a real
server's round trip includes its own work; the simulator builds a 100-issue page from the whole
backlog in 10-20 ms of this benchmark's CPU, and serializes its answers under one lock). With
``--server-work after`` (the measurement before) the simulator's work follows the latency, so every
answer takes the latency plus that work, and a burst of requests queues behind the lock: the span,
in latencies, then counts the simulator's CPU too. ``pytest -m MODE`` runs in a copy of the demo
app. The arrival time of every request is recorded, and:

- **requests**: how many the run sent;
- **waves**: groups of requests that were in flight together (a request arriving later than half
  a latency after its group's first opens a new wave): a serial run has as many waves as
  requests, a perfectly concurrent one as many as its longest chain;
- **levels**: answers waited for one after another (a request is one level above any request
  that could have been answered before it arrived): the waves, counted so that a pause of the
  machine shorter than a latency adds none; at best the chain bound (before 2026-12-03 19:20
  the API root was read alone first, which added one);
- **span**: from the first arrival to the last answer, in round trips (``span_s / latency``);
- **chain bound**: the longest chain of reads that truly depend on each other, in round trips:
  the project's id, then the unresolved listing's pages one cursor after another
  (``1 + pages``, when the run walks the listing: ⌈N/100⌉ pages), or the constant chain of the
  triage and symbolication reads (the project, an issue query, the issue, its latest event: 4),
  whichever is longer; the design's goal is ``span <= 1.5 * bound``. It counts an issue's detail
  and its latest event as two steps, as the issue that set the goal did ("3-4 deep"), and it
  leaves out the triaged issues' details after the listing's last page;
- **strict bound**: the chain this client's reads truly form, which no scheduler can beat:
  the project's id, the listing's pages, then the triaged issues' details and latest events (read
  together: both need only the issue id), ``2 + pages`` for a run that walks the listing (3 at
  100 issues, 12 at 1,000); the project's id then its queries for prod_health (2). Printed beside
  the goal's bound so that a run under the goal's bound is not mistaken for one at the limit.
  incident's chain is 5 for both bounds (``INCIDENT_CHAIN``: the project's id, the high-severity
  query, the sampled issues' latest events, the affected release's issue query, its newest
  event), whatever the backlog (it walks no listing).

Prints a table (``--listing``: each wave's requests too), then everything as JSON; asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_loop_scale import DEMO_APP, SCOPES, build, classify, clean_env

from sentry_simulator import Simulator, TokenSpec

#: The constant dependency chain: project id → issue query → issue detail → latest event.
CONSTANT_CHAIN = 4
#: The strict chain of a mode that does not walk the listing: the project id, then its queries.
STRICT_WITHOUT_LISTING = 2
#: incident's chain, goal and strict alike: the project id → the high-severity query → the
#: sampled issues' latest events (their tags name the affected release) → that release's issue
#: query → its newest event (symbolication); its releases list, outcomes and deploys are off it.
INCIDENT_CHAIN = 5


class Stamped(list[Any]):
    """The simulator's request record, with the arrival time of each request beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.perf_counter())
        super().append(item)


def grouped(times: list[float], latency: float) -> list[list[int]]:
    """Indices of the requests of each wave, in arrival order (see the module docstring)."""
    groups: list[list[int]] = []
    start = -math.inf
    for index in sorted(range(len(times)), key=times.__getitem__):
        if times[index] - start > latency / 2:
            groups.append([])
            start = times[index]
        groups[-1].append(index)
    return groups


def waves(times: list[float], latency: float) -> int:
    """Groups of requests in flight together (see the module docstring)."""
    return len(grouped(times, latency))


def levels(times: list[float], latency: float) -> int:
    """Answers waited for one after another: a request is one level above the highest level of
    any request that could have been answered before it arrived (no answer comes sooner than
    ``latency`` after its request). Unlike ``waves``, a pause shorter than a latency (the machine
    busy) never adds one; ``tests/test_waves.py`` counts the same way."""
    ordered = sorted(times)
    found: list[int] = []
    for t in ordered:
        found.append(
            1
            + max(
                (lv for u, lv in zip(ordered, found, strict=False) if u + latency <= t), default=0
            )
        )
    return max(found, default=0)


def label(request: Any) -> str:
    """One request in a word or two: its path without the API prefix, and its issue query."""
    path = str(request.path).removeprefix("/api/0/")
    query = request.query.get("query", [""])[0]
    extra = "".join(f" {k}={request.query[k][0]}" for k in ("sort", "cursor") if k in request.query)
    return f"{path}{f' q={query!r}' if query else ''}{extra}"


def measure(issues: int, mode: str, latency: float, seed: int, within: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sentry-gate-waves-"))
    repo = work / "codictate"
    shutil.copytree(DEMO_APP, repo, ignore=shutil.ignore_patterns(".sentry-gate"))
    data = build(repo, issues, seed)
    token = secrets.token_hex(32)
    try:
        with Simulator(data=data, latency=latency, latency_covers_work=within) as sim:
            sim.add_token(token, TokenSpec(scopes=SCOPES, kind="user"))
            stamped = Stamped()
            sim.requests = stamped
            argv = [sys.executable, "-m", "pytest", "-m", mode, "-q", "-p", "no:cacheprovider"]
            started = time.perf_counter()
            done = subprocess.run(
                argv, cwd=repo, env=clean_env(token, sim.url), capture_output=True, text=True
            )
            wall = time.perf_counter() - started
            times = list(stamped.times)
            pages, _ = classify(list(stamped))
            origin = min(times, default=0.0)
            listing = [
                [f"+{(times[i] - origin) / latency:.1f} {label(stamped[i])}" for i in group]
                for group in grouped(times, latency)
            ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    span = (max(times) + latency - min(times)) / latency if times else 0.0
    bound = max(1 + pages, CONSTANT_CHAIN)
    walks = mode in ("verify_loop", "issue_triage")  # (prod_health reads the listing's head only)
    strict = 2 + pages if walks else STRICT_WITHOUT_LISTING
    if mode == "incident":
        bound = strict = INCIDENT_CHAIN
    return {
        "issues": issues,
        "mode": mode,
        "latency_s": latency,
        "server_work": "within" if within else "after",
        "exit_code": done.returncode,
        "requests": len(times),
        "waves": waves(times, latency),
        "levels": levels(times, latency),
        "span_round_trips": round(span, 1),
        "chain_bound": bound,
        "listing_pages": pages,
        "span_over_bound": round(span / bound, 2),
        "strict_bound": strict,
        "span_over_strict": round(span / strict, 2),
        "wall_s": round(wall, 2),
        "waves_listing": listing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--modes", nargs="+", default=["verify_loop", "prod_health", "incident"])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--server-work",
        choices=("within", "after"),
        default="within",
        help="the simulator builds its answer within the latency (default) or after it",
    )
    parser.add_argument(
        "--listing", action="store_true", help="print each wave's requests (arrival in round trips)"
    )
    args = parser.parse_args()
    results = [
        measure(n, mode, args.latency, args.seed, args.server_work == "within")
        for n in args.issues
        for mode in args.modes
    ]
    print(
        "| N | mode | requests | waves | levels | span (round trips) | chain bound | span / bound "
        "| strict bound | span / strict | wall s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['issues']:,} | {r['mode']} | {r['requests']} | {r['waves']} | {r['levels']} | "
            f"{r['span_round_trips']} | {r['chain_bound']} | {r['span_over_bound']} | "
            f"{r['strict_bound']} | {r['span_over_strict']} | "
            f"{r['wall_s']} |"
        )
    if args.listing:
        for r in results:
            print(f"\n{r['mode']} at {r['issues']:,} issues:")
            for number, wave in enumerate(r["waves_listing"], 1):
                print(f"  wave {number}: " + "; ".join(wave))
    print(json.dumps([{k: v for k, v in r.items() if k != "waves_listing"} for r in results]))


if __name__ == "__main__":
    main()
