"""``pytest -m verify_loop`` against a big backlog, side by side with the old script's approach.

Usage (from the repository root)::

    .venv/bin/python benchmarks/verify_loop_scale.py [--issues 100 50000] [--sentry-cli PATH]

For each backlog size N, one simulator on 127.0.0.1 holds the demo story of ``examples/codictate``
(``scenarios.demo_data(..., health_story=True)``: release ``codictate@1.4.2`` with its uploads,
a fatal issue and a regression) plus background issues, so that exactly N unresolved issues of
project ``codictate`` fall in the 14-day window (the default ``sentry_stats_period``). A copy of
``examples/codictate`` (its own ``pytest.ini``) is the app repository. Then, in two rounds:

1. the plugin: ``python -m pytest -m verify_loop --sentry-gate-report=r.json -q`` in the copy,
   under ``/usr/bin/time -v`` (peak RSS of the pytest process; without GNU time,
   ``getrusage(RUSAGE_CHILDREN)``), a fresh random token in ``SENTRY_AUTH_TOKEN`` (never printed);
2. the old script's approach on the same data: ``sentry-cli issues list --org acme --project
   codictate --query Q --max-rows 100`` once per query, each table's rows counted (the old
   script's awk), "new since last run" as the difference of two counts.

Between the rounds 5 unresolved issues are resolved and 5 new ones appear (N stays N): the plugin
must read 5 new and 5 resolved, the old approach reads 0. Every request the simulator receives is
recorded (``sim.requests``) and classified: the unresolved listing's pages (⌈N/100⌉) and the
constant rest, by endpoint. Each report is validated against the schema the package ships.

sentry-cli asks ``GET /api/0/projects/{org}/{project}/issues/?query=Q&cursor=`` (the deprecated
project issue list), which the simulator does not serve (404, "Project not found"). A small
adapter on 127.0.0.1 in this script forwards that request to the simulator's organization issue
list for the same project and window (``project=<id>&statsPeriod=14d&limit=100``) and passes the
``Link`` header through, so the real sentry-cli binary pages the same data. Without sentry-cli
(``pip install sentry-cli``; ``--sentry-cli`` names the binary), a reimplementation stands in:
one page of 100 rows per query, rows counted. Prints a table, then everything as JSON; asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: Run as a script, this file would import the package the venv was installed from: import
#: the checkout it belongs to (``ROOT``) instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_sentry_gate.report import SCHEMA_PATH  # noqa: E402
from pytest_sentry_gate.settings import rows  # noqa: E402
from sentry_simulator import (  # noqa: E402
    RecordedRequest,
    Simulator,
    SimulatorData,
    TokenSpec,
)
from sentry_simulator.scenarios import (  # noqa: E402
    DEMO_PROJECT,
    DEMO_RELEASE,
    demo_data,
)

DEMO_APP = ROOT / "examples" / "codictate"
SCOPES = ("org:read", "project:read", "project:releases", "event:read")
GNU_TIME = "/usr/bin/time"
WINDOW = "14d"
WINDOW_S = 14 * 86400
DAY = 86400
CHANGED = 5
OLD_MAX_ROWS = 100
_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_ISSUE_DETAIL = re.compile(r"^(/api/0/organizations/[^/]+/issues/)\d+/")
HIGH_SEVERITY: tuple[str, ...] = dict(rows())["high_severity_queries"].default
#: The queries the old script's verify-loop counted, one ``sentry-cli issues list`` each.
OLD_QUERIES: tuple[str, ...] = (
    "is:unresolved",
    *HIGH_SEVERITY,
    f'is:unresolved release:"{DEMO_RELEASE}"',
    f'is:unresolved is:regressed release:"{DEMO_RELEASE}"',
)
OLDER = ("codictate@1.3.9", "codictate@1.4.0", "codictate@1.4.1", DEMO_RELEASE)


# -- the data ----------------------------------------------------------------------------------


def in_window(data: SimulatorData) -> list[int]:
    """Ids of the demo project's unresolved issues last seen in the window (the true count)."""
    project = data.project("acme", DEMO_PROJECT)
    assert project is not None
    since = data.now_epoch - WINDOW_S
    return [
        i.id
        for i in data.issues
        if i.project_id == project.id and i.status == "unresolved" and i.last_seen >= since
    ]


