"""Record and replay: one cassette per run target, scrubbed before writing, replayed offline."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sentry_simulator import Fault
from tests import seam
from tests.conftest import CANARY_TOKEN, demo_simulator, load_report, statuses

ROOT = Path(__file__).resolve().parents[1]
DSN_KEY = "0123456789abcdef0123456789abcdef"
DSN = f"http://{DSN_KEY}@127.0.0.1:9/4242"
MODES = "setup_preflight or release_gate"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(
        ROOT / "examples" / "codictate", target, ignore=shutil.ignore_patterns("pytest.ini")
    )
    (target / ".env").write_text(f"SENTRY_DSN={DSN}\n")
    return target


def run(
    pytester: pytest.Pytester, app: Path, url: str, *args: str, report: str = "report.json"
) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest_inprocess(
        "-m",
        MODES,
        f"--sentry-url={url}",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={app}",
        f"--sentry-gate-report={report}",
        "--sentry-cassette-dir=tapes",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        *args,
    )
    return result, load_report(pytester.path / report)


def stable(report: dict[str, Any]) -> str:
    """The report without the run's own start time and durations, nor its cassette."""
    data = copy.deepcopy(report)
    data.pop(
        "cassette", None
    )  # recording: not yet replayed; replay: recorded_at (test_replay_names...)
    data.pop("started_at")
    data.pop("duration_s")
    for check in data["checks"]:
        check.pop("duration")
    text = json.dumps(data, sort_keys=True)
    return re.sub(r"(record_mode\W+)(once|none)", r"\1-", text)


@pytest.fixture
def recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> tuple[str, dict[str, Any]]:
    """Both modes recorded against the demo simulator (then stopped) with canary secrets."""
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SENTRY_DSN", DSN)
    with demo_simulator(app) as sim:
        url = sim.url
        result, report = run(pytester, app, url, "--sentry-record-mode=once")
    assert result.ret == 0, result.stdout.str()
    return url, report


