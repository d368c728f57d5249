"""sentry-cli's configuration, fully (issue 18.6; 15.10's "how to trust a CA").

``SENTRY_PROPERTIES``, ``.sentryclirc`` from the working directory upward (and
``sentrycli.ini``), ``[http] proxy_url / verify_ssl / ca_certs`` honoured by the client, and an
organization token's embedded org and URL, each with its source named."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.cli_config import token_payload
from tests.conftest import CANARY_TOKEN, SETTINGS_PROBE, check, run_mode, write_sentryclirc
from tests.hostile import ROOT_OK, answer, self_signed, serving, tls_context

Resolved = Any


def org_token(org: str, url: str) -> str:
    """An organization token as Sentry makes one: ``sntrys_<base64 JSON>_<secret>``."""
    payload = {"iat": 1704205802.2, "url": url, "region_url": url, "org": org}
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return f"sntrys_{encoded}_{'x' * 43}"


# -- SENTRY_PROPERTIES -------------------------------------------------------------------------


def test_sentry_properties_sits_between_the_ini_and_sentryclirc(
    resolved: Resolved, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    # Given a sentry.properties as the mobile build plugins write it, and a global .sentryclirc
    props = pytester.path / "android" / "sentry.properties"
    props.parent.mkdir()
    props.write_text(
        "# written by the Sentry wizard\ndefaults.org=props-org\ndefaults.project=props-app\n"
        "defaults.url=http://127.0.0.1:9/\nauth.token=" + CANARY_TOKEN + "\n"
    )
    write_sentryclirc(home, "[defaults]\norg = rc-org\nproject = rc-app\n")
    monkeypatch.setenv("SENTRY_PROPERTIES", str(props))
    monkeypatch.delenv("SENTRY_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("EXPECT_TOKEN", CANARY_TOKEN)
    # When the settings resolve
    data = resolved()
    # Then the properties file wins over .sentryclirc, and the sources name it
    assert (data["org"], data["projects"], data["url"]) == (
        "props-org",
        ["props-app"],
        "http://127.0.0.1:9/",
    )
    assert data["token_matches"] is True
    assert data["sources"]["org"] == f"SENTRY_PROPERTIES ({props}) defaults.org"
    assert data["sources"]["token"] == f"SENTRY_PROPERTIES ({props}) auth.token"
    # And the ini wins over the properties file
    pytester.makeini("[pytest]\nsentry_org = ini-org\n")
    assert resolved()["org"] == "ini-org"


def test_a_missing_properties_file_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_PROPERTIES", str(pytester.path / "nope.properties"))
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-m", "setup_preflight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = " ".join(result.stderr.str().split())
    assert f"Invalid SENTRY_PROPERTIES file {pytester.path / 'nope.properties'}" in err


# -- .sentryclirc from the working directory upward --------------------------------------------


def test_sentryclirc_is_found_from_the_working_directory_upward(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sentrycli.ini two levels above the working directory, the repository elsewhere
    work = pytester.path / "work"
    (work / "a" / "b").mkdir(parents=True)
    (work / "sentrycli.ini").write_text("[defaults]\norg = cwd-org\n")
    repo = pytester.path / "repo"
    repo.mkdir()
    (pytester.path / "probe").mkdir()
    probe = pytester.path / "probe" / "test_probe.py"
    probe.write_text(SETTINGS_PROBE)
    out = pytester.path / "out.json"
    monkeypatch.setenv("SETTINGS_OUT", str(out))
    monkeypatch.chdir(work / "a" / "b")
    # When the settings resolve there
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-q", str(probe), f"--sentry-repo-root={repo}"
    )
    # Then the file above the working directory gives the org, and its source names it
    assert result.ret == 0, result.stdout.str()
    data = json.loads(out.read_text())
    assert data["org"] == "cwd-org"
    assert data["sources"]["org"] == f".sentryclirc ({work / 'sentrycli.ini'}) [defaults] org"


# -- an organization token's org and URL -------------------------------------------------------


def test_an_org_token_gives_its_org_and_url_when_not_set(
    resolved: Resolved, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = org_token("token-org", "http://127.0.0.1:9")
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", token)
    data = resolved()
    assert (data["org"], data["url"]) == ("token-org", "http://127.0.0.1:9/")
    assert data["sources"]["org"] == "the organization token's org (SENTRY_AUTH_TOKEN)"
    assert data["sources"]["url"] == "the organization token's url (SENTRY_AUTH_TOKEN)"
    # and any other source wins over the token
    monkeypatch.setenv("SENTRY_ORG", "env-org")
    assert resolved()["org"] == "env-org"


def test_token_payload_reads_only_organization_tokens() -> None:
    assert token_payload(org_token("acme", "https://sentry.io")) == {
        "org": "acme",
        "url": "https://sentry.io",
    }
    assert token_payload("sntryu_" + "a" * 64) == {}
    assert token_payload("sntrys_not-base64!_x") == {}
    assert token_payload(None) == {}


# -- [http]: proxy_url, verify_ssl, ca_certs ---------------------------------------------------


def test_http_section_is_read_with_its_sources(
    resolved: Resolved, pytester: pytest.Pytester, home: Path
) -> None:
    ca = pytester.path / "ca.pem"
    rc = write_sentryclirc(
        home,
        f"[http]\nproxy_url = http://127.0.0.1:3128\nverify_ssl = false\nca_certs = {ca}\n",
    )
    data = resolved()
    assert (data["proxy_url"], data["verify_ssl"], data["ca_certs"]) == (
        "http://127.0.0.1:3128",
        False,
        str(ca),
    )
    assert data["sources"]["proxy_url"] == f".sentryclirc ({rc}) [http] proxy_url"


def test_a_proxy_url_with_credentials_is_refused_unshown(
    pytester: pytest.Pytester, home: Path
) -> None:
    write_sentryclirc(home, "[http]\nproxy_url = http://me:hunter2@127.0.0.1:3128\n")
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-m", "setup_preflight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "Invalid proxy URL 'http://***'" in err
    assert "hunter2" not in err + result.stdout.str()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def no_ca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", CANARY_TOKEN)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.mark.usefixtures("no_ca_env")
def test_ca_certs_makes_a_private_ca_trusted(
    pytester: pytest.Pytester, home: Path, certificate: tuple[Path, Path]
) -> None:
    # Given a Sentry behind a certificate no system CA signed
    with serving({"/api/0/": answer(ROOT_OK)}, tls=tls_context(*certificate)) as server:
        url = f"--sentry-url={server.url}"
        _result, report = run_mode(pytester, "setup_preflight", url)
        verdict = check(report, "test_token_accepted")
        assert verdict["reason"] == "tls_certificate"
        assert "[http] ca_certs" in verdict["message"]  # says how to trust the CA
        # When .sentryclirc names that certificate as a CA to trust
        write_sentryclirc(home, f"[http]\nca_certs = {certificate[0]}\n")
        _result, report = run_mode(pytester, "setup_preflight", url)
    # Then the check passes
    assert check(report, "test_token_accepted")["status"] == "PASS"


@pytest.mark.usefixtures("no_ca_env")
def test_verify_ssl_false_turns_verification_off(
    pytester: pytest.Pytester, home: Path, certificate: tuple[Path, Path]
) -> None:
    write_sentryclirc(home, "[http]\nverify_ssl = false\n")
    with serving({"/api/0/": answer(ROOT_OK)}, tls=tls_context(*certificate)) as server:
        _result, report = run_mode(pytester, "setup_preflight", f"--sentry-url={server.url}")
    assert check(report, "test_token_accepted")["status"] == "PASS"


@contextlib.contextmanager
def connect_proxy() -> Iterator[tuple[str, list[str]]]:
    """A tiny CONNECT proxy on 127.0.0.1: its URL, and the targets it was asked to tunnel to."""
    listener = socket.create_server(("127.0.0.1", 0))
    targets: list[str] = []
    opened: list[socket.socket] = []

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def serve(conn: socket.socket) -> None:
        opened.append(conn)
        with contextlib.suppress(OSError):
            tunnel(conn)

    def tunnel(conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        targets.append(target)
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host, int(port)))
        opened.append(upstream)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
        pipe(conn, upstream)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", targets
    finally:
        listener.close()
        for sock in opened:
            sock.close()


@pytest.mark.usefixtures("no_ca_env")
def test_proxy_url_carries_the_requests(
    pytester: pytest.Pytester, home: Path, certificate: tuple[Path, Path]
) -> None:
    # Given a Sentry reached through a CONNECT proxy named in .sentryclirc
    with (
        serving({"/api/0/": answer(ROOT_OK)}, tls=tls_context(*certificate)) as server,
        connect_proxy() as (proxy, targets),
    ):
        write_sentryclirc(home, f"[http]\nproxy_url = {proxy}\nca_certs = {certificate[0]}\n")
        _result, report = run_mode(pytester, "setup_preflight", f"--sentry-url={server.url}")
    # Then the requests went through the proxy, and the check passes
    assert f"127.0.0.1:{server.port}" in targets
    assert check(report, "test_token_accepted")["status"] == "PASS"