def add_backlog(data: SimulatorData, count: int, rng: random.Random) -> None:
    """``count`` ordinary unresolved issues last seen in the window, none new in the last day."""
    now = data.now_epoch
    for _ in range(count):
        roll = rng.random()
        level = "fatal" if roll < 0.01 else "error" if roll < 0.6 else "warning"
        priority = "high" if level == "fatal" or rng.random() < 0.05 else "medium"
        last_seen = now - DAY - int(rng.random() * (WINDOW_S - 2 * DAY))
        events = 1 + int(rng.paretovariate(1.2) * 3)
        data.add_issue(
            project=DEMO_PROJECT,
            title=f"Error: background failure {rng.randrange(10**6)}",
            culprit="handler(./src/app.ts)",
            level=level,
            priority=priority,
            substatus="ongoing" if rng.random() < 0.97 else "regressed",
            count=events,
            user_count=1 + int(rng.random() * events),
            first_seen=last_seen - int(rng.random() * 60 * DAY),
            last_seen=last_seen,
            first_release=OLDER[rng.randrange(3)],
            last_release=OLDER[rng.randrange(4)],
            is_unhandled=rng.random() < 0.7,
        )


def build(repo: Path, issues: int, seed: int) -> SimulatorData:
    """The demo story of ``repo`` plus background issues: exactly ``issues`` in the window."""
    now = datetime.now(UTC).replace(microsecond=0)  # the plugin's clock is the real one
    data = demo_data(repo, now=now, health_story=True)
    story = len(in_window(data))
    if issues < story:
        raise SystemExit(f"--issues must be at least {story} (the demo story's own issues)")
    add_backlog(data, issues - story, random.Random(seed))
    return data


def churn(data: SimulatorData, rng: random.Random) -> tuple[list[int], list[int]]:
    """Resolve ``CHANGED`` unresolved issues and add ``CHANGED`` new ones (the count stays)."""
    resolved = sorted(rng.sample(in_window(data), CHANGED))
    for issue_id in resolved:
        data.update_issue(issue_id, status="resolved", substatus=None)
    added = [
        data.add_issue(
            project=DEMO_PROJECT,
            title=f"Error: new failure {n}",
            culprit="handler(./src/app.ts)",
            first_seen=data.now_epoch - 600 * (n + 1),
            first_release=DEMO_RELEASE,
            last_release=DEMO_RELEASE,
        ).id
        for n in range(CHANGED)
    ]
    return resolved, added


# -- measuring a process -----------------------------------------------------------------------


@dataclass
class Timed:
    """One child process: wall seconds, peak RSS (kB), exit code and output."""

    wall_s: float
    peak_kb: int
    returncode: int
    stdout: str
    stderr: str


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> Timed:
    """Run ``argv`` under GNU time (peak RSS of that process), else getrusage of the children."""
    gnu = Path(GNU_TIME).exists()
    full = [GNU_TIME, "-v", *argv] if gnu else argv
    start = time.perf_counter()
    done = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if gnu:
        found = _MAX_RSS.search(done.stderr)
        peak = int(found.group(1)) if found else -1
    else:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Timed(wall, peak, done.returncode, done.stdout, done.stderr)


def clean_env(token: str, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "PYTEST_"))}
    env.update(SENTRY_AUTH_TOKEN=token, SENTRY_URL=url, SENTRY_DISABLE_UPDATE_CHECK="1")
    # The pytest process runs in a temporary directory: import this checkout, not the one the
    # venv was installed from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


# -- requests ----------------------------------------------------------------------------------


def classify(requests: list[RecordedRequest]) -> tuple[int, Counter[str]]:
    """The unresolved listing's pages, and every other request by endpoint (and query)."""
    pages = 0
    rest: Counter[str] = Counter()
    for req in requests:
        path = _ISSUE_DETAIL.sub(r"\1{id}/", req.path)
        if path.endswith("/issues/") and "organizations" in path:
            query = req.query.get("query", [""])[0]
            sort = req.query.get("sort", [""])[0]
            if query == "is:unresolved" and sort in ("", "new"):  # the listing walks sort=new
                pages += 1
                continue
            path += f" query={query!r}" + (f" sort={sort}" if sort else "")
        rest[f"{req.method} {path}"] += 1
    return pages, rest


