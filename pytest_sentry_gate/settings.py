"""Every setting, declared once: ``Settings``, whose fields carry the rows of the settings table.

Each field of ``Settings`` carries its row of the table (``Row``, in the field's metadata): its
flags, ini key, environment variable, ``.sentryclirc`` key, default, parser and help text. The
rows are declared by area in ``setting_rows/`` (each area a layer ``Settings`` extends); the
options and the docs table are built from them in ``setting_options.py``, and resolved into a
``Settings`` by ``setting_resolution.resolve``. ``add_options`` (pytest's ``--help``),
``resolve``, the ``sentry-gate`` command's flags and the docs' settings table all come from these
rows. Adding a setting is one field at the end of ``Settings`` plus its
tests (and, since tests compare them, the table lines that ``markdown_table`` prints in the
README and ``docs/settings.md``: ``python scripts/sync_generated.py`` rewrites both).

Precedence, for every setting that has the source: command line > environment > the app
repository's ``.env`` (as sentry-cli loads it; ``SENTRY_LOAD_DOTENV=0`` turns it off) > ini
(``pyproject.toml`` / ``pytest.ini``, string or pytest 9 native values, or ``-o``) >
``.sentryclirc`` > default. An unknown ``sentry_*`` ini key is a usage error naming the closest
real key. ``sentry_fail_on`` (``policy.py``) decides whether a PARTIAL fails the run. The token
is never a flag or an ini value: it comes from ``SENTRY_AUTH_TOKEN`` (the environment or
``.env``) or ``.sentryclirc [auth] token`` only; surrounding whitespace is stripped (and
``token_note`` says so), any other whitespace or control character is refused, and no message
ever shows it. A server URL with credentials in it
is refused (the token belongs in ``SENTRY_AUTH_TOKEN``).

Relative paths: a path that names something inside the app repository (``sentry_dist_dir``, the
paths in ``sentry_wiring``, ``sentry_release_wiring`` and ``sentry_version_files``) is relative to
the app repository, whatever its source. Any other path (``sentry_repo_root``,
``--sentry-gate-report``) is relative to the ini file's directory when it comes from the ini file,
and to the invocation directory when it comes from the command line (flags and ``-o``) or the
environment. A default path is relative to the rootdir.

A bad value is a ``pytest.UsageError`` naming the value, its source and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pytest_sentry_gate.cli_config import parse_proxy
from pytest_sentry_gate.setting_numbers import parse_number, parse_seconds
from pytest_sentry_gate.setting_parsers import parse_boolean, parse_path
from pytest_sentry_gate.setting_rows import Row, declare
from pytest_sentry_gate.setting_rows.health import HealthSettings


@dataclass(frozen=True)
class Settings(HealthSettings):
    """The resolved settings of one run; ``sources`` says where each value came from.

    The rows before ``http_timeout`` are declared by area in ``setting_rows/``; new rows go at the
    end of this class, before ``ci``.
    """

    http_timeout: float = field(
        metadata=declare(
            help="Seconds to wait for each Sentry response (above 0; retries are bounded).",
            parse=parse_seconds,
            ini="sentry_http_timeout",
            default=10.0,
        ),
    )
    proxy_url: str | None = field(
        metadata=declare(
            help="Proxy for the Sentry requests (HTTPS_PROXY, as httpx reads it, wins).",
            parse=parse_proxy,
            ini="sentry_proxy_url",
            rc=("http", "proxy_url"),
            default_doc="none (httpx's HTTPS_PROXY / ALL_PROXY)",
        ),
    )
    verify_ssl: bool = field(
        metadata=declare(
            help="Verify the Sentry server's TLS certificate (off only for a known test server).",
            parse=parse_boolean,
            ini="sentry_verify_ssl",
            rc=("http", "verify_ssl"),
            default=True,
        ),
    )
    ca_certs: Path | None = field(
        metadata=declare(
            help="PEM file of CA certificates to trust for the Sentry server (a private CA).",
            parse=parse_path,
            ini="sentry_ca_certs",
            rc=("http", "ca_certs"),
            default_doc="the system's CAs (and SSL_CERT_FILE / SSL_CERT_DIR)",
        ),
    )
    bundled_checks: bool = field(
        metadata=declare(
            help="Collect the bundled runbook checks when a mode is selected.",
            parse=parse_boolean,
            ini="sentry_bundled_checks",
            default=True,
        ),
    )
    max_dropped_events: int = field(
        metadata=declare(
            help="Events Sentry may drop in 24 hours (rate limited, filtered, invalid, abuse) "
            "before incident fails.",
            parse=parse_number("dropped event count", whole=True, low=0, high=1_000_000_000),
            ini="sentry_max_dropped_events",
            default=0,
        ),
    )
    growth_runs: int = field(
        metadata=declare(
            help="verify_loop runs in a row whose unresolved count rose that count as unexpected "
            "growth, however small each rise (0: only the last run's ratio is judged).",
            # At most the checkpoint's history (30 runs) less the one the rise starts from.
            parse=parse_number("run count", whole=True, high=29),
            ini="sentry_growth_runs",
            default=5,
        ),
    )
    ci: str | None = None
    """The variable that says this run is in CI (``CI=true``), or None outside CI."""
    token_note: str | None = None
    """``surrounding whitespace stripped`` when the token had it; None otherwise."""
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def environment_filter(self) -> tuple[str, ...]:
        """The environments every issue and session query is filtered by: ``sentry_environment``
        when it was set, else none (every environment is read; the default names the smoke
        event's and the deploys' environment, not a filter)."""
        set_here = self.sources.get("environment", "default") != "default"
        return (self.environment,) if set_here else ()

    @property
    def project(self) -> str | None:
        """The first (main) project, or None when discovery has to find it."""
        return self.projects[0] if self.projects else None

    @property
    def host(self) -> str:
        """The server's host name, safe to print."""
        return urlsplit(self.url).hostname or self.url

    @property
    def api_base(self) -> str:
        """The server URL without a trailing slash."""
        return self.url.rstrip("/")


def rows() -> Iterator[tuple[str, Row]]:
    """``(field name, row)`` for every setting, in table order."""
    for f in fields(Settings):
        row = f.metadata.get("row")
        if row is not None:
            yield f.name, row


ROWS: Final = dict(rows())

#: The pytest flag and the ``sentry-gate`` option of each setting a slug verdict corrects: the
#: rerun ``runlog.settle`` hands ``verdict_for_error`` gives the slug to try through them.
SLUG_OPTIONS: Final = {
    name: (ROWS[name].flags[0], ROWS[name].cli[0]) for name in ("org", "projects")
}
