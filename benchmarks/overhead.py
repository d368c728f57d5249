"""Plugin overhead when installed but unused: a trivial suite with and without the plugin.

Usage (from the repository root)::

    .venv/bin/python benchmarks/overhead.py [--tests 500] [--runs 15] [--hyperfine]
        [--importtime-against DIR]

Writes a trivial suite (``--tests`` one-line tests) into a temporary directory with its own empty
``pytest.ini`` (so this repository's configuration is not used), then times
``python -m pytest -q -p no:cacheprovider`` with the plugin and with ``-p no:sentry_gate``.
By default a Python loop alternates the two commands run by run (wall and CPU time), so a change
in machine load hits both alike; ``--hyperfine`` uses hyperfine (``-N --warmup 2``) instead, which
runs all of one command before the other and is misled by load drift on a shared machine.
Then it times ``python -c "import pytest"`` against ``python -c "import pytest_sentry_gate.plugin"``
and reports whether importing the plugin pulls in httpx or vcrpy. ``-X importtime`` gives the
plugin's cumulative import time (steadier than wall time), also for another checkout with
``--importtime-against`` (say an older commit: ``git archive COMMIT pytest_sentry_gate | tar -x
-C DIR``), alternating with this one. Prints medians and ratios as JSON. Every child process
imports this checkout (``PYTHONPATH``), whichever checkout the venv was installed from.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
#: hyperfine reads a command name that starts with "-p" as its own option: name it in words.
WITHOUT = "without plugin (-p no:sentry_gate)"
IMPORTS_PROBE = (
    "import sys, pytest_sentry_gate.plugin; "
    "print(sorted(m for m in ('httpx', 'httpcore', 'vcr') if m in sys.modules))"
)


def clean_env(checkout: Path = ROOT) -> dict[str, str]:
    """This environment without any SENTRY_* or PYTEST_* variable, importing this checkout.

    The suite runs in a temporary directory, where the venv would import the checkout it was
    installed from: ``PYTHONPATH`` puts this one first.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(checkout), env.get("PYTHONPATH"))))
    return env


_CUMULATIVE = re.compile(r"\|\s*(\d+) \| pytest_sentry_gate\.plugin$", re.MULTILINE)


def importtime(checkouts: dict[str, Path], runs: int, cwd: Path) -> dict[str, Any]:
    """Cumulative import time of ``pytest_sentry_gate.plugin`` after pytest (``-X importtime``,
    steadier than wall time), for each checkout, alternating run by run."""
    argv = [sys.executable, "-X", "importtime", "-c", "import pytest, pytest_sentry_gate.plugin"]
    found: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(runs):
        for name, checkout in checkouts.items():
            done = subprocess.run(
                argv, cwd=cwd, env=clean_env(checkout), check=True, capture_output=True, text=True
            )
            match = _CUMULATIVE.search(done.stderr)
            if match is None:
                raise SystemExit(f"{name}: no import time for pytest_sentry_gate.plugin")
            found[name].append(int(match.group(1)) / 1000)
    return {
        name: {
            "median_ms": round(statistics.median(values), 1),
            "min_ms": round(min(values), 1),
            "runs": len(values),
        }
        for name, values in found.items()
    }


def write_suite(root: Path, count: int) -> None:
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    per_file = 50
    for start in range(0, count, per_file):
        body = "".join(
            f"def test_{n}():\n    assert {n} == {n}\n\n"
            for n in range(start, min(start + per_file, count))
        )
        (root / f"test_trivial_{start // per_file:03d}.py").write_text(body, encoding="utf-8")


def hyperfine(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, Any]:
    """Median, mean and stddev (seconds) of each command, measured by hyperfine."""
    out = cwd / "hyperfine.json"
    names = list(commands)
    argv = ["hyperfine", "-N", "--warmup", "2", "--runs", str(runs), "--export-json", str(out)]
    for name in names:
        argv += ["--command-name", name, shlex.join(commands[name])]
    subprocess.run(argv, cwd=cwd, env=clean_env(), check=True, stdout=subprocess.DEVNULL)
    results = json.loads(out.read_text())["results"]
    return {
        name: {
            "median_s": round(r["median"], 4),
            "mean_s": round(r["mean"], 4),
            "min_s": round(r["min"], 4),
            "stddev_s": round(r["stddev"], 4),
            "cpu_mean_s": round(r["user"] + r["system"], 4),
            "runs": len(r["times"]),
        }
        for name, r in zip(names, results, strict=True)
    }


def alternating(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, Any]:
    """Wall and CPU (user+sys) seconds of each command, alternating run by run after a warm-up.

    CPU time comes from ``getrusage(RUSAGE_CHILDREN)``: less disturbed than wall time when other
    work shares the machine.
    """
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, argv in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=clean_env(), check=True, capture_output=True)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i:  # the first round warms caches
                wall[name].append(elapsed)
                cpu[name].append(
                    after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                )
    return {
        name: {
            "median_s": round(statistics.median(wall[name]), 4),
            "min_s": round(min(wall[name]), 4),
            "cpu_median_s": round(statistics.median(cpu[name]), 4),
            "runs": len(wall[name]),
        }
        for name in commands
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hyperfine", action="store_true", help="measure with hyperfine")
    parser.add_argument(
        "--importtime-against",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also time the plugin's import from another checkout (a directory holding "
        "pytest_sentry_gate, e.g. a `git archive` export), alternating with this one; repeatable",
    )
    args = parser.parse_args()
    if args.hyperfine and shutil.which("hyperfine") is None:
        parser.error("--hyperfine: hyperfine is not on PATH (apt-get install -y hyperfine)")
    use_hyperfine = args.hyperfine
    measure = hyperfine if use_hyperfine else alternating
    with tempfile.TemporaryDirectory(prefix="sentry-gate-bench-") as tmp:
        root = Path(tmp)
        write_suite(root, args.tests)
        suite = measure(
            {
                "with plugin": PYTEST,
                "without plugin (-p no:sentry_gate)": [*PYTEST, "-p", "no:sentry_gate"],
            },
            args.runs,
            root,
        )
        imports = measure(
            {
                "import pytest": [sys.executable, "-c", "import pytest"],
                "import pytest_sentry_gate.plugin": [
                    sys.executable,
                    "-c",
                    "import pytest_sentry_gate.plugin",
                ],
            },
            args.runs,
            root,
        )
        checkouts = {"this checkout": ROOT}
        for other in args.importtime_against:
            checkouts[str(other)] = other.resolve()
        plugin_import = importtime(checkouts, args.runs, root)
        heavy = subprocess.run(
            [sys.executable, "-c", IMPORTS_PROBE],
            cwd=root,
            env=clean_env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    with_plugin = suite["with plugin"]["median_s"]
    without = suite[WITHOUT]["median_s"]
    cpu_key = "cpu_mean_s" if use_hyperfine else "cpu_median_s"
    result = {
        "tool": "hyperfine" if use_hyperfine else "python alternating loop",
        "tests": args.tests,
        "suite": suite,
        "suite_ratio_with_over_without": round(with_plugin / without, 3),
        "suite_difference_ms": round((with_plugin - without) * 1000, 1),
        "suite_cpu_difference_ms": round(
            (suite["with plugin"][cpu_key] - suite[WITHOUT][cpu_key]) * 1000, 1
        ),
        "imports": imports,
        "import_difference_ms": round(
            (
                imports["import pytest_sentry_gate.plugin"]["median_s"]
                - imports["import pytest"]["median_s"]
            )
            * 1000,
            1,
        ),
        "plugin_importtime": plugin_import,
        "heavy_modules_after_importing_plugin": heavy,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