# -- the plugin --------------------------------------------------------------------------------


def schema_problems(document: dict[str, Any]) -> list[str]:
    """What keeps the report from validating against the schema the package ships (none: [])."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def run_plugin(repo: Path, env: dict[str, str], report: Path) -> dict[str, Any]:
    """``pytest -m verify_loop`` in ``repo``: process figures and the report's loop section."""
    argv = [sys.executable, "-m", "pytest", "-m", "verify_loop", f"--sentry-gate-report={report}"]
    argv += ["-q", "-p", "no:cacheprovider"]
    run = timed(argv, repo, env)
    assert env["SENTRY_AUTH_TOKEN"] not in run.stdout + run.stderr, "the token leaked"
    doc = json.loads(report.read_text()) if report.exists() else {}
    loop = doc.get("verify_loop") or {}
    problems = schema_problems(doc) if doc else ["no report written"]
    lines = run.stdout.strip().splitlines()
    return {
        "wall_s": round(run.wall_s, 2),
        "peak_rss_mb": round(run.peak_kb / 1024, 1),
        "exit_code": run.returncode,
        "overall_status": doc.get("overall_status"),
        "summary_line": lines[-1] if lines else run.stderr[-500:],
        "report_schema_problems": problems,
        "not_passed": {
            c["nodeid"]: c["status"] for c in doc.get("checks", []) if c["status"] != "PASS"
        },
        "unresolved_count": loop.get("unresolved_count"),
        "new": (loop.get("new_since_last") or {}).get("count"),
        "new_ids": (loop.get("new_since_last") or {}).get("ids"),
        "resolved": (loop.get("resolved_since_last") or {}).get("count"),
        "resolved_ids": (loop.get("resolved_since_last") or {}).get("ids"),
        "baseline_established": loop.get("baseline_established"),
        "checkpoint_written": loop.get("checkpoint_written"),
        "loop_requests": loop.get("requests"),
    }


# -- the old approach --------------------------------------------------------------------------


class _Adapter(BaseHTTPRequestHandler):
    """Serves sentry-cli's project issue list from the simulator's organization issue list."""

    upstream = ""
    project_id = ""

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        found = re.match(r"^/api/0/projects/([^/]+)/([^/]+)/issues/$", parts.path)
        if found is None:  # anything else goes through unchanged
            target = self.upstream + self.path
        else:
            given = urllib.parse.parse_qs(parts.query)
            params = {
                "project": self.project_id,
                "query": given.get("query", [""])[0],
                "statsPeriod": WINDOW,
                "limit": "100",
            }
            cursor = given.get("cursor", [""])[0]
            if cursor:
                params["cursor"] = cursor
            org = found.group(1)
            target = f"{self.upstream}/api/0/organizations/{org}/issues/?"
            target += urllib.parse.urlencode(params)
        headers = {"Authorization": self.headers.get("Authorization", "")}
        try:
            with urllib.request.urlopen(urllib.request.Request(target, headers=headers)) as got:
                status, body, link = got.status, got.read(), got.headers.get("Link")
        except urllib.error.HTTPError as error:
            status, body, link = error.code, error.read(), None
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def adapter(upstream: str, project_id: str) -> Iterator[str]:
    """The adapter on 127.0.0.1 for the duration: its URL."""
    attrs = {"upstream": upstream.rstrip("/"), "project_id": project_id}
    handler = type("Adapter", (_Adapter,), attrs)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def table_rows(output: str) -> int:
    """Rows of sentry-cli's issue table: lines between the box borders, less the header."""
    lines = [line for line in output.splitlines() if line.startswith("|")]
    return max(len(lines) - 1, 0)


