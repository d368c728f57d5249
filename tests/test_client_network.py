"""The client against real sockets on 127.0.0.1: an overall deadline that covers slow headers,
one retry budget per dead host, a refused port, and a certificate the machine does not trust."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_sentry_gate.errors import (
    CertificateProblem,
    HostRefused,
    NetworkUnavailable,
    ServerError,
)
from pytest_sentry_gate.sentry.client import SentryClient, gather
from pytest_sentry_gate.sentry.network import conclusive, probe
from tests.conftest import CANARY_TOKEN, check, run_mode
from tests.hostile import (
    ROOT_OK,
    answer,
    elapsed,
    self_signed,
    serving,
    silent,
    tls_context,
    trickle_headers,
)

ORG = "/api/0/organizations/acme/"
SHORT_DEADLINE = """
import dataclasses, pytest

@pytest.fixture(scope="session")
def sentry_client_config(sentry_client_config):
    return dataclasses.replace(sentry_client_config, deadline=1.5, backoff_base=0.0)
"""


def client(url: str, **kwargs: Any) -> SentryClient:
    return SentryClient(base_url=url, token=CANARY_TOKEN, backoff_base=0.0, **kwargs)


def in_thread(call: Any, limit: float) -> tuple[Any, float] | None:
    """``elapsed(call)`` run in a daemon thread; ``None`` when it did not end within ``limit``."""
    outcome: list[tuple[Any, float]] = []
    worker = threading.Thread(target=lambda: outcome.append(elapsed(call)), daemon=True)
    worker.start()
    worker.join(limit)
    return outcome[0] if outcome else None


# -- 15.1: the deadline covers the status line and headers ---------------------------------------


def test_headers_that_trickle_end_at_the_deadline() -> None:
    # Given a server that sends the root's status line and headers one byte every 0.1 s, forever
    with serving({"/api/0/": trickle_headers(0.1)}) as server:
        sentry = client(server.url, timeout=httpx.Timeout(5.0), deadline=1.0)
        # When the client reads it with a 5 s read timeout (never reached) and a 1 s deadline
        done = in_thread(lambda: sentry.get("/api/0/"), limit=10.0)
        sentry.close()
    # Then the request ends at the deadline, naming it, instead of reading headers forever
    assert done is not None, "the request was still reading headers after 10 s"
    error, _seconds = done
    assert isinstance(error, ServerError)
    assert "within the 1s deadline" in str(error)


def test_a_run_against_trickling_headers_ends_with_a_named_verdict(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a root whose headers take 30 s to arrive (one byte every 0.05 s), then answer
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makeconftest(SHORT_DEADLINE)
    with serving({"/api/0/": trickle_headers(0.05, count=600)}) as server:
        # When the preflight runs with a 1.5 s deadline through the sentry_client_config seam
        _result, report = run_mode(
            pytester, "setup_preflight", f"--sentry-url={server.url}", "--sentry-org=acme"
        )
    # Then the root's check FAILs at the deadline instead of waiting for the headers
    verdict = check(report, "test_token_accepted")
    assert (verdict["status"], verdict["reason"]) == ("FAIL", "server_error")
    assert "no complete answer within the 1.5s deadline" in verdict["message"]


# -- 16.3: a dead host costs one retry budget -----------------------------------------------------


def test_a_host_that_never_answers_is_not_asked_again() -> None:
    # Given a host that accepts connections and never answers
    with serving({}, default=silent) as server:
        sentry = client(server.url, timeout=httpx.Timeout(0.3), max_retries=2)
        # When one read times out after its retries, then two other endpoints are read
        first, first_s = elapsed(lambda: sentry.get("/api/0/"))
        later = [elapsed(lambda p=p: sentry.get(p)) for p in (ORG, ORG + "projects/")]
        asked = list(server.requests)
        sentry.close()
    # Then the first costs its retry budget; the later ones fail at once with the same error
    assert isinstance(first, ServerError)
    assert "timed out" in str(first)
    assert first_s >= 0.8
    for error, _seconds in later:
        assert error is first  # the cached failure, raised without a request (asked, below)
    assert asked == ["/api/0/"] * 3  # three attempts of the first read, nothing else was sent


def test_reads_in_flight_together_on_a_host_that_never_answers_say_one_reason() -> None:
    # Given a host that accepts connections and never answers
    with serving({}, default=silent) as server:
        sentry = client(server.url, timeout=httpx.Timeout(0.3), max_retries=1)
        # When three reads go out together (as the prefetch's first level does)
        found = gather([lambda p=p: sentry.get(p) for p in ("/api/0/", ORG, ORG + "projects/")])
        sentry.close()
    # Then all three fail with the one error the host was marked dead with, not three texts
    assert all(isinstance(error, ServerError) for error in found)
    assert len({str(error) for error in found}) == 1, found
    assert "timed out" in str(found[0])


def test_an_interrupt_does_not_wait_for_the_reads_in_flight() -> None:
    import signal

    # Given two reads going out together, one of which is still waiting for its answer, and
    # Ctrl-C arriving meanwhile (Python's own handler: KeyboardInterrupt in the main thread)
    assert threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started, release, finished = threading.Event(), threading.Event(), []

    def in_flight() -> None:
        started.set()
        release.wait(10)
        finished.append(True)

    def ctrl_c() -> None:
        started.wait(10)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=ctrl_c, daemon=True).start()
    try:
        # When the reads are gathered
        with pytest.raises(KeyboardInterrupt):
            gather([in_flight, lambda: None])
        # Then the interrupt came through while the read was still in flight
        assert finished == []
    finally:
        release.set()
        signal.signal(signal.SIGINT, previous)


def test_an_error_concerning_every_read_starts_no_more_of_them() -> None:
    # Given a hundred reads going out together, more than run at once, the first of which meets
    # an error that concerns every read (the read-only guard, an unreachable host)
    ran: list[int] = []

    def refused() -> None:
        raise RuntimeError("every read is refused")

    def read(index: int) -> int:
        ran.append(index)
        threading.Event().wait(0.2)
        return index

    calls = [refused, *(lambda i=i: read(i) for i in range(99))]
    # When they are gathered
    with pytest.raises(RuntimeError, match="every read is refused"):
        gather(calls)
    # Then the reads already under way ended, and none of those still queued was started
    assert len(ran) < 40, len(ran)


SLOW_CLIENT = """
import dataclasses, httpx, pytest

