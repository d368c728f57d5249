"""The GitHub Action (action.yml), its example workflows and the pre-commit hook: read as YAML,
and their shell commands run here against the demo app (the simulator on 127.0.0.1, or nothing)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CANARY_TOKEN, DEMO_APP, assert_no_secret, load_report

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
WORKFLOWS = ROOT / "docs" / "workflows"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
INPUTS = {
    "mode", "org", "project", "release", "python-version", "report", "fail-on", "args",
    "working-directory", "checkpoint",
}  # fmt: skip
REPOSITORY_CHECKS = {
    "test_tauri_capability",
    "test_sentry_privacy",
    "test_wiring_markers",
    "test_versions_aligned",
    "test_release_name",
    "test_release_wiring",
}


def action() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return document


def step(name_part: str) -> dict[str, Any]:
    """The action's step whose name contains ``name_part``."""
    return next(s for s in action()["runs"]["steps"] if name_part in s.get("name", ""))


def env_of(found: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """A step's ``env:`` with each ``${{ inputs.x }}`` / ``${{ steps.y.outputs.z }}`` replaced
    by ``values`` (a missing name is an error: the test names every value it uses)."""
    return {
        key: EXPRESSION.sub(lambda m: values[m.group(1)], str(value))
        for key, value in found.get("env", {}).items()
    }


def run_step(
    name_part: str, values: dict[str, str], cwd: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one of the action's ``run:`` scripts with bash as the runner would; return the
    process and what it wrote to ``$GITHUB_OUTPUT``."""
    found = step(name_part)
    script = found["run"]
    assert "${{" not in script, "inputs reach a script through env:, never by substitution"
    output = cwd / f".github_output_{len(list(cwd.glob('.github_output_*')))}"
    output.write_text("")
    full_env = {**env, **env_of(found, values), "GITHUB_OUTPUT": str(output), "GITHUB_JOB": "job"}
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = output.read_text().splitlines()
    return done, dict(line.split("=", 1) for line in lines if "=" in line)


def python_on_path(tmp_path: Path, record: Path | None = None) -> dict[str, str]:
    """An environment whose ``python`` is this interpreter (as setup-python leaves it), with the
    worktree importable; with ``record``, ``python -m pytest`` only writes its argv there."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "python"
    real = shlex.quote(sys.executable)  # a script, not a link: the venv is found from its path
    pretend = (
        f'if [ "$1 $2" = "-m pytest" ]; then shift 2; exec {real} -c '
        f'"import json, sys; json.dump(sys.argv[1:], open({str(record)!r}, \'w\'))" "$@"; fi\n'
    )
    shim.write_text(f'#!/bin/sh\n{pretend if record else ""}exec {real} "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_action_inputs_and_steps() -> None:
    document = action()
    assert document["runs"]["using"] == "composite"
    assert set(document["inputs"]) == INPUTS
    assert document["inputs"]["mode"]["default"] == "release_gate"
    uses = [s.get("uses", "").split("@")[0] for s in document["runs"]["steps"]]
    assert uses.index("actions/setup-python") < uses.index("actions/cache/restore")
    assert uses.index("actions/cache/restore") < uses.index("actions/cache/save")
    assert "actions/upload-artifact" in uses
    install = step("Install")["run"]
    assert 'pip install --disable-pip-version-check "${{ github.action_path }}"' in install
    restore, save = step("Restore the verify_loop"), step("Save the verify_loop")
    assert restore["with"]["key"] == save["with"]["key"]  # per run: caches are immutable
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"])  # newest one
    # A failing gate still keeps its checkpoint and its report.
    assert save["if"].startswith("${{ always()")
    assert step("Upload")["if"].startswith("${{ always()")


def test_prepare_step_keys_the_checkpoint_per_org_and_project(tmp_path: Path) -> None:
    values = {"inputs.report": "out/r.json", "inputs.org": "acme", "inputs.project": "app/x"}
    values["inputs.checkpoint"] = ".sentry-gate"
    done, out = run_step("Prepare", values, tmp_path, python_on_path(tmp_path))
    assert done.returncode == 0, done.stderr
    assert out["report"] == str(tmp_path / "out" / "r.json")
    assert out["checkpoint"] == str(tmp_path / ".sentry-gate")
    assert out["key"] == "sentry-gate-acme-app_x"
    assert out["artifact"] == "sentry-gate-report-job-app_x"


def gate_values(**inputs: str) -> dict[str, str]:
    values = {f"inputs.{k}": "" for k in ("mode", "org", "project", "release", "fail-on", "args")}
    values.update({f"inputs.{k.replace('_', '-')}": v for k, v in inputs.items()})
    values["steps.prepare.outputs.report"] = values.pop("inputs.report", "report.json")
    return values


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("partial", ["--sentry-fail-on=partial"]), ("", [])]
)
def test_gate_step_arguments(tmp_path: Path, fail_on: str, expected: list[str]) -> None:
    record = tmp_path / "argv.json"
    values = gate_values(
        mode="verify-loop",
        org="acme",
        release="codictate@1.4.2",
        fail_on=fail_on,
        args="--sentry-dist='4 2' -rA",
        report=str(tmp_path / "r.json"),
    )
    done, out = run_step("Run the runbook mode", values, tmp_path, python_on_path(tmp_path, record))
    assert done.returncode == 0, done.stderr
    assert out["exit-code"] == "0"
    assert json.loads(record.read_text()) == [
        "-m",
        "verify_loop",
        f"--sentry-gate-report={tmp_path / 'r.json'}",
        "--sentry-org=acme",
        "--sentry-release=codictate@1.4.2",
        *expected,
        "--sentry-dist=4 2",
        "-rA",
    ]


def test_gate_step_runs_the_release_gate_on_the_demo(tmp_path: Path, repo: Path, sim: Any) -> None:
    """The action's own pytest script, run as the runner would, against the simulator."""
    env = python_on_path(tmp_path)
    env["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    (repo / "pytest.ini").write_text("[pytest]\nsentry_http_timeout = 5\n")
    values = gate_values(
        mode="release_gate",
        org="acme",
        project="codictate",
        args=f"--sentry-url={sim.url} --sentry-repo-root=. -p no:cacheprovider -rA",
        report=str(tmp_path / "report.json"),
    )
    done, out = run_step("Run the runbook mode", values, repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert out["exit-code"] == "0"
    report = load_report(tmp_path / "report.json")
    assert {c["mode"] for c in report["checks"]} == {"release_gate"}
    assert all(c["status"] == "PASS" for c in report["checks"]), report["checks"]
    assert_no_secret(done.stdout, done.stderr, (tmp_path / "report.json").read_text())


def workflow(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return document


def gate_steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    steps = [s for job in document["jobs"].values() for s in job["steps"]]
    return [s for s in steps if "pytest-sentry-gate@" in s.get("uses", "")]


@pytest.mark.parametrize(
    ("name", "trigger", "mode"),
    [
        ("release-gate.yml", "push", "release_gate"),
        ("daily-health.yml", "schedule", "verify_loop"),
        ("pull-request.yml", "pull_request", "sentry_repository"),
    ],
)
def test_example_workflows(name: str, trigger: str, mode: str) -> None:
    document = workflow(name)
    on = document[True]  # YAML 1.1 reads the key `on` as true
    assert trigger in on
    (gate,) = gate_steps(document)
    assert gate["with"]["mode"] == mode
    assert set(gate["with"]) <= INPUTS
    text = (WORKFLOWS / name).read_text()
    if mode == "sentry_repository":
        assert "secrets." not in text  # forks run it: no token
    else:
        assert gate["env"]["SENTRY_AUTH_TOKEN"] == "${{ secrets.SENTRY_AUTH_TOKEN }}"
    if trigger == "push":
        assert on["push"]["tags"]


def hook() -> dict[str, Any]:
    hooks: list[dict[str, Any]] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    (found,) = hooks
    return found


def test_pre_commit_hook_declares_the_repository_checks() -> None:
    found = hook()
    assert found["id"] == "sentry-gate-repository"
    assert found["language"] == "python"
    assert found["pass_filenames"] is False
    words = shlex.split(found["entry"])
    assert words[0] == "pytest"
    assert words[words.index("-m") + 1] == "sentry_repository"


def run_hook(app: Path, home: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """The hook's entry in ``app`` with no token and SENTRY_URL pointing at a listening socket
    on 127.0.0.1: returns the run and how many connections the socket received."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(
        HOME=str(home),
        SENTRY_URL=f"http://127.0.0.1:{listener.getsockname()[1]}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    words = shlex.split(hook()["entry"])
    try:
        done = subprocess.run(
            [sys.executable, "-m", *words, "-rA"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        listener.setblocking(False)
        received = 0
        while True:
            try:
                listener.accept()[0].close()
            except BlockingIOError:
                break
            received += 1
    finally:
        listener.close()
    return done, received


def test_pre_commit_hook_runs_the_repository_checks_without_token_or_network(
    tmp_path: Path,
) -> None:
    app = tmp_path / "codictate"
    shutil.copytree(DEMO_APP, app, ignore=shutil.ignore_patterns("node_modules"))
    home = tmp_path / "home"
    home.mkdir()
    done, received = run_hook(app, home)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert received == 0
    passed = set(re.findall(r"^PASSED \S+::(\w+)", done.stdout, re.M))
    assert passed == REPOSITORY_CHECKS, out
    assert "token" not in out.lower().replace("no token", "")
    assert not (app / ".sentry-gate").exists()


def test_pre_commit_hook_fails_on_a_broken_repository(tmp_path: Path) -> None:
    app = tmp_path / "codictate"
    shutil.copytree(DEMO_APP, app, ignore=shutil.ignore_patterns("node_modules"))
    package = app / "package.json"
    package.write_text(package.read_text().replace('"1.4.2"', '"1.4.3"', 1))
    home = tmp_path / "home"
    home.mkdir()
    done, received = run_hook(app, home)
    assert done.returncode == 1, done.stdout
    assert received == 0
    assert "FAILED test_release_gate.py::test_versions_aligned" in done.stdout


def test_sentry_repository_marker_is_registered_and_can_be_excluded(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        f"[pytest]\nsentry_org = acme\nsentry_project = codictate\nsentry_repo_root = {DEMO_APP}\n"
    )
    markers = pytester.runpytest_inprocess("--markers", "-p", "no:cacheprovider")
    markers.stdout.fnmatch_lines(["@pytest.mark.sentry_repository: repository-only checks*"])
    rest = pytester.runpytest_inprocess(
        "-m", "release_gate and not sentry_repository", "--co", "-q", "-p", "no:cacheprovider"
    )
    collected = set(re.findall(r"::(test_\w+)", rest.stdout.str()))
    assert collected == {"test_built_bundles", "test_release_visible", "test_artifacts_uploaded",
                         "test_release_symbolicates"}  # fmt: skip