def old_counts_cli(
    cli: str, url: str, env: dict[str, str], cwd: Path, seen: Callable[[], int]
) -> dict[str, Any]:
    """One ``sentry-cli issues list`` per query, its table rows counted (``seen``: the number
    of requests the simulator has received, for each query's cost)."""
    env = {**env, "SENTRY_URL": url}
    counts: dict[str, int] = {}
    requests: dict[str, int] = {}
    wall = 0.0
    peak = 0
    for query in OLD_QUERIES:
        argv = [cli, "issues", "list", "--org", "acme", "--project", DEMO_PROJECT]
        argv += ["--query", query, "--max-rows", str(OLD_MAX_ROWS)]
        before = seen()
        run = timed(argv, cwd, env)
        requests[query] = seen() - before
        if run.returncode != 0:
            raise SystemExit(f"sentry-cli failed on {query!r}: {run.stderr.strip()[:300]}")
        counts[query] = table_rows(run.stdout)
        wall += run.wall_s
        peak = max(peak, run.peak_kb)
    return {
        "counts": counts,
        "requests_by_query": requests,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak / 1024, 1),
    }


def old_counts_reimplemented(url: str, token: str, project_id: str) -> dict[str, Any]:
    """Without sentry-cli: one page of ``OLD_MAX_ROWS`` rows per query, rows counted."""
    counts: dict[str, int] = {}
    start = time.perf_counter()
    for query in OLD_QUERIES:
        params = {"project": project_id, "query": query, "statsPeriod": WINDOW}
        params["limit"] = str(OLD_MAX_ROWS)
        target = f"{url.rstrip('/')}/api/0/organizations/acme/issues/?"
        request = urllib.request.Request(
            target + urllib.parse.urlencode(params), headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request) as got:
            counts[query] = len(json.loads(got.read()))
    wall = time.perf_counter() - start
    return {"counts": counts, "wall_s": round(wall, 2), "peak_rss_mb": None}


def bare_listing(url: str, token: str, project_id: str) -> dict[str, Any]:
    """The floor: the unresolved listing paged by a bare httpx loop (ids kept), no plugin."""
    import httpx

    params: dict[str, str] = {"project": project_id, "query": "is:unresolved"}
    params.update(statsPeriod=WINDOW, limit="100")
    ids: set[str] = set()
    pages = 0
    start = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers) as client:
        while True:
            got = client.get("/api/0/organizations/acme/issues/", params=params)
            got.raise_for_status()
            pages += 1
            ids.update(str(item["id"]) for item in got.json())
            following = got.links.get("next", {})
            if following.get("results") != "true":
                break
            params["cursor"] = following["cursor"]
    return {"wall_s": round(time.perf_counter() - start, 2), "pages": pages, "ids": len(ids)}


def header_counts(url: str, token: str, project_id: str) -> dict[str, int]:
    """Each old query's true count: ``X-Hits`` of the organization issue list (no cap set)."""
    import httpx

    counts: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers) as client:
        for query in OLD_QUERIES:
            params = {"project": project_id, "query": query, "statsPeriod": WINDOW, "limit": "1"}
            got = client.get("/api/0/organizations/acme/issues/", params=params)
            got.raise_for_status()
            counts[query] = int(got.headers["X-Hits"])
    return counts


# -- one backlog size --------------------------------------------------------------------------


def find_cli(given: str | None) -> str | None:
    if given:
        return given
    return shutil.which("sentry-cli")


