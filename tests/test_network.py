"""The network probe against 127.0.0.1 and a monkeypatched resolver (no real DNS query)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_sentry_gate.sentry import network
from pytest_sentry_gate.sentry.network import RERUN_HINT, probe

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def listener() -> Iterator[int]:
    """A listening TCP socket on 127.0.0.1; yields its port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that was just bound and released, so nothing listens there."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def only_local(host: str, *args: Any, **kwargs: Any) -> Any:
    """Let literal loopback addresses through; anything else would be a real DNS query."""
    if host not in ("127.0.0.1", "::1"):
        raise AssertionError(f"test tried to resolve {host!r}")
    return REAL_GETADDRINFO(host, *args, **kwargs)


def test_listening_port_is_ok(listener: int) -> None:
    # Given a listening socket on 127.0.0.1
    url = f"http://127.0.0.1:{listener}/"

    # When the probe runs
    result = probe(url, dns_timeout=2.0, connect_timeout=2.0)

    # Then DNS and TCP both succeed
    assert result.ok is True
    assert result.stage == "ok"
    assert (result.host, result.port) == ("127.0.0.1", listener)
    assert result.addresses == ("127.0.0.1",)
    assert result.elapsed_ms >= 0


def test_closed_port_fails_at_connect(closed_port: int) -> None:
    # Given a port where nothing listens
    url = f"http://127.0.0.1:{closed_port}/"

    # When the probe runs
    result = probe(url, connect_timeout=2.0)

    # Then it names the TCP stage, with the address it tried
    assert result.ok is False
    assert result.stage == "connect"
    assert f"127.0.0.1:{closed_port}" in result.detail
    assert result.addresses == ("127.0.0.1",)


def test_name_that_does_not_resolve_fails_at_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a resolver that says the name does not exist (no real query is sent)
    asked: list[str] = []

    def no_such_name(host: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)

    # When the probe runs
    result = probe("https://sentry.invalid/")

    # Then it stops at DNS and never tries to connect
    assert asked == ["sentry.invalid"]
    assert result.ok is False
    assert result.stage == "dns"
    assert result.addresses == ()
    assert "sentry.invalid" in result.detail
    assert result.port == 443


def test_hanging_resolver_fails_at_dns_within_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a resolver that hangs until the test releases it
    release = threading.Event()

    def hang(host: str, *args: Any, **kwargs: Any) -> Any:
        release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "released")

    monkeypatch.setattr(socket, "getaddrinfo", hang)

    # When the probe runs with a short DNS timeout
    started = time.perf_counter()
    try:
        result = probe("https://sentry.invalid/", dns_timeout=0.2)
        # Then it answered while the resolver was still hanging: it did not wait for it
        still_hanging = not release.is_set()
    finally:
        elapsed = time.perf_counter() - started
        release.set()

    # and it reports DNS, after its timeout
    assert still_hanging
    assert result.stage == "dns"
    assert result.ok is False
    assert "0.2s" in result.detail
    assert elapsed >= 0.15


def test_default_ports_follow_the_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a resolver that records the port it was asked for and fails
    ports: list[int] = []

    def record(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        ports.append(port)
        raise socket.gaierror(socket.EAI_NONAME, "no")

    monkeypatch.setattr(socket, "getaddrinfo", record)

    # When http and https URLs without ports are probed
    http = probe("http://sentry.invalid/")
    https = probe("https://sentry.invalid/sentry/")

    # Then the ports are 80 and 443
    assert (http.port, https.port) == (80, 443)
    assert ports == [80, 443]


def test_url_without_host_is_a_settings_problem() -> None:
    # Given a value that is not a URL
    # When / Then the probe refuses it instead of calling it a network failure
    with pytest.raises(ValueError, match="no host"):
        probe("not-a-url")


def test_probe_uses_only_loopback_here(monkeypatch: pytest.MonkeyPatch, listener: int) -> None:
    # Given a resolver that fails the test if anything but loopback is resolved
    monkeypatch.setattr(socket, "getaddrinfo", only_local)

    # When the probe targets 127.0.0.1
    result = probe(f"http://127.0.0.1:{listener}")

    # Then it succeeds without any other lookup
    assert result.ok


def test_rerun_hint_formats_the_command() -> None:
    # Given the module's hint template
    # When the plugin formats it
    hint = RERUN_HINT.format(command="pytest -m prod_health")

    # Then it names the flag that makes network failures fatal
    assert hint == "rerun with host network: pytest -m prod_health --require-host-network"
    assert network.RERUN_HINT is RERUN_HINT


def test_all_addresses_are_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a host whose first address refuses and whose second listens
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        real = socket.getaddrinfo

        def two(host: str, *args: object, **kwargs: object) -> object:
            if host == "two.example":
                return [
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.3", port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
                ]
            return real(host, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(socket, "getaddrinfo", two)
        # When probed / Then the second address answers and the probe is ok
        result = probe(f"http://two.example:{port}/", connect_timeout=0.5)
    assert result.ok, result.detail
    assert result.detail == f"TCP connect to 127.0.0.1:{port} succeeded"


def test_a_proxy_from_the_environment_skips_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a proxy for https in the environment (httpx would use it)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # When a host that does not resolve here is probed
    result = probe("https://sentry.invalid/")
    # Then it is not declared unreachable: the proxy decides, and the client will say
    assert result.ok
    assert (
        result.detail
        == "sentry.invalid is reached through the proxy set in the environment: not probed"
    )