@pytest.fixture(scope="session")
def sentry_client_config(sentry_client_config):
    return dataclasses.replace(sentry_client_config, timeout=30.0, connect_timeout=30.0)
"""


@pytest.mark.parametrize("mode", ["setup_preflight", "verify_loop"])
def test_ctrl_c_while_the_first_reads_wait_for_a_silent_host_ends_the_run_at_once(
    tmp_path: Path, mode: str
) -> None:
    import json
    import subprocess
    import sys
    import time

    from tests.conftest import default_sigint

    # Given a host that never answers and a client that would wait 30 s for each read
    (tmp_path / "conftest.py").write_text(SLOW_CLIENT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "PYTEST_"))}
    env.update(SENTRY_AUTH_TOKEN=CANARY_TOKEN, PYTHONPATH=str(Path(__file__).parent.parent))
    with serving({}, default=silent) as server:
        argv = [sys.executable, "-m", "pytest", "-m", mode, "-p", "no:cacheprovider",
                f"--sentry-url={server.url}", "--sentry-org=acme", "--sentry-project=codictate",
                "--sentry-gate-report=r.json"]  # fmt: skip
        output = subprocess.PIPE
        run = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=output, stderr=output,
                               text=True, preexec_fn=default_sigint)  # fmt: skip
        deadline = time.monotonic() + 60
        while len(server.requests) < 2:  # the first reads went out together
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # When Ctrl-C arrives while they wait
        signalled = time.monotonic()
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
        waited = time.monotonic() - signalled
    # Then the run ends as interrupted, well before a read would have timed out (30 s), and its
    # report says so (verify_loop's report does not wait for the reads left behind either)
    assert run.returncode == pytest.ExitCode.INTERRUPTED, out + err
    assert waited < 10, out + err
    assert json.loads((tmp_path / "r.json").read_text())["overall_status"] == "ERROR"


def test_another_host_is_still_asked() -> None:
    # Given a silent API host and a healthy one
    with serving({}, default=silent) as dead, serving({"/api/0/": answer(ROOT_OK)}) as alive:
        sentry = client(dead.url, timeout=httpx.Timeout(0.3), max_retries=0)
        other = client(alive.url)
        error, _ = elapsed(lambda: sentry.get("/api/0/"))
        # Then a failure on one host says nothing about another (one client per host here)
        assert isinstance(error, ServerError)
        assert other.get_json("/api/0/") == ROOT_OK
        sentry.close()
        other.close()


# -- 14.13: a refused port -----------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://sentry.example:9000/", True),
        ("http://sentry.example:8080/", True),
        ("https://sentry.example:443/", False),
        ("https://sentry.example/", False),
        ("http://sentry.example/", False),
        ("http://localhost/", True),
        ("https://127.0.0.1/", True),
        ("https://[::1]/", True),
    ],
)
def test_a_refusal_is_conclusive_on_a_named_port_or_loopback(url: str, expected: bool) -> None:
    assert conclusive(url) is expected


def test_refused_port_fails_naming_host_and_port(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    # Given a URL whose port nothing listens on
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    url = f"http://127.0.0.1:{closed_port}/"
    # When the preflight runs
    result, report = run_mode(pytester, "setup_preflight", f"--sentry-url={url}")
    # Then it FAILs connection_refused naming host and port, not a PARTIAL network outage
    verdict = check(report, "test_token_accepted")
    assert (verdict["status"], verdict["reason"]) == ("FAIL", "connection_refused")
    assert f"nothing listens on 127.0.0.1:{closed_port} (check SENTRY_URL" in verdict["message"]
    assert result.ret == 1


def test_refused_default_port_of_a_remote_host_stays_inconclusive(closed_port: int) -> None:
    # Given the client's own connection refused on a host's default port (a firewall may do it)
    def refuse(request: httpx.Request) -> httpx.Response:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise httpx.ConnectError("refused", request=request) from exc

    default = client("https://sentry.example/", transport=httpx.MockTransport(refuse))
    named = client("https://sentry.example:9000/", transport=httpx.MockTransport(refuse))
    # Then the default port is a network problem, a named port a refusal naming it
    with pytest.raises(NetworkUnavailable):
        default.get("/api/0/")
    with pytest.raises(HostRefused, match=r"nothing listens on sentry\.example:9000"):
        named.get("/api/0/")
    assert probe(f"http://127.0.0.1:{closed_port}/").refused is True


# -- 15.10: a certificate the machine does not trust ---------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_self_signed_certificate_fails_naming_it_and_how_to_trust_it(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    certificate: tuple[Path, Path],
) -> None:
    # Given a Sentry on 127.0.0.1 behind a self-signed certificate
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    routes = {"/api/0/": answer(ROOT_OK)}
    with serving(routes, tls=tls_context(*certificate)) as server:
        # When the preflight runs
        result, report = run_mode(pytester, "setup_preflight", f"--sentry-url={server.url}")
        # Then it FAILs on the certificate and says how to trust a CA; not a network outage
        verdict = check(report, "test_token_accepted")
        assert (verdict["status"], verdict["reason"]) == ("FAIL", "tls_certificate")
        assert f"TLS certificate of 127.0.0.1:{server.port} is not trusted" in verdict["message"]
        assert "self-signed certificate" in verdict["message"]
        assert "SSL_CERT_FILE" in verdict["message"]
        assert result.ret == 1
        # And once the machine trusts that certificate, the same run passes the check
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        _result, report = run_mode(pytester, "setup_preflight", f"--sentry-url={server.url}")
    assert check(report, "test_token_accepted")["status"] == "PASS"


def test_certificate_problem_from_the_client(certificate: tuple[Path, Path]) -> None:
    with serving({"/api/0/": answer(ROOT_OK)}, tls=tls_context(*certificate)) as server:
        sentry = client(server.url)
        with pytest.raises(CertificateProblem) as caught:
            sentry.get("/api/0/")
        sentry.close()
    assert caught.value.reason == "tls_certificate"


def test_recording_is_bounded_by_the_same_deadline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given headers on the root that take 30 s to arrive, and a run that records a cassette
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    pytester.makeconftest(SHORT_DEADLINE)
    with serving({"/api/0/": trickle_headers(0.05, count=600)}) as server:
        _result, report = run_mode(
            pytester,
            "setup_preflight",
            f"--sentry-url={server.url}",
            "--sentry-org=acme",
            "--sentry-record-mode=once",
        )
    # Then recording ends at the deadline too, not when the headers are complete
    verdict = check(report, "test_token_accepted")
    assert (verdict["status"], verdict["reason"]) == ("FAIL", "server_error")
    assert "within the 1.5s deadline" in verdict["message"]


def test_the_ca_bundle_is_loaded_once_per_process_and_per_ssl_cert_file(
    monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]
) -> None:
    from pytest_sentry_gate.sentry import transport

    loads: list[str | None] = []
    real = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(transport.os.environ.get("SSL_CERT_FILE"))
        return real(*args, **kwargs)

    monkeypatch.setattr(transport.httpx, "create_ssl_context", counted)
    transport._default_context.cache_clear()  # whatever earlier tests of this process built
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    # Given several transports (one per client, as several projects make) in one process
    for _ in range(3):
        transport.DeadlineTransport().close()
    # Then the CA bundle was read once, and again only when SSL_CERT_FILE names another one
    assert loads == [str(certificate[0])]
    monkeypatch.delenv("SSL_CERT_FILE")
    transport.DeadlineTransport().close()
    assert loads == [str(certificate[0]), None]


def test_closing_waits_for_a_request_in_flight_and_refuses_new_ones(sim: Any) -> None:
    from sentry_simulator import Fault

    # Given a request in flight on another thread (the root answers after 1 s)
    sim.add_fault(Fault(path=r"^/api/0/$", delay=1.0, times=1))
    sentry = client(sim.url)
    answered: list[Any] = []
    reader = threading.Thread(target=lambda: answered.append(sentry.get("/api/0/")))
    reader.start()
    while not sim.requests:  # (the request reached the server)
        threading.Event().wait(0.01)
    # When the client closes meanwhile
    sentry.close()
    reader.join(timeout=30)
    # Then that request got its answer (its connection was not closed under it, to be left
    # open), and a request after the close fails at once
    assert [a.status for a in answered] == [200]
    with pytest.raises(RuntimeError, match="closed"):
        sentry.get("/api/0/organizations/")
