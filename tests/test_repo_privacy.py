"""Tests of pytest_sentry_gate.repo.privacy: the app's Sentry initialisation read from its source.

The layouts are Tauri v2 repositories built in temporary directories (``src-tauri/src/lib.rs``
with ``run()``, a React/Svelte frontend), since no real repository can be cloned here.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.repo import files
from pytest_sentry_gate.repo.privacy import (
    NO_SCRUBBER,
    PLUGIN_NOT_REGISTERED,
    PrivacyFileError,
    scan_privacy,
    source_files,
)

DEMO = Path(__file__).resolve().parent.parent / "examples" / "codictate"

CARGO = """[package]
name = "app"
version = "0.3.1"
edition = "2021"

[dependencies]
tauri = { version = "2", features = [] }
tauri-plugin-sentry = "0.5"
sentry = "0.36"
"""

LIB_RS = """use tauri_plugin_sentry::{minidump, sentry};

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let client = sentry::init((
        std::env::var("SENTRY_DSN").ok(),
        sentry::ClientOptions {
            release: sentry::release_name!(),
            send_default_pii: false,
            before_send: Some(std::sync::Arc::new(|event| Some(event))),
            ..Default::default()
        },
    ));
    let _guard = minidump::init(&client);
    tauri::Builder::default()
        .plugin(tauri_plugin_sentry::init(&client))
        .run(tauri::generate_context!())
        .expect("error while running tauri application");
}
"""

MAIN_TSX = """import * as Sentry from "@sentry/react";
import React from "react";

