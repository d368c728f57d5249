"""prod_health, issue_triage and verify_loop: readers, checkpoint, triage, and whole runs."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate import checkpoint, triage
from pytest_sentry_gate.repo.codeowners import NO_RULE, read_owners
from pytest_sentry_gate.sentry.client import SentryClient
from pytest_sentry_gate.sentry.issues import (
    IssueSummary,
    exact_count,
    unresolved_head,
    unresolved_listing,
)
from sentry_simulator import Simulator, SimulatorData, TokenSpec, seeded
from sentry_simulator.scenarios import demo_data
from tests.conftest import CANARY_TOKEN, FULL_SCOPES, load_report

DEMO = Path(__file__).resolve().parents[1] / "examples" / "codictate"
NOW = datetime.now(UTC).replace(microsecond=0)


def _sim(data: SimulatorData, **kwargs: Any) -> Simulator:
    sim = Simulator(data=data, **kwargs)
    sim.add_token(CANARY_TOKEN, TokenSpec(scopes=FULL_SCOPES, kind="user"))
    return sim


def _count(sim: Simulator) -> tuple[int, str, int | None, int]:
    with SentryClient(base_url=sim.url, token=CANARY_TOKEN) as client:
        pid = str(next(iter(sim.data.projects)))
        head, header = unresolved_head(client, "acme", pid, "90d")
        count = exact_count(head, lambda: unresolved_listing(client, "acme", pid, "90d"), header)
        return count.value, count.source, count.at_least, client.request_count


# -- counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("issues", [0, 1, 99, 100, 101, 250])
def test_unresolved_count_is_exact_in_one_request(issues: int) -> None:
    # Given a project with N unresolved issues (plus resolved and ignored ones)
    with _sim(seeded(issues=issues, now=NOW)) as sim:
        # When the count is read
        value, source, at_least, requests = _count(sim)
    # Then it is from X-Hits, in one request: exact on one page, Sentry's estimate beyond
    source_named = "x-hits" if issues <= 100 else "x-hits estimate"
    assert (value, source, at_least, requests) == (issues, source_named, None, 1)


@pytest.mark.parametrize("issues", [0, 1, 99, 100, 101, 250])
def test_listing_holds_every_id_in_ceil_n_over_100_requests(issues: int) -> None:
    data = seeded(issues=issues, now=NOW)
    with _sim(data) as sim, SentryClient(base_url=sim.url, token=CANARY_TOKEN) as client:
        pid = str(next(iter(sim.data.projects)))
        listing = unresolved_listing(client, "acme", pid, "90d")
        requests = client.request_count
    expected = {str(i.id) for i in sim.data.issues if i.status == "unresolved"}
    assert listing.ids == expected
    assert requests == max(1, -(-issues // 100))


def test_count_at_50000_is_one_request() -> None:
    with _sim(seeded(issues=50_000, now=NOW)) as sim:
        assert _count(sim) == (50_000, "x-hits estimate", None, 1)


def test_capped_count_says_at_least_and_takes_the_listing() -> None:
    # Given X-Hits capped at 100 (X-Max-Hits 100) and 250 unresolved issues
    with _sim(seeded(issues=250, now=NOW), max_hits=100) as sim:
        value, source, at_least, requests = _count(sim)
    # Then the header says "at least 100" and the exact number comes from the id listing
    assert (value, source, at_least, requests) == (250, "id listing", 100, 3)


def test_only_the_issue_list_sends_hit_headers() -> None:
    with _sim(seeded(issues=5, now=NOW)) as sim:
        import httpx

        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        issues = httpx.get(f"{sim.url}/api/0/organizations/acme/issues/", headers=headers)
        releases = httpx.get(f"{sim.url}/api/0/organizations/acme/releases/", headers=headers)
    assert issues.headers["X-Hits"] == "5"
    assert "X-Max-Hits" not in issues.headers  # no cap configured: no cap header
    assert "X-Hits" not in releases.headers


# -- triage (pure) ------------------------------------------------------------------------------


def _issue(n: int, **fields: Any) -> IssueSummary:
    base: dict[str, Any] = {
        "id": str(n),
        "short_id": f"APP-{n}",
        "title": f"Error {n}",
        "culprit": "f(./src/a)",
        "permalink": "",
        "level": "error",
        "substatus": "ongoing",
        "priority": "medium",
        "unhandled": False,
        "events": 2,
        "users": 1,
        "first_seen": (NOW - timedelta(days=3)).isoformat(),
        "last_seen": NOW.isoformat(),
    }
    base.update(fields)
    return IssueSummary(**base)


def test_buckets_in_runbook_order_new_and_urgent_in_both() -> None:
    since = NOW - timedelta(hours=6)
    issues = [
        _issue(1, first_seen=(NOW - timedelta(hours=1)).isoformat(), level="fatal"),  # new, urgent
        _issue(2, level="fatal"),
        _issue(3, priority="high"),
        _issue(4, substatus="regressed", events=500),  # urgent before recurring
        _issue(5, unhandled=True, users=40, events=45),
        _issue(6, events=300, users=3),
        _issue(7, first_seen=(NOW - timedelta(days=60)).isoformat()),
        _issue(8),  # nothing: no bucket
        _issue(2, level="fatal"),  # duplicate
        _issue(9, first_seen=(NOW - timedelta(hours=10)).isoformat()),  # before the last check
    ]
    buckets = triage.bucket(issues, since=since, now=NOW)
    ids = {name: sorted(i.id for i, _ in entries) for name, entries in buckets.items()}
    assert ids == {"new": ["1"], "urgent": ["1", "2", "3", "4", "5"], "recurring": ["6", "7"]}
    # Without a previous check, "new" means the last 24 hours
    no_check = triage.bucket(issues, since=None, now=NOW)
    assert sorted(i.id for i, _ in no_check["new"]) == ["1", "9"]


@pytest.mark.parametrize(
    "raw",
    ["./src/audio/rec.ts", "webpack:///src/audio/rec.ts", "app://localhost/src/audio/rec.ts",
     "/src/audio/rec.ts", "../../src/audio/rec.ts"],
)  # fmt: skip
def test_frame_paths_normalise(raw: str) -> None:
    assert triage.normalise_path(raw) == "src/audio/rec.ts"


def test_safe_text() -> None:
    assert triage.safe("evil\x1b[31m\nline") == "evil\\x1b[31m\\nline"


def test_codeowners_last_matching_rule_wins(tmp_path: Path) -> None:
    # Given a CODEOWNERS in .github/ (GitHub's first location) and one at the root
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text(
        "*.ts @web\n/src/audio/ @audio-team\nsrc/audio/legacy.ts @legacy\n"
    )
    (tmp_path / "CODEOWNERS").write_text("* @ignored\n")
    owners = read_owners(tmp_path)
    assert owners.file == ".github/CODEOWNERS"
    assert owners.describe("src/audio/rec.ts") == "@audio-team"
    assert owners.describe("src/audio/legacy.ts") == "@legacy"
    assert owners.describe("src/ui/view.ts") == "@web"
    assert owners.describe("README.md") == NO_RULE


# -- checkpoint ---------------------------------------------------------------------------------


def _point(ids: set[str], at: str = "2026-11-29T10:00:00+00:00") -> checkpoint.Checkpoint:
    return checkpoint.Checkpoint("acme", "app", at, "14d", frozenset(ids), len(ids))


def test_five_new_and_five_resolved_read_five_and_five(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    checkpoint.save(path, _point({str(n) for n in range(20)}))
    loaded = checkpoint.load(path, org="acme", project="app")
    now = {str(n) for n in range(5, 25)}
    change = checkpoint.changes(loaded.previous, now)
    assert (len(change.new), len(change.resolved)) == (5, 5)
    assert change.new == ("20", "21", "22", "23", "24")
    assert change.resolved == ("0", "1", "2", "3", "4")


def test_corrupt_or_foreign_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    loaded = checkpoint.load(path, org="acme", project="app")
    assert loaded.previous is None
    assert loaded.moved_aside is not None
    assert loaded.moved_aside.read_text() == "{not json"
    assert not path.exists()
    checkpoint.save(path, _point({"1"}))
    other = checkpoint.load(path, org="acme", project="other")
    assert other.previous is None
    assert other.moved_aside is not None


def test_concurrent_writers_leave_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(10):
                checkpoint.save(path, _point({str(i) for i in range(n * 100 + k)}))
                checkpoint.load(path, org="acme", project="app")
        except BaseException as exc:  # pragma: no cover - the failure we test against
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert checkpoint.load(path, org="acme", project="app").moved_aside is None
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")
def test_unwritable_directory_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        path = locked / ".sentry-gate" / "acme_app.json"
        assert checkpoint.writable_problem(path) == f"no write permission on {locked}"
        with pytest.raises(checkpoint.CheckpointError, match=str(locked)):
            checkpoint.save(path, _point({"1"}))
    finally:
        locked.chmod(0o700)


# -- whole runs ---------------------------------------------------------------------------------


def _loop(
    pytester: pytest.Pytester, sim: Simulator, state: Path, *marks: str, ini: str = ""
) -> dict[str, Any]:
    os.environ["SENTRY_AUTH_TOKEN"] = CANARY_TOKEN
    pytester.makeini("[pytest]\nsentry_http_timeout = 2\n" + ini)
    pytester.runpytest_inprocess(
        "-m",
        " or ".join(marks or ("verify_loop",)),
        f"--sentry-url={sim.url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={DEMO}",
        f"--sentry-state-file={state}",
        "--sentry-gate-report=report.json",
        "-p",
        "no:cacheprovider",
    )
    return load_report(pytester.path / "report.json")


def test_two_loops_report_new_and_resolved_as_sets(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    state = tmp_path / "state" / "acme_codictate.json"
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        # Given a first loop: the baseline
        first = _loop(pytester, sim, state)["verify_loop"]
        assert first["baseline_established"]
        assert first["checkpoint_written"]
        # When five issues are resolved and five new ones appear
        pid = next(p.id for p in sim.data.projects.values() if p.slug == "codictate")
        recent = NOW.timestamp() - 14 * 86400  # the loop's window (statsPeriod 14d)
        mine = [
            i.id
            for i in sim.data.issues
            if i.status == "unresolved" and i.project_id == pid and i.last_seen >= recent
        ]
        for issue_id in mine[:3]:
            sim.data.update_issue(issue_id, status="resolved", substatus=None)
        for n in range(5):
            sim.data.add_issue(project="codictate", title=f"Error: fresh {n}", last_seen=NOW)
        second = _loop(pytester, sim, state)["verify_loop"]
    # Then the second loop names them by id: the unresolved count alone would hide it
    assert second["new_since_last"]["count"] == 5
    assert second["resolved_since_last"]["count"] == 3
    assert second["resolved_since_last"]["ids"] == sorted(str(i) for i in mine[:3])
    assert second["previous_check"] == first["checked_at"]
    assert second["unresolved_count"] == first["unresolved_count"] + 2
    saved = json.loads(state.read_text())
    assert saved["schema"] == checkpoint.SCHEMA
    assert saved["unresolved_count"] == 6


def test_failed_api_phase_keeps_the_good_checkpoint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sentry_simulator import Fault

    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    state = tmp_path / "acme_codictate.json"
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        _loop(pytester, sim, state)
        good = state.read_text()
        sim.add_fault(Fault(path="/api/0/organizations/acme/issues/", status=500))
        report = _loop(pytester, sim, state)
    assert state.read_text() == good
    assert not report["verify_loop"]["checkpoint_written"]
    assert "not written" in report["verify_loop"]["note"]


def test_triage_sends_only_gets(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with _sim(demo_data(DEMO, now=NOW, health_story=True, incident_story=False)) as sim:
        report = _loop(pytester, sim, tmp_path / "s.json", "issue_triage")
        methods = {r.method for r in sim.requests}
    assert methods == {"GET"}
    statuses = {c["id"].split("::")[1]: c["status"] for c in report["checks"]}
    assert statuses == {
        "test_new_since_last_check": "PASS",
        "test_likely_urgent": "PARTIAL",
        "test_recurring_noisy": "PASS",
    }
    buckets = report["triage"]["buckets"]
    assert [h["short_id"] for h in buckets["urgent"]] == ["CODICTATE-6", "CODICTATE-7"]
    assert buckets["new"][0]["top_frame"].startswith("src/transcribe.ts:")
    assert buckets["new"][0]["fix_version"] == "codictate@1.4.3"


def test_state_path_under_a_file_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    path = blocker / "acme_app.json"
    assert checkpoint.writable_problem(path) == f"{blocker} is a file"
    with pytest.raises(checkpoint.CheckpointError, match="not-a-dir"):
        checkpoint.save(path, _point({"1"}))


def test_tolerated_high_severity_issues_pass_and_are_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given two high-severity issues and a threshold that tolerates five
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with _sim(demo_data(DEMO, now=NOW, health_story=True)) as sim:
        report = _loop(
            pytester, sim, tmp_path / "s.json", "prod_health", ini="sentry_max_high_severity = 5\n"
        )
    # Then the check passes, but never claims there is none
    high = next(c for c in report["checks"] if c["id"].endswith("::test_high_severity"))
    assert high["status"] == "PASS"
    assert high["message"].startswith("2 high-severity unresolved issue(s), tolerated up to 5:")
