"""The DSN parser (problems named, value never repeated) and the kill switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_sentry_gate.repo.dsn import DsnError, kill_switch, parse_dsn, read_dotenv

KEY = "0123456789abcdef0123456789abcdef"


def test_parses_host_and_project_id() -> None:
    dsn = parse_dsn(f"https://{KEY}@o12.ingest.sentry.io/4505")
    assert (dsn.host, dsn.project_id, dsn.path_prefix) == ("o12.ingest.sentry.io", "4505", "")
    assert dsn.safe() == {"host": "o12.ingest.sentry.io", "project_id": "4505"}
    assert KEY not in repr(dsn)
    assert parse_dsn(f"http://{KEY}@127.0.0.1:9000/sentry/7").path_prefix == "/sentry"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"ftp://{KEY}@host/1", "scheme"),
        (f"https://{KEY}@/1", "no host"),
        ("https://host/1", "no public key"),
        ("https://not-a-key-secret@host/1", "32 hexadecimal"),
        (f"https://{KEY}@host/project", "numeric project id"),
        (f"https://{KEY}@host:99999/1", "not a URL"),
        (f"https://{KEY}@host/1?x=1", "query"),
    ],
)
def test_malformed_names_the_problem_not_the_value(value: str, problem: str) -> None:
    with pytest.raises(DsnError) as caught:
        parse_dsn(value)
    assert problem in str(caught.value)
    assert "secret" not in str(caught.value)
    assert KEY not in str(caught.value)


def test_dotenv_comments_export_and_quotes(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nexport HANDY_DISABLE_SENTRY='yes'\nSENTRY_DSN=\"https://k@h/1\"  # trailing\n"
    )
    assert read_dotenv(tmp_path / ".env") == {
        "HANDY_DISABLE_SENTRY": "yes",
        "SENTRY_DSN": "https://k@h/1",
    }
    switch = kill_switch("HANDY_DISABLE_SENTRY", {}, tmp_path)
    assert (switch.engaged, switch.source) == (True, ".env")


@pytest.mark.parametrize(
    ("value", "engaged"),
    [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("", False)],
)
def test_kill_switch_truthy_values_environment_first(
    tmp_path: Path, value: str, engaged: bool
) -> None:
    (tmp_path / ".env").write_text("HANDY_DISABLE_SENTRY=1\n")
    switch = kill_switch("HANDY_DISABLE_SENTRY", {"HANDY_DISABLE_SENTRY": value}, tmp_path)
    assert (switch.engaged, switch.source) == (engaged, "environment")


def test_no_kill_switch_configured(tmp_path: Path) -> None:
    assert kill_switch(None, {"X": "1"}, tmp_path).name is None
