"""Path options: the rootdir they leave alone, and the report path the run may write."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.simulator import Simulator
from tests.conftest import CANARY_TOKEN, check, edit_json, load_report


def _setup_lines(result: pytest.RunResult) -> tuple[str, ...]:
    """The header's ``rootdir:`` and ``configfile:`` lines."""
    return tuple(line for line in result.stdout.lines if re.match(r"(rootdir|configfile): ", line))


@pytest.mark.parametrize("option", ["--sentry-gate-report", "--sentry-state-file"])
def test_two_word_path_options_keep_rootdir_and_verdict(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    repo: Path,
    sim: Simulator,
    option: str,
) -> None:
    # Given an app whose ini file (pytester writes tox.ini) names the repository, which has a
    # version mismatch, and a path option pointing outside it: the file exists after one run
    edit_json(repo / "package.json", version="1.4.3")
    pytester.makeini(f"[pytest]\nsentry_http_timeout = 2\nsentry_repo_root = {repo}\n")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    out = tmp_path_factory.mktemp("out")
    path = out / ("report.json" if option == "--sentry-gate-report" else "state.json")
    report = out / "report.json"
    target = (f"--sentry-url={sim.url}", "--sentry-org=acme", "--sentry-project=codictate")
    spellings = {"two words": [option, str(path)], "one word": [f"{option}={path}"]}
    if option != "--sentry-gate-report":  # (release_gate does not write the state file)
        path.touch()
        for words in spellings.values():
            words.append(f"--sentry-gate-report={report}")
    seen: list[tuple[Any, ...]] = []
    # When each spelling runs twice (the second time the file exists)
    for _ in range(2):
        for words in spellings.values():
            result = pytester.runpytest_inprocess(
                "-m", "release_gate", *target, *words, "-p", "no:cacheprovider"
            )
            document = load_report(report)
            versions = check(document, "test_versions_aligned")
            seen.append((_setup_lines(result), result.ret, versions["status"], versions["reason"]))
    # Then every run has the same rootdir and ini file, and the mismatch FAILs each time
    assert path.exists()
    assert seen[0] == (
        (f"rootdir: {pytester.path}", "configfile: tox.ini"),
        1,
        "FAIL",
        "version_mismatch",
    )
    assert seen == [seen[0]] * 4