def test_record_writes_one_scrubbed_cassette_per_target(
    pytester: pytest.Pytester, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a recording run with a canary token and DSN
    _, report = recorded
    # Then one cassette holds the run, under <dir>/<org>/<project>.yaml
    tapes = sorted(p.relative_to(pytester.path) for p in (pytester.path / "tapes").rglob("*"))
    assert [str(p) for p in tapes] == ["tapes/acme", "tapes/acme/codictate.yaml"]
    text = (pytester.path / "tapes/acme/codictate.yaml").read_bytes()
    # And no byte of it holds a secret, nor the authorization header
    assert CANARY_TOKEN.encode() not in text
    assert DSN_KEY.encode() not in text
    assert b"sntryu_" not in text
    assert b"Authorization" not in text
    assert b"authorization" not in text
    assert b"recorded_at" in text
    assert report["record_mode"] == "once"
    assert set(statuses(report).values()) == {"PASS", "SKIP"}


def test_replay_with_the_server_stopped_gives_the_same_report(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette recorded by a run whose server is now stopped
    url, first = recorded
    # When the same run replays (twice), with no server
    result, again = run(pytester, app, url, "--sentry-record-mode=none", report="again.json")
    _, third = run(pytester, app, url, "--sentry-record-mode=none", report="third.json")
    # Then the verdicts and every byte of the reports agree, apart from time and durations
    assert result.ret == 0, result.stdout.str()
    assert stable(again) == stable(first)
    assert stable(again) == stable(third)
    assert again["record_mode"] == "none"


@pytest.mark.usefixtures("dns_fails")
def test_replay_needs_no_dns(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette, and a Sentry host that does not even resolve
    _, first = recorded
    # When replaying against it
    result, report = run(pytester, app, "http://sentry.invalid/", "--sentry-record-mode=none")
    # Then the probe is not run (no PARTIAL for the network) and every verdict is the recorded one
    assert result.ret == 0, result.stdout.str()
    assert statuses(report) == statuses(first)


def test_replay_of_a_subset_with_k(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette recorded by both modes
    url, first = recorded
    # When one check replays alone
    result, report = run(
        pytester, app, url, "--sentry-record-mode=none", "-k", "test_artifacts_uploaded"
    )
    # Then it gives the verdict of the full run
    assert result.ret == 0, result.stdout.str()
    assert statuses(report) == {
        "test_artifacts_uploaded": statuses(first)["test_artifacts_uploaded"]
    }


def test_request_missing_from_the_cassette_fails_naming_it(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    # Given a cassette that lacks the releases endpoint
    url, _ = recorded
    path = pytester.path / "tapes/acme/codictate.yaml"
    text = path.read_text()
    kept = [
        chunk
        for chunk in re.split(r"(?m)^(?=- request:)", text)
        if "/releases/codictate@1.4.2/files/" not in chunk
    ]
    path.write_text("".join(kept))
    # When replaying, with no server
    result, report = run(pytester, app, url, "--sentry-record-mode=none", "-rA", timeout_args())
    # Then that check fails naming the method and path, and nothing hangs or goes live
    check = next(c for c in report["checks"] if c["id"].endswith("test_artifacts_uploaded"))
    assert check["status"] == "FAIL", check
    assert check["reason"] == "replay_missing"
    assert "GET /api/0/projects/acme/codictate/releases/codictate@1.4.2/files/" in check["message"]
    assert any("--sentry-record-mode=new_episodes" in c for c in check["next_commands"])
    assert result.ret == 1
    assert statuses(report)["test_release_visible"] == "PASS"


def timeout_args() -> str:
    return "-o=sentry_http_timeout=1"


def test_replayed_429_answers_in_order_without_sleeping(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path
) -> None:
    # Given a recording in which the release answered 429 (retry after 3 s) before its 200
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    with demo_simulator(app) as sim:
        url = sim.url
        sim.add_fault(
            Fault(
                path=r"^/api/0/organizations/acme/releases/codictate@1\.4\.2/$",
                status=429,
                times=1,
                headers={"Retry-After": "3"},
            )
        )
        seam.WAITS.clear()
        result, first = run(pytester, app, url, "--sentry-record-mode=once")
    assert result.ret == 0, result.stdout.str()
    assert seam.WAITS == [3.0]  # the recording waited as Retry-After said (recorded, not slept)
    # When it replays
    seam.WAITS.clear()
    result, again = run(pytester, app, url, "--sentry-record-mode=none", report="again.json")
    # Then the 429 and then the 200 are replayed, without the three seconds' wait
    assert result.ret == 0, result.stdout.str()
    assert statuses(again) == statuses(first)
    assert seam.WAITS == []  # (a wall clock would fail on a busy machine: the waits asked for)


def test_committed_cassettes_hold_no_secret() -> None:
    # Given every cassette committed to this repository
    pattern = re.compile(rb"sntry[su]_|https?://(?!0{32}@)[0-9a-fA-F]{32}(:[0-9a-fA-F]{32})?@")
    # Then none holds a token prefix or a DSN key
    for path in (ROOT / "cassettes").rglob("*.yaml"):
        assert not pattern.search(path.read_bytes()), path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Bearer {CANARY_TOKEN}", "Bearer [scrubbed]"),
        ("sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abc+/=", "[scrubbed]"),
        (f"https://{DSN_KEY}@o1.ingest.sentry.io/42", f"https://{'0' * 32}@o1.ingest.sentry.io/42"),
        (f"sentry_key={DSN_KEY}, sentry_version=7", f"sentry_key={'0' * 32}, sentry_version=7"),
        ("mail jane.doe@corp.example.com now", "mail user@example.invalid now"),
        ("/home/jane/app/main.ts", "/home/user/app/main.ts"),
        ("/Users/jane/app", "/Users/user/app"),
        ("C:\\Users\\jane\\app", "C:\\Users\\user\\app"),
        ("codictate@1.4.2-beta.rc", "codictate@1.4.2-beta.rc"),
        ("app://localhost/assets/main.js", "app://localhost/assets/main.js"),
        ("push with ghp_" + "a1B2" * 9 + " failed", "push with [scrubbed] failed"),
        ("key AKIAABCDEFGHIJKLMNOP leaked", "key [scrubbed] leaked"),
        ("db password=hunter2secret", "db [scrubbed]"),
    ],
)
def test_scrubber_text(text: str, expected: str) -> None:
    from pytest_sentry_gate.replay import Scrubber

    assert Scrubber([CANARY_TOKEN]).text(text) == expected


def test_scrubber_json_keys_and_user_ips() -> None:
    from pytest_sentry_gate.replay import DSN_KEY_PLACEHOLDER, SCRUBBED_IP, Scrubber

    # Given a client keys answer and an event with a user
    body = json.dumps(
        [
            {"public": DSN_KEY, "secret": "f" * 32, "dsn": {"public": f"https://{DSN_KEY}@h/1"}},
            {"user": {"ip_address": "203.0.113.9", "email": "a@b.example.org"}},
        ]
    ).encode()
    # When scrubbed
    data = json.loads(Scrubber(()).body(body) or b"")
    # Then no key, address or email is left, and the shapes are kept
    assert data[0]["public"] == DSN_KEY_PLACEHOLDER
    assert data[0]["secret"] == DSN_KEY_PLACEHOLDER
    assert data[0]["dsn"]["public"] == f"https://{DSN_KEY_PLACEHOLDER}@h/1"
    assert data[1]["user"] == {"ip_address": SCRUBBED_IP, "email": "user@example.invalid"}


def test_recording_is_thread_safe_and_repeats_are_allowed(tmp_path: Path) -> None:
    import httpx

    from pytest_sentry_gate.replay import Recorder
    from pytest_sentry_gate.sentry.client import gather

    # Given a live server answering each path, recorded by concurrent readers
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path, "q": request.url.query.decode()})

    path = tmp_path / "acme" / "web.yaml"
    recorder = Recorder(path=path, record_mode="once", live=httpx.MockTransport(answer))
    with httpx.Client(transport=recorder, base_url="http://h") as client:
        calls = [
            (lambda i=i: client.get(f"/api/0/x/{i % 10}/", params={"a": "1", "b": str(i)}).json())
            for i in range(40)
        ]
        gather(calls)
    recorder.save()
    # When replayed with the query in another order, twice
    replay = Recorder(path=path, record_mode="none")
    with httpx.Client(transport=replay, base_url="http://other") as client:
        for _ in range(2):
            got = client.get("/api/0/x/3/?b=13&a=1").json()
            # Then the same answer comes back each time
            assert got == {"path": "/api/0/x/3/", "q": "a=1&b=13"}
    assert len(replay.cassette.data) == 40


def test_smoke_envelope_is_replayed_not_sent_and_its_key_scrubbed(tmp_path: Path) -> None:
    import httpx

    from pytest_sentry_gate.replay import Recorder

    # Given a recorded envelope POST, authenticated by the DSN key in a header and in its body
    sent: list[httpx.Request] = []

    def ingest(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": "e" * 32})

    path = tmp_path / "acme" / "web.yaml"
    envelope = json.dumps({"dsn": DSN, "event_id": "e" * 32}).encode() + b"\n{}\n"
    recorder = Recorder(
        path=path, record_mode="once", secrets=(DSN_KEY,), live=httpx.MockTransport(ingest)
    )
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={DSN_KEY}, sentry_version=7"}
    with httpx.Client(transport=recorder) as client:
        client.post("http://127.0.0.1:9/api/4242/envelope/", content=envelope, headers=headers)
    recorder.save()
    assert len(sent) == 1
    assert DSN_KEY.encode() not in path.read_bytes()
    # When the run replays
    replay = Recorder(path=path, record_mode="none", live=httpx.MockTransport(ingest))
    with httpx.Client(transport=replay) as client:
        answer = client.post("http://h/api/4242/envelope/", content=envelope, headers=headers)
    # Then the recorded answer comes back and nothing is sent
    assert answer.json() == {"id": "e" * 32}
    assert len(sent) == 1


def test_scrubber_removes_every_form_of_a_client_key_without_being_told_it() -> None:
    # Given a client-keys answer in Sentry's shape (its id is its public key), no secret configured
    from pytest_sentry_gate.replay import Scrubber

    key = "fedcba9876543210fedcba9876543210"
    answer = {
        "id": key,
        "public": key,
        "dsn": {
            "public": f"http://{key}@h/1",
            "unreal": f"http://h/api/1/unreal/{key}/",
            "crons": f"http://h/api/1/cron/___MONITOR_SLUG___/{key}/",
            "cdn": f"http://h/js-sdk-loader/{key}.min.js",
            "csp": f"http://h/api/1/csp-report/?sentry_key={key}",
        },
    }
    # When it is scrubbed for a cassette
    body = Scrubber([]).body(json.dumps(answer))
    # Then no form of the key is left, and an event id elsewhere would keep its value
    assert isinstance(body, str)
    assert key not in body
    assert json.loads(body)["dsn"]["public"] == "http://" + "0" * 32 + "@h/1"
    event = Scrubber([]).body(json.dumps({"id": key, "eventID": key}))
    assert event == json.dumps({"id": key, "eventID": key}, separators=(",", ":"))


def test_a_replay_reads_the_recordings_now(tmp_path: Path) -> None:
    import httpx

    from pytest_sentry_gate.replay import Recorder

    # Given a recording whose run asked for "now" once, then made a request a while later
    path = tmp_path / "acme" / "web.yaml"
    live = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    recorder = Recorder(path=path, record_mode="once", secrets=(), live=live)
    recorded_now = recorder.now()
    assert recorder.now() == recorded_now  # one "now" per run
    with httpx.Client(transport=recorder) as client:
        client.get("http://127.0.0.1:9/api/0/organizations/acme/issues/?query=x")
    recorder.save()
    recorder.close()
    # When the cassette is replayed, much later
    replay = Recorder(path=path, record_mode="none", secrets=())
    # Then its "now" is the recording's, to the digit, so time windows ask the same queries
    assert replay.replay_only
    assert replay.now() == recorded_now


# -- a replay does not depend on the token (issue 14.6) -----------------------------------------


def test_a_replay_needs_no_token(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    app: Path,
    recorded: tuple[str, dict[str, Any]],
) -> None:
    # Given a cassette, and no token set at all
    url, first = recorded
    monkeypatch.delenv("SENTRY_AUTH_TOKEN")
    # When it replays
    result, report = run(pytester, app, url, "--sentry-record-mode=none", report="again.json")
    # Then every check gives its recorded verdict (nothing is sent, so nothing needs a token)
    assert result.ret == 0, result.stdout.str()
    assert statuses(report) == statuses(first)


REAL_LOOKING = "9f8e7d6c5b4a" * 5 + "3210"


@pytest.mark.parametrize("token", ["a", "e", "0", "tok", REAL_LOOKING])
def test_recording_and_replay_agree_whatever_the_token(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, app: Path, token: str
) -> None:
    from sentry_simulator import TokenSpec
    from tests.conftest import FULL_SCOPES

    # Given a recording made with this token (the simulator accepts it)
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", token)
    with demo_simulator(app) as sim:
        sim.add_token(token, TokenSpec(scopes=FULL_SCOPES, kind="user"))
        url = sim.url
        result, first = run(pytester, app, url, "--sentry-record-mode=once")
    out = result.stdout.str()
    assert "Traceback" not in out
    # When it replays with the same token, and with another one
    again_result, again = run(pytester, app, url, "--sentry-record-mode=none", report="b.json")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", "another-token-altogether")
    _, other = run(pytester, app, url, "--sentry-record-mode=none", report="c.json")
    # Then the recording passes as with any token, and both replays give its verdicts
    assert result.ret == 0, out
    assert set(statuses(first).values()) == {"PASS", "SKIP"}
    assert again_result.ret == 0, again_result.stdout.str()
    assert statuses(again) == statuses(first)
    assert statuses(other) == statuses(first)
    # And the recorded answers were not rewritten: the release is still named in full
    assert "codictate@1.4.2" in (pytester.path / "tapes/acme/codictate.yaml").read_text()


# -- cassettes: checked before reading, their age in the report (issues 15.13, 14.16) ------------


def test_a_replay_report_names_its_cassette_and_when_it_was_recorded(
    pytester: pytest.Pytester, app: Path, recorded: tuple[str, dict[str, Any]]
) -> None:
    from datetime import UTC, datetime

    # Given a recorded cassette (its recorded_at stored with it)
    url, first = recorded
    text = (pytester.path / "tapes/acme/codictate.yaml").read_text()
    stored = float(re.search(r"(?m)^recorded_at: ([0-9.]+)$", text).group(1))  # type: ignore[union-attr]
    when = datetime.fromtimestamp(stored, UTC).isoformat(timespec="seconds")
    # When it replays
    result, report = run(pytester, app, url, "--sentry-record-mode=none", report="again.json")
    # Then the report names the cassette (relative to the rootdir) and how old its answers are
    assert report["cassette"] == {
        "path": "tapes/acme/codictate.yaml",
        "replay": True,
        "recorded_at": when,
        "interactions": text.count("- request:"),
    }
    assert first["cassette"]["replay"] is False
    # And the terminal header says so
    assert f"replaying tapes/acme/codictate.yaml, recorded at {when}" in result.stdout.str()


def test_new_episodes_keeps_the_recorded_time_of_earlier_answers(tmp_path: Path) -> None:
    import httpx

    from pytest_sentry_gate.replay import Recorder

    # Given a cassette recorded a day ago (its "now" stored with it)
    live = httpx.MockTransport(lambda request: httpx.Response(200, json=[request.url.path]))
    path = tmp_path / "acme" / "web.yaml"
    first = Recorder(path=path, record_mode="once", live=live)
    with httpx.Client(transport=first) as client:
        client.get("http://127.0.0.1:9/api/0/a/")
    first.save()
    text = path.read_text()
    day_ago = first.now() - 86400
    path.write_text(re.sub(r"(?m)^recorded_at: .*$", f"recorded_at: {day_ago!r}", text))
    # When new_episodes appends an answer today
    more = Recorder(path=path, record_mode="new_episodes", live=live)
    assert more.now() == day_ago  # the run asks at the recording's clock
    with httpx.Client(transport=more) as client:
        client.get("http://127.0.0.1:9/api/0/a/")
        client.get("http://127.0.0.1:9/api/0/b/")
    more.save()
    # Then the cassette keeps its original clock, so the first answers replay as recorded
    replay = Recorder(path=path, record_mode="none")
    assert replay.now() == day_ago
    assert len(replay.cassette.data) == 2
    assert path.read_text().count("recorded_at:") == 1


TOKEN_IN_HEADER = "Bearer " + "7" * 64


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("interactions: [\n  - {", "is not valid YAML"),
        ("- request: {}\n- response: {}\n", "holds a YAML list, not a cassette"),
        ("", "holds an empty file, not a cassette"),
        ("interactions: !!python/object/apply:os.getcwd []\n", "uses a YAML tag (line 1)"),
        ("interactions: []\nnote: sntrys_eyJpYXQiOjE3MDAwMDAwMDB9abcdef\n", "holds a Sentry token"),
        (f"interactions: []\nnote: {CANARY_TOKEN[7:]}\n", "holds the configured auth token"),
        (
            "interactions:\n- request:\n    headers:\n      Authorization: [x]\n",
            "holds an Authorization header",
        ),
    ],
    ids=["not-yaml", "a-list", "empty", "a-tag", "sntrys", "configured-token", "authorization"],
)
def test_a_cassette_that_cannot_be_trusted_is_a_usage_error_naming_it(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    app: Path,
    content: str,
    problem: str,
) -> None:
    # Given a cassette that is not what a recording writes
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN[7:])
    path = pytester.path / "tapes/acme/codictate.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    # When a replay would read it
    result = pytester.runpytest_inprocess(
        "-m",
        MODES,
        "--sentry-url=http://127.0.0.1:9/",
        "--sentry-org=acme",
        "--sentry-project=codictate",
        f"--sentry-repo-root={app}",
        "--sentry-cassette-dir=tapes",
        "--sentry-record-mode=none",
        "-p",
        "no:cacheprovider",
    )
    # Then the run stops before any check with a usage error naming the cassette and the problem
    err = result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + err
    assert f"cassette {path}" in err or "cassette tapes/acme/codictate.yaml" in err, err
    assert problem in err
    assert CANARY_TOKEN[7:] not in result.stdout.str() + err
    assert path.read_text() == content


def test_the_scrubber_removes_a_tokens_base64_forms() -> None:
    import base64

    from pytest_sentry_gate.replay import Scrubber

    # Given an answer quoting the token inside Basic headers, at each byte alignment
    token = "9f8e7d6c5b4a" * 5 + "3210"  # no sntry prefix: only the configured value finds it
    encoded = [base64.b64encode(f"{p}:{token}".encode()).decode() for p in ("u", "us", "usr")]
    body = json.dumps({"title": " ".join(f"Basic {e}" for e in encoded)})
    # When it is scrubbed for a cassette
    kept = Scrubber([token]).body(body)
    # Then no 12-character run of the encoded token is left
    assert isinstance(kept, str)
    for whole in encoded:
        inner = whole[8:-8]
        assert not any(inner[i : i + 12] in kept for i in range(len(inner) - 11)), whole