Sentry.init({
  dsn: import.meta.env.VITE_SENTRY_DSN,
  // sendDefaultPii: true would send IP addresses
  sendDefaultPii: false,
  beforeSend(event) {
    delete event.user;
    return event;
  },
});
"""


def tauri_app(tmp_path: Path, *, lib_rs: str = LIB_RS, main_tsx: str = MAIN_TSX) -> Path:
    """A Tauri v2 repository: Rust in src-tauri/src/lib.rs, a React frontend in src/main.tsx."""
    root = tmp_path / "app"
    (root / "src-tauri" / "src").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src-tauri" / "Cargo.toml").write_text(CARGO)
    (root / "src-tauri" / "src" / "lib.rs").write_text(lib_rs)
    (root / "src-tauri" / "src" / "main.rs").write_text("fn main() { app_lib::run() }\n")
    (root / "src" / "main.tsx").write_text(main_tsx)
    return root


def test_clean_app_has_no_finding(tmp_path: Path) -> None:
    # Given both inits with PII off, a scrubber each, DSNs from the environment, plugin registered
    root = tauri_app(tmp_path)
    # When scanned
    scan = scan_privacy(root)
    # Then both inits are found with file:line, nothing fails, nothing is at risk
    assert scan.inits == ("src/main.tsx:4", "src-tauri/src/lib.rs:5")
    assert scan.plugin_registered == ("src-tauri/src/lib.rs:16",)
    assert (scan.failures, scan.risks) == ((), ())
    assert scan.plugin_dependency


def test_pii_on_fails_with_file_and_line(tmp_path: Path) -> None:
    # Given default PII switched on in Rust and in the frontend (the comment does not count)
    root = tauri_app(
        tmp_path,
        lib_rs=LIB_RS.replace("send_default_pii: false", "send_default_pii: true"),
        main_tsx=MAIN_TSX.replace("sendDefaultPii: false", "sendDefaultPii: true"),
    )
    # When scanned / Then each place is named, and the fix says what to set
    scan = scan_privacy(root)
    assert [(f.rule, f.where) for f in scan.failures] == [
        ("pii", "src/main.tsx:7"),
        ("pii", "src-tauri/src/lib.rs:9"),
    ]
    assert scan.failures[1].fix == "set send_default_pii to false in src-tauri/src/lib.rs:9"


def test_no_scrubber_is_a_risk(tmp_path: Path) -> None:
    # Given the Rust init without before_send
    lib_rs = "\n".join(line for line in LIB_RS.splitlines() if "before_send" not in line)
    root = tauri_app(tmp_path, lib_rs=lib_rs)
    # When scanned / Then it is a risk at the init, not a failure
    scan = scan_privacy(root)
    assert scan.failures == ()
    assert [r.message for r in scan.risks] == [NO_SCRUBBER.format(where="src-tauri/src/lib.rs:5")]


def test_plugin_not_registered_fails(tmp_path: Path) -> None:
    # Given tauri-plugin-sentry in Cargo.toml but no .plugin(...) in the builder
    lib_rs = LIB_RS.replace("        .plugin(tauri_plugin_sentry::init(&client))\n", "")
    root = tauri_app(tmp_path, lib_rs=lib_rs)
    # When scanned / Then it fails, and the fix names the file holding run()
    [finding] = scan_privacy(root).failures
    assert finding.message == PLUGIN_NOT_REGISTERED.format(cargo="src-tauri/Cargo.toml")
    assert finding.fix.endswith("to tauri::Builder in src-tauri/src/lib.rs")


def test_committed_dsn_fails_without_showing_the_key(tmp_path: Path) -> None:
    # Given a real-looking DSN written in the frontend source, and a placeholder one in Rust
    key = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    main_tsx = MAIN_TSX.replace(
        "import.meta.env.VITE_SENTRY_DSN", f'"https://{key}@o12345.ingest.sentry.io/67890"'
    )
    lib_rs = LIB_RS.replace(
        'std::env::var("SENTRY_DSN").ok()',
        '"https://00000000000000000000000000000000@o0.ingest.sentry.io/0"',
    )
    root = tauri_app(tmp_path, lib_rs=lib_rs, main_tsx=main_tsx)
    # When scanned
    scan = scan_privacy(root)
    # Then only the real one fails, named by file:line, and the key appears nowhere
    assert [(f.rule, f.where) for f in scan.failures] == [("dsn", "src/main.tsx:5")]
    assert key not in repr(scan)
    assert key not in repr(scan.evidence())


def test_bare_init_counts_only_when_imported_from_sentry(tmp_path: Path) -> None:
    # Given a Svelte-style frontend calling an imported init({...}), and an unrelated i18n.init
    main_tsx = 'import { init } from "@sentry/svelte";\ni18n.init({ lng: "en" });\ninit({\n'
    main_tsx += "  sendDefaultPii: false,\n});\n"
    root = tauri_app(tmp_path, main_tsx=main_tsx)
    # When scanned / Then only the Sentry init is one (without a scrubber: a risk)
    scan = scan_privacy(root)
    assert "src/main.tsx:3" in scan.inits
    assert "src/main.tsx:2" not in scan.inits
    assert [r.where for r in scan.risks] == ["src/main.tsx:3"]


def test_python_sdk_rules(tmp_path: Path) -> None:
    # Given a Python service sending PII
    (tmp_path / "app.py").write_text(
        "import sentry_sdk\nsentry_sdk.init(dsn=os.environ['SENTRY_DSN'], send_default_pii=True)\n"
    )
    # When scanned / Then the init and the PII switch are found
    scan = scan_privacy(tmp_path)
    assert scan.inits == ("app.py:2",)
    assert [f.where for f in scan.failures] == ["app.py:2"]


def test_build_output_and_dependencies_are_not_walked(tmp_path: Path) -> None:
    # Given PII switched on only in node_modules, dist, src-tauri/target and a hidden directory
    root = tauri_app(tmp_path)
    for skipped in ("node_modules/@sentry/core", "dist/assets", "src-tauri/target/debug", ".git"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "x.js").write_text("Sentry.init({ sendDefaultPii: true });\n")
    # When scanned / Then none of them is read
    assert scan_privacy(root).failures == ()
    assert all("x.js" not in p.name for p in source_files(root))


def test_not_utf8_source_is_read_with_replacement(tmp_path: Path) -> None:
    # Given a Latin-1 source file that mentions Sentry
    root = tauri_app(tmp_path)
    (root / "src" / "legacy.js").write_bytes(
        b"// caf\xe9\nSentry.init({ sendDefaultPii: true });\n"
    )
    # When scanned / Then it is still judged
    assert [f.where for f in scan_privacy(root).failures] == ["src/legacy.js:2"]


def test_unreadable_source_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a source file whose read fails (permissions; faked, since tests may run as root)
    root = tauri_app(tmp_path)
    locked = root / "src" / "locked.ts"
    locked.write_text("Sentry.init({})\n")
    real_read = files.read_bytes

    def read_bytes(path: Path, **kwargs: Any) -> bytes:
        if path.name == "locked.ts":
            raise PermissionError(13, "Permission denied")
        return real_read(path, **kwargs)

    monkeypatch.setattr(files, "read_bytes", read_bytes)
    # When scanned / Then the error names the file, and is a repository file error
    with pytest.raises(PrivacyFileError, match=r"^src/locked\.ts: cannot be read"):
        scan_privacy(root)


def test_demo_app_is_clean_but_its_frontend_has_no_scrubber(tmp_path: Path) -> None:
    # Given the demo app / When scanned
    scan = scan_privacy(DEMO)
    # Then both inits are found, nothing fails, and the frontend lacks beforeSend (a risk)
    assert scan.inits == ("src/main.ts:5", "src-tauri/src/main.rs:3")
    assert scan.failures == ()
    assert [r.where for r in scan.risks] == ["src/main.ts:5"]


def test_issue_scenario_pii_on_and_scrubber_removed(tmp_path: Path) -> None:
    # Given the demo with send_default_pii: true and its before_send removed (issue 7, item 9)
    root = tmp_path / "codictate"
    shutil.copytree(DEMO, root)
    rust = root / "src-tauri" / "src" / "main.rs"
    text = rust.read_text().replace("send_default_pii: false", "send_default_pii: true")
    start, end = text.index("            // Scrub"), text.index("            ..Default")
    rust.write_text(text[:start] + text[end:])
    # When scanned / Then PII fails and the Rust init is at risk too
    scan = scan_privacy(root)
    assert [(f.rule, f.where) for f in scan.failures] == [("pii", "src-tauri/src/main.rs:7")]
    assert "src-tauri/src/main.rs:3" in [r.where for r in scan.risks]


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        (
            'const dsn = "https://0123456789abcdef0123456789abcdef@sentry.example.com/sentry/42";',
            True,
        ),
        (
            'const dsn = "https://0123456789abcdef0123456789abcdef:fedcba9876543210fedcba9876543210@o1.ingest.sentry.io/7";',
            True,
        ),
        ('const dsn = "https://ffffffffffffffffffffffffffffffff@o0.ingest.sentry.io/0";', False),
        ('const repo = "https://git@github.com/1234";', False),
        ('// dsn: "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/7"', False),
    ],
    ids=["self-hosted-path", "legacy-secret", "placeholder", "not-a-dsn", "comment"],
)
def test_dsn_literal_forms(tmp_path: Path, line: str, flagged: bool) -> None:
    # Given one line in a file that initialises Sentry
    (tmp_path / "sentry.ts").write_text(f"import * as Sentry from '@sentry/browser';\n{line}\n")
    # When scanned / Then only a real-looking DSN outside a comment is a failure
    assert bool(scan_privacy(tmp_path).failures) is flagged
