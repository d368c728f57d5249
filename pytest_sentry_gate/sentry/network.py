"""The network probe: can this machine resolve and reach the Sentry host at all?

A probe decides whether a failure is inconclusive (PARTIAL) rather than a Sentry
misconfiguration: first DNS (``socket.getaddrinfo`` in a daemon thread, bounded by
``dns_timeout`` because getaddrinfo has no timeout of its own), then one TCP connect to the first
address. Network problems never raise; they come back as ``ok=False`` with the stage that failed.

A refused connection is conclusive (``refused``, FAIL ``connection_refused``) where the URL names
its port or the host is loopback: nothing listens there. On the default port of another host it
stays inconclusive, as a firewall that rejects (a sandbox, a CI runner) looks the same.
``failure`` turns a failed probe, and ``connect_failure`` a failed connection of the client, into
the error each stands for (a TLS handshake that fails on the certificate is ``CertificateProblem``).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from pytest_sentry_gate import waits
from pytest_sentry_gate.errors import (
    CertificateProblem,
    HostRefused,
    NetworkUnavailable,
    SentryGateError,
)

#: Appended to a PARTIAL verdict; the plugin formats ``command``.
RERUN_HINT: Final = "rerun with host network: {command} --require-host-network"
DEFAULT_PORTS: Final = {"https": 443, "http": 80}
DNS_FAILED: Final = "{host} did not resolve: {error}"
DNS_TIMED_OUT: Final = "resolving {host} took longer than {seconds:g}s"
CONNECT_FAILED: Final = "TCP connect to {address}:{port} failed: {error}"
PROXIED: Final = "{host} is reached through the proxy set in the environment: not probed"
CONNECTED: Final = "TCP connect to {address}:{port} succeeded"

Stage = Literal["ok", "dns", "connect"]


@dataclass(frozen=True)
class ProbeResult:
    """What the probe found: the stage reached, the addresses resolved and how long it took."""

    host: str
    port: int
    ok: bool
    stage: Stage
    detail: str
    elapsed_ms: float
    addresses: tuple[str, ...]
    #: The connection was refused where that is conclusive (explicit port, or loopback).
    refused: bool = False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _resolve(host: str, port: int, timeout: float) -> tuple[tuple[str, ...], str | None]:
    """Addresses for ``host`` (in resolver order, deduplicated), or an error description."""
    outcome: list[tuple[tuple[str, ...], str | None]] = []

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            outcome.append(((), DNS_FAILED.format(host=host, error=_describe(exc))))
        else:
            addresses = dict.fromkeys(str(info[4][0]) for info in infos)
            outcome.append((tuple(addresses), None))

    # A daemon thread, not an executor: a hung resolver must not hold up interpreter exit.
    worker = threading.Thread(target=work, name=f"sentry-gate-dns-{host}", daemon=True)
    worker.start()
    waits.join(worker, timeout)
    if not outcome:
        return (), DNS_TIMED_OUT.format(host=host, seconds=timeout)
    return outcome[0]


def probe(url: str, *, dns_timeout: float = 2.0, connect_timeout: float = 2.0) -> ProbeResult:
    """Resolve the URL's host, then open (and close) one TCP connection to its first address.

    Raises ``ValueError`` only for a URL without a host, which is a settings problem.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in URL {url!r}")
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    started = time.perf_counter()

    def result(
        stage: Stage, detail: str, addresses: tuple[str, ...], refused: bool = False
    ) -> ProbeResult:
        elapsed_ms = (time.perf_counter() - started) * 1000
        ok = stage == "ok"
        return ProbeResult(host, port, ok, stage, detail, elapsed_ms, addresses, refused)

    if _proxied(parts.scheme, host):
        # httpx will go through the proxy: a direct DNS lookup or connect says nothing about it.
        return result("ok", PROXIED.format(host=host), ())
    addresses, error = _resolve(host, port, dns_timeout)
    if error is not None or not addresses:
        return result("dns", error or DNS_FAILED.format(host=host, error="no addresses"), ())
    last: OSError | None = None
    for address in addresses:  # as httpx does: the first address that accepts wins
        try:
            with socket.create_connection((address, port), timeout=connect_timeout):
                pass
        except OSError as exc:
            last = exc
            continue
        return result("ok", CONNECTED.format(address=address, port=port), addresses)
    error = _describe(last) if last else "no address"
    failed = CONNECT_FAILED.format(address=", ".join(addresses), port=port, error=error)
    refused = isinstance(last, ConnectionRefusedError) and conclusive(url)
    return result("connect", failed, addresses, refused)


def conclusive(url: str) -> bool:
    """Whether a refused connection to ``url`` means that nothing listens there: the URL names
    a port other than its scheme's default, or its host is loopback."""
    parts = urlsplit(url)
    explicit = parts.port is not None and parts.port != DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return explicit or loopback


def failure(result: ProbeResult) -> SentryGateError:
    """The error a failed probe stands for."""
    if result.refused:
        return HostRefused(result.host, result.port, result.detail)
    return NetworkUnavailable(result.host, result.stage, result.detail)


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def connect_failure(exc: BaseException, url: str, detail: str) -> SentryGateError:
    """The error a connection that failed for the client stands for (``detail`` is redacted)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CertificateProblem(host, port, cause.verify_message or str(cause.reason))
    if any(isinstance(c, socket.gaierror) for c in causes):
        return NetworkUnavailable(host, "dns", detail)
    if any(isinstance(c, ConnectionRefusedError) for c in causes) and conclusive(url):
        return HostRefused(host, port, detail)
    return NetworkUnavailable(host, "connect", detail)


def _proxied(scheme: str, host: str) -> bool:
    """Whether httpx would use a proxy from the environment for this host."""
    proxies = urllib.request.getproxies()
    return bool(proxies.get(scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(host)


REPLAYED: Final = "replayed from {cassette}: the network is not used"


def replayed(url: str, cassette: object) -> ProbeResult:
    """The probe's answer in a replay: no DNS, no connection, nothing to be inconclusive about."""
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    detail = REPLAYED.format(cassette=cassette)
    return ProbeResult(parts.hostname or "", port, True, "ok", detail, 0.0, ())
