"""The checkpoint's files: what is refused, what is moved aside, and a change counted once."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import checkpoint
from sentry_simulator import Fault, Simulator, TokenSpec
from sentry_simulator.scenarios import demo_data
from tests.conftest import CANARY_TOKEN, FULL_SCOPES, load_report

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "codictate"
NOW = datetime.now(UTC).replace(microsecond=0)
ORG, PROJECT = "acme", "app"


def _point(ids: set[str], at: str = "2026-11-29T10:00:00+00:00") -> checkpoint.Checkpoint:
    return checkpoint.Checkpoint(ORG, PROJECT, at, "14d", frozenset(ids), len(ids))


# -- 14.2 / 15.2: only a regular file is read, moved aside or replaced ---------------------------


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a FIFO"


def _device(path: Path) -> str:
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:  # not root: a symlink to a device stands in (refused as a symlink)
        path.symlink_to("/dev/zero")
        return "a symlink"
    return "a character device"


def _link_to_dev_zero(path: Path) -> str:
    path.symlink_to("/dev/zero")
    return "a symlink"


def _link_to_a_file(path: Path) -> str:
    target = path.with_name("elsewhere.json")
    target.write_text("{not a checkpoint")
    path.symlink_to(target)
    return "a symlink"


NOT_REGULAR = [_fifo, _device, _link_to_dev_zero, _link_to_a_file]


def _fingerprint(path: Path) -> tuple[int, str, str]:
    info = path.lstat()
    link = os.readlink(path) if path.is_symlink() else ""
    content = Path(link).read_text() if link.endswith("elsewhere.json") else ""
    return info.st_mode, link, content


@pytest.mark.parametrize("make", NOT_REGULAR, ids=lambda f: f.__name__.strip("_"))
def test_a_state_file_that_is_not_a_regular_file_is_refused_and_untouched(
    tmp_path: Path, make: Any
) -> None:
    path = tmp_path / "acme_app.json"
    kind = make(path)
    before = _fingerprint(path)
    for attempt in (
        lambda: checkpoint.load(path, org=ORG, project=PROJECT),
        lambda: checkpoint.commit(path, _point({"1"})),
        lambda: checkpoint.save(path, _point({"1"})),
    ):
        with pytest.raises(checkpoint.CheckpointRefused, match=kind) as refused:
            attempt()
        assert str(path) in str(refused.value)
    assert _fingerprint(path) == before
    assert [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name] == []


def test_a_checkpoint_symlinked_to_dev_zero_costs_no_memory(tmp_path: Path) -> None:
    state = tmp_path / ".sentry-gate"
    state.mkdir()
    path = state / "acme_app.json"
    path.symlink_to("/dev/zero")
    tracemalloc.start()
    try:
        with pytest.raises(checkpoint.CheckpointRefused, match="symlink"):
            checkpoint.load(path, org=ORG, project=PROJECT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert path.is_symlink()


def test_a_checkpoint_above_the_cap_is_moved_aside_unread_with_the_cap_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "acme_app.json"
    with path.open("wb") as handle:  # 50 MB, sparse: the size is what counts
        handle.truncate(50 * 1024 * 1024)
    tracemalloc.start()
    try:
        loaded = checkpoint.load(path, org=ORG, project=PROJECT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # read bounded, not whole (no wall clock: it fails on a busy machine)
    assert loaded.previous is None
    assert loaded.problem is not None
    assert "52,428,800 bytes, above the 8,388,608-byte cap" in loaded.problem
    assert loaded.moved_aside is not None
    assert loaded.moved_aside.stat().st_size == 50 * 1024 * 1024


def test_a_checkpoint_that_would_exceed_the_cap_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "acme_app.json"
    checkpoint.save(path, _point({"1"}))
    good = path.read_text()
    monkeypatch.setattr(checkpoint.store, "CAP_CHECKPOINT", 4096)
    with pytest.raises(checkpoint.CheckpointError, match="above the 4,096-byte cap"):
        checkpoint.commit(path, _point({str(n) for n in range(1000)}, at="2026-11-30T00:00:00Z"))
    assert path.read_text() == good
    assert not list(tmp_path.glob("*.tmp"))


# -- 15.5: nothing wedges the loop ----------------------------------------------------------------


def _document(**changes: Any) -> dict[str, Any]:
    return {**_point({"1", "2"}).as_json(), **changes}


HOSTILE = {
    "infinite count": json.dumps(_document()).replace(
        '"unresolved_count": 2', '"unresolved_count": 1e999'
    ),
    "NaN count": json.dumps(_document()).replace(
        '"unresolved_count": 2', '"unresolved_count": NaN'
    ),
    "nested 200,000 deep": json.dumps(_document()).replace(
        '"high_severity": []', '"high_severity": ' + "[" * 200_000 + "]" * 200_000
    ),
    "ids not ids": json.dumps(_document(unresolved_ids=[{"id": 1}])),
    "bad time": json.dumps(_document(checked_at="yesterday")),
    "count as text": json.dumps(_document(unresolved_count="2")),
    "not UTF-8": "\udcff",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_checkpoint_that_does_not_validate_is_moved_aside_once(tmp_path: Path, text: str) -> None:
    path = tmp_path / "acme_app.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    loaded = checkpoint.load(path, org=ORG, project=PROJECT)
    assert loaded.previous is None
    assert loaded.problem
    assert loaded.moved_aside is not None
    assert loaded.moved_aside.read_bytes() == text.encode("utf-8", "surrogateescape")
    # once: the next run starts a new baseline and names nothing
    again = checkpoint.commit(path, _point({"1"}))
    assert again.written
    assert again.moved_aside is None
    assert checkpoint.load(path, org=ORG, project=PROJECT).previous is not None


def test_an_orphaned_temp_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "acme_app.json"
    checkpoint.save(path, _point({"1"}))
    orphan = tmp_path / ".acme_app.json-k1ll3d.tmp"  # what a writer killed mid-write leaves
    orphan.write_text('{"schema": ')
    other = tmp_path / ".other.json-x.tmp"
    other.write_text("not ours")
    done = checkpoint.commit(path, _point({"1", "2"}, at="2026-11-29T11:00:00+00:00"))
    assert done.orphans_removed == 1
    assert not orphan.exists()
    assert other.exists()


# -- 15.4: a change is counted once, and checked_at never moves backwards ------------------------


def test_the_delta_is_counted_against_the_checkpoint_as_it_is_when_writing(tmp_path: Path) -> None:
    path = tmp_path / "acme_app.json"
    baseline = {str(n) for n in range(10)}
    changed = {str(n) for n in range(5, 15)}  # 5 resolved, 5 new
    checkpoint.save(path, _point(baseline, at="2026-11-29T10:00:00+00:00"))
    # two runs both loaded the baseline at their start, then finish one after the other
    first = checkpoint.commit(path, _point(changed, at="2026-11-29T10:05:00+00:00"))
    second = checkpoint.commit(path, _point(changed, at="2026-11-29T10:05:00+00:00"))
    assert (len(first.changes.new), len(first.changes.resolved)) == (5, 5)
    assert (second.changes.new, second.changes.resolved) == ((), ())
    assert second.previous is not None
    assert second.previous.checked_at == "2026-11-29T10:05:00+00:00"


def test_an_older_snapshot_never_replaces_a_newer_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "acme_app.json"
    checkpoint.save(path, _point({"1", "2"}, at="2026-11-29T10:10:00+00:00"))
    newer = path.read_text()
    late = checkpoint.commit(path, _point({"1", "2", "3"}, at="2026-11-29T10:05:00+00:00"))
    assert not late.written
    assert late.superseded
    assert (late.changes.new, late.changes.resolved) == ((), ())
    assert path.read_text() == newer
    assert json.loads(path.read_text())["checked_at"] == "2026-11-29T10:10:00+00:00"


def test_the_loop_section_says_when_another_run_wrote_in_between(tmp_path: Path) -> None:
    from pytest_sentry_gate.loop_report import _committed

    path = tmp_path / "acme_app.json"
    start = _point({"1"}, at="2026-11-29T10:00:00+00:00")
    checkpoint.save(path, start)
    checkpoint.save(path, _point({"1", "2"}, at="2026-11-29T10:04:00+00:00"))  # another run
    moved_on = _committed(
        checkpoint.commit(path, _point({"1", "2"}, at="2026-11-29T10:05:00Z")), start
    )
    assert moved_on["new_since_last"]["count"] == 0
    assert moved_on["previous_check"] == "2026-11-29T10:04:00+00:00"
    assert "another run wrote the checkpoint (2026-11-29T10:04:00+00:00)" in moved_on["note"]
    assert "compared with the checkpoint of 2026-11-29T10:00:00+00:00" in moved_on["note"]
    late = _committed(checkpoint.commit(path, _point({"3"}, at="2026-11-29T10:01:00Z")), start)
    assert not late["checkpoint_written"]
    assert "a newer checkpoint (2026-11-29T10:05:00Z) was written by another run" in late["note"]


# -- 18.8 and 15.14: the .sentry-gate directory ---------------------------------------------------


def test_a_new_sentry_gate_directory_ignores_itself_in_git(tmp_path: Path) -> None:
    path = checkpoint.default_path(tmp_path, ORG, PROJECT)
    checkpoint.commit(path, _point({"1"}))
    assert "*" in (path.parent / ".gitignore").read_text().splitlines()
    if Path("/usr/bin/git").exists():
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        status = subprocess.run(
            ["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert status.stdout == ""


def test_a_directory_given_by_the_user_gets_no_gitignore(tmp_path: Path) -> None:
    path = tmp_path / "state" / "acme_app.json"
    checkpoint.commit(path, _point({"1"}))
    assert not (path.parent / ".gitignore").exists()


# -- whole runs -----------------------------------------------------------------------------------


def _sim() -> Simulator:
    sim = Simulator(data=demo_data(DEMO, now=NOW, health_story=True, incident_story=False))
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    return sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with _sim() as running:
        yield running


def _args(url: str, repo: Path, *extra: str, report: str = "report.json") -> list[str]:
    return [
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={repo}",
        f"--sentry-gate-report={report}",
        "-p",
        "no:cacheprovider",
        *extra,
    ]


def _run(
    pytester: pytest.Pytester, mode: str, url: str, repo: Path, *extra: str
) -> pytest.RunResult:
    os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
    return pytester.runpytest_inprocess("-m", mode, *_args(url, repo, *extra))


@pytest.mark.parametrize("make", NOT_REGULAR, ids=lambda f: f.__name__.strip("_"))
def test_a_state_file_option_naming_a_fifo_device_or_symlink_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make: Any
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    path = tmp_path / "acme_codictate.json"
    kind = make(path)
    before = _fingerprint(path)
    result = _run(
        pytester, "verify_loop", "http://127.0.0.1:9", DEMO, f"--sentry-state-file={path}"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"the checkpoint path {path} (from --sentry-state-file) is {kind}" in err
    assert _fingerprint(path) == before


def test_a_replay_does_not_refuse_the_checkpoint_it_never_touches(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    fifo = tmp_path / "acme_codictate.json"
    os.mkfifo(fifo)
    result = _run(
        pytester,
        "verify_loop",
        "http://127.0.0.1:9",
        DEMO,
        f"--sentry-state-file={fifo}",
        "--sentry-record-mode=none",
    )
    assert result.ret != pytest.ExitCode.USAGE_ERROR
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_default_checkpoint_symlinked_to_dev_zero_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    (repo / ".sentry-gate").mkdir()
    link = repo / ".sentry-gate" / "acme_codictate.json"
    link.symlink_to("/dev/zero")
    result = _run(pytester, "prod_health", "http://127.0.0.1:9", repo)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"the checkpoint path {link}" in result.stderr.str()
    assert "a symlink (to /dev/zero)" in result.stderr.str()
    assert link.is_symlink()


def test_a_sentry_gate_directory_linked_out_of_the_repository_is_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, repo: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / ".sentry-gate").symlink_to(outside)
    result = _run(pytester, "verify_loop", "http://127.0.0.1:9", repo)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "outside the repository" in result.stderr.str()
    assert list(outside.iterdir()) == []


def test_a_checkpoint_holding_infinity_is_moved_aside_with_a_named_verdict_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    state = tmp_path / "acme_codictate.json"
    state.write_text(
        json.dumps({**_point({"1"}).as_json(), "org": "acme", "project": "codictate"}).replace(
            '"unresolved_count": 1', '"unresolved_count": 1e999'
        )
    )
    flag = f"--sentry-state-file={state}"
    _run(pytester, "verify_loop", sim.url, DEMO, flag)
    first = load_report(pytester.path / "report.json")
    growth = next(c for c in first["checks"] if c["id"].endswith("::test_volume_growth"))
    assert (growth["status"], growth["reason"]) == ("PARTIAL", "checkpoint_moved_aside")
    assert "is not finite" in growth["message"]
    assert first["verify_loop"]["moved_aside"] is not None
    new = next(c for c in first["checks"] if c["id"].endswith("::test_new_since_last_check"))
    assert any("moved aside" in risk for risk in new["risks"])
    assert first["verify_loop"]["checkpoint_written"]
    _run(pytester, "verify_loop", sim.url, DEMO, flag)
    second = load_report(pytester.path / "report.json")
    growth = next(c for c in second["checks"] if c["id"].endswith("::test_volume_growth"))
    assert growth["reason"] != "checkpoint_moved_aside"
    assert second["verify_loop"]["moved_aside"] is None
    assert len(list(tmp_path.glob("acme_codictate.json.corrupt-*"))) == 1


def test_one_run_one_new_triage_names_the_ids_the_loop_counts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    flag = f"--sentry-state-file={tmp_path / 'acme_codictate.json'}"
    _run(pytester, "verify_loop", sim.url, DEMO, flag)
    # ten issues unresolved since the last check, first seen two days before it (reopened)
    fresh = [
        sim.data.add_issue(
            project="codictate",
            title=f"Error: back again {n}",
            first_seen=NOW - timedelta(days=2),
            last_seen=NOW,
        ).id
        for n in range(10)
    ]
    _run(pytester, "verify_loop", sim.url, DEMO, flag)
    report = load_report(pytester.path / "report.json")
    loop = report["verify_loop"]
    assert loop["new_since_last"]["ids"] == sorted(str(i) for i in fresh)
    new = next(c for c in report["checks"] if c["id"].endswith("::test_new_since_last_check"))
    assert new["message"].startswith("10 new issue(s) since the last check")
    assert sorted(new["evidence"]["new_ids"]) == sorted(str(i) for i in fresh)
    assert {h["id"] for h in report["triage"]["buckets"]["new"]} <= {str(i) for i in fresh}
    assert len(report["triage"]["buckets"]["new"]) == min(10, len(new["evidence"]["issues"]))


#: Four runs in CI; set CHECKPOINT_PARALLEL_LOOPS=10 by hand for the longer version.
PARALLEL = int(os.environ.get("CHECKPOINT_PARALLEL_LOOPS", "4"))


def _parallel_loops(url: str, root: Path, state: Path, count: int) -> list[dict[str, Any]]:
    """``count`` verify_loop runs started at once, each in its own process and directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    runs = []
    for n in range(count):
        cwd = root / f"run{n}"
        cwd.mkdir()
        (cwd / "pytest.ini").write_text("[pytest]\nsentry_http_timeout = 5\n")
        command = [sys.executable, "-m", "pytest", "-m", "verify_loop", "-q"]
        command += _args(url, DEMO, f"--sentry-state-file={state}")
        runs.append(
            subprocess.Popen(
                command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        )
    for process in runs:
        _, err = process.communicate(timeout=240)
        assert b"Traceback" not in err
    return [load_report(root / f"run{n}" / "report.json")["verify_loop"] for n in range(count)]


def test_parallel_loops_report_a_change_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    state = tmp_path / "acme_codictate.json"
    old = [
        sim.data.add_issue(project="codictate", title=f"Error: old {n}", last_seen=NOW).id
        for n in range(5)
    ]
    _run(pytester, "verify_loop", sim.url, DEMO, f"--sentry-state-file={state}")
    # Given 5 resolved and 5 new since the baseline
    for issue_id in old:
        sim.data.update_issue(issue_id, status="resolved", substatus=None)
    for n in range(5):
        sim.data.add_issue(project="codictate", title=f"Error: fresh {n}", last_seen=NOW)
    # and runs that overlap: each waits a second on the issue details (after loading)
    sim.add_fault(Fault(path=r"/issues/\d+/$", delay=1.0))
    # When several verify_loop runs finish at about the same time
    loops = _parallel_loops(sim.url, tmp_path, state, PARALLEL)
    # Then exactly one of them reports the change, and the checkpoint holds the newest run
    reported = [loop for loop in loops if loop["new_since_last"]["count"]]
    assert len(reported) == 1, [(lp["new_since_last"]["count"], lp["note"]) for lp in loops]
    assert reported[0]["new_since_last"]["count"] == 5
    assert reported[0]["resolved_since_last"]["count"] == 5
    saved = json.loads(state.read_text())
    assert saved["checked_at"] == max(loop["checked_at"] for loop in loops)


def test_a_refused_checkpoint_behind_a_discovered_org_is_a_named_verdict(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator, repo: Path
) -> None:
    # Given no org configured (so the default path is known only after discovery)
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    (repo / ".sentry-gate").mkdir()
    fifo = repo / ".sentry-gate" / "acme_codictate.json"
    os.mkfifo(fifo)
    pytester.makeini("[pytest]\nsentry_http_timeout = 2\n")
    args = [a for a in _args(sim.url, repo) if a != "--sentry-org=acme"]
    pytester.runpytest_inprocess("-m", "verify_loop", *args)
    report = load_report(pytester.path / "report.json")
    # Then the checks that read the checkpoint FAIL by name, and nothing replaced the FIFO
    by_name = {c["id"].split("::")[1]: c for c in report["checks"]}
    growth = by_name["test_volume_growth"]
    assert (growth["status"], growth["reason"]) == ("FAIL", "checkpoint_refused")
    assert f"the checkpoint {fifo} is a FIFO" in growth["message"]
    assert by_name["test_new_since_last_check"]["reason"] == "checkpoint_refused"
    assert not report["verify_loop"]["checkpoint_written"]
    assert "a FIFO" in report["verify_loop"]["note"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in fifo.parent.iterdir()) == ["acme_codictate.json"]


def test_new_issues_no_candidate_page_holds_are_read_for_triage(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sim: Simulator, tmp_path: Path
) -> None:
    # Given a backlog of 120 busy issues seen in the last hour, and a baseline
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    for n in range(120):
        sim.data.add_issue(
            project="codictate",
            title=f"Error: busy {n}",
            count=500,
            user_count=50,
            last_seen=NOW - timedelta(minutes=30),
        )
    flag = f"--sentry-state-file={tmp_path / 'acme_codictate.json'}"
    _run(pytester, "verify_loop", sim.url, DEMO, flag)
    # When three quiet issues come back (first seen long ago, last seen ten days ago)
    quiet = [
        sim.data.add_issue(
            project="codictate",
            title=f"Error: quiet {n}",
            first_seen=NOW - timedelta(days=12),
            last_seen=NOW - timedelta(days=10),
        ).id
        for n in range(3)
    ]
    _run(pytester, "verify_loop", sim.url, DEMO, flag)
    report = load_report(pytester.path / "report.json")
    # Then triage describes exactly the three ids the loop counts as new
    assert report["verify_loop"]["new_since_last"]["ids"] == sorted(str(i) for i in quiet)
    triaged = report["triage"]["buckets"]["new"]
    assert sorted(h["id"] for h in triaged) == sorted(str(i) for i in quiet)
    assert all(h["details_read"] for h in triaged)


#: SIGKILLs in CI; set CHECKPOINT_KILLS=200 by hand for the longer version.
KILLS = int(os.environ.get("CHECKPOINT_KILLS", "12"))
WRITER = """
import sys
from pathlib import Path
from pytest_sentry_gate import checkpoint
path, n = Path(sys.argv[1]), 0
while True:  # ever larger checkpoints, until killed
    n += 1
    ids = frozenset(str(i) for i in range(n * 997 % 20000))
    checkpoint.save(path, checkpoint.Checkpoint("acme", "app", "2026-11-29T10:00:00+00:00",
                                                "14d", ids, len(ids)))
    print(n, flush=True)
"""


def test_a_writer_killed_at_any_moment_leaves_the_old_or_the_new_checkpoint(
    tmp_path: Path,
) -> None:
    import random
    import signal

    path = tmp_path / "acme_app.json"
    rng = random.Random(14)
    for _ in range(KILLS):
        # Given a writer saving checkpoints in a loop
        with subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        ) as writer:
            assert writer.stdout is not None
            writer.stdout.readline()  # at least one save has finished
            # When it is killed with SIGKILL at a random moment of a later save
            time.sleep(rng.uniform(0, 0.05))
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
        # Then the checkpoint loads whole, never torn and never moved aside
        loaded = checkpoint.load(path, org="acme", project="app")
        assert loaded.moved_aside is None, loaded.problem
        assert loaded.previous is not None
        assert loaded.previous.unresolved_count == len(loaded.previous.unresolved_ids)