def measure(issues: int, seed: int, cli: str | None) -> dict[str, Any]:
    """Both rounds, both approaches, for one backlog size."""
    work = Path(tempfile.mkdtemp(prefix="sentry-gate-loop-"))
    repo = work / "codictate"
    shutil.copytree(DEMO_APP, repo, ignore=shutil.ignore_patterns(".sentry-gate"))
    started = time.perf_counter()
    data = build(repo, issues, seed)
    seed_s = time.perf_counter() - started
    truth = [len(in_window(data))]
    token = secrets.token_hex(32)
    rounds: list[dict[str, Any]] = []
    floor: dict[str, Any] = {}
    true_counts: dict[str, int] = {}
    changed: tuple[list[int], list[int]] = ([], [])
    try:
        with Simulator(data=data) as sim:
            sim.add_token(token, TokenSpec(scopes=SCOPES, kind="user"))
            project = data.project("acme", DEMO_PROJECT)
            assert project is not None
            env = clean_env(token, sim.url)
            for number in (1, 2):
                if number == 2:
                    changed = churn(data, random.Random(seed + 1))
                    truth.append(len(in_window(data)))
                mark = len(sim.requests)
                plugin = run_plugin(repo, env, work / f"r{number}.json")
                pages, rest = classify(list(sim.requests)[mark:])
                plugin["listing_pages"] = pages
                plugin["constant_requests"] = dict(rest.most_common())
                plugin["requests"] = pages + sum(rest.values())
                mark = len(sim.requests)
                if cli:
                    with adapter(sim.url, str(project.id)) as url:
                        old = old_counts_cli(cli, url, env, work, lambda: len(sim.requests))
                    old["how"] = "sentry-cli via the adapter"
                else:
                    old = old_counts_reimplemented(sim.url, token, str(project.id))
                    old["how"] = "reimplementation (no sentry-cli)"
                old["requests"] = len(sim.requests) - mark
                rounds.append({"plugin": plugin, "old": old, "true_count": truth[-1]})
            floor = bare_listing(sim.url, token, str(project.id))
            true_counts = header_counts(sim.url, token, str(project.id))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    before, after = (r["old"]["counts"]["is:unresolved"] for r in rounds)
    rounds[1]["old"]["new_since_last"] = max(after - before, 0)
    rounds[1]["old"]["resolved_since_last"] = max(before - after, 0)
    return {
        "issues": issues,
        "seed_s": round(seed_s, 2),
        "bound": math.ceil(issues / 100),
        "bare_listing": floor,
        "true_counts_round_2": true_counts,
        "resolved_between": [str(i) for i in changed[0]],
        "added_between": [str(i) for i in changed[1]],
        "rounds": rounds,
    }


# -- output ------------------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| N | round | approach | unresolved reported (true) | new / resolved | requests "
        "(listing + constant) | wall s | peak RSS MB |"
    )
    out = [head, "| " + " | ".join(["---"] * 8) + " |"]
    for result in results:
        n = result["issues"]
        for number, rnd in enumerate(result["rounds"], 1):
            p, o = rnd["plugin"], rnd["old"]
            const = p["requests"] - p["listing_pages"]
            changes = f"{p['new']} / {p['resolved']}" if number == 2 else "baseline"
            out.append(
                f"| {n:,} | {number} | plugin | {p['unresolved_count']:,} ({rnd['true_count']:,})"
                f" | {changes} | {p['requests']} ({p['listing_pages']} + {const}) | "
                f"{p['wall_s']} | {p['peak_rss_mb']} |"
            )
            old_changes = (
                f"{o['new_since_last']} / {o['resolved_since_last']}" if number == 2 else "—"
            )
            out.append(
                f"| {n:,} | {number} | old ({o['how']}) | {o['counts']['is:unresolved']:,}"
                f" ({rnd['true_count']:,}) | {old_changes} | {o['requests']} | {o['wall_s']} | "
                f"{o['peak_rss_mb']} |"
            )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, nargs="+", default=[100, 50_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sentry-cli", help="the sentry-cli binary (default: on PATH)")
    args = parser.parse_args()
    cli = find_cli(args.sentry_cli)
    results = [measure(n, args.seed, cli) for n in args.issues]
    print(table(results))
    print()
    for result in results:
        for number, rnd in enumerate(result["rounds"], 1):
            problems = rnd["plugin"]["report_schema_problems"]
            verdict = "validates" if not problems else f"does NOT validate: {problems[:3]}"
            print(f"N={result['issues']:,}, round {number}: the report {verdict}")
    for result in results:
        floor = result["bare_listing"]
        print(
            f"N={result['issues']:,}: the listing alone by a bare httpx loop: {floor['pages']} "
            f"pages, {floor['ids']:,} ids, {floor['wall_s']} s"
        )
    for result in results:
        old = result["rounds"][1]["old"]
        print(f"N={result['issues']:,}, round 2, the old approach query by query:")
        print("| query | true count (X-Hits) | rows counted | requests |")
        print("| --- | --- | --- | --- |")
        for query, true in result["true_counts_round_2"].items():
            cost = old.get("requests_by_query", {}).get(query, "—")
            print(f"| `{query}` | {true:,} | {old['counts'][query]:,} | {cost} |")
    for result in results:
        first = result["rounds"][0]["plugin"]
        print(f"N={result['issues']:,}: constant requests of round 1 (beside the listing):")
        for name, count in first["constant_requests"].items():
            print(f"  {count:>3}  {name}")
    print()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
