"""Every setting, declared once, and the one function that resolves them into ``Settings``.

Each field of ``Settings`` carries its row of the table (``Row``, in the field's metadata): its
flags, ini key, environment variable, ``.sentryclirc`` key, default, parser and help text.
``add_options`` (pytest's ``--help``), ``resolve``, the ``sentry-gate`` command's flags and the
README's settings table all come from these rows. Adding a setting is one field here plus its
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

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from pytest_sentry_gate.cli_config import parse_proxy
from pytest_sentry_gate.repo.defaults import (
    DEFAULT_DIST_DIR,
    DEFAULT_TEMPLATE,
    DEFAULT_URL_PREFIX,
    DEFAULT_VERSION_FILES,
)
from pytest_sentry_gate.setting_parsers import (
    TOKEN_STRIPPED,
    UNSET,
    Parser,
    Secret,
    Source,
    parse_boolean,
    parse_dist_dir,
    parse_dsn,
    parse_fail_on,
    parse_lines,
    parse_markers,
    parse_name,
    parse_number,
    parse_path,
    parse_period,
    parse_record_mode,
    parse_release,
    parse_repo_root,
    parse_report_detail,
    parse_seconds,
    parse_slug,
    parse_slugs,
    parse_template,
    parse_token,
    parse_url,
    parse_url_prefix,
    parse_version_specs,
)


@dataclass(frozen=True)
class Row:
    """One row of the settings table: every source of one setting, its parser and help text."""

    help: str
    parse: Parser
    flags: tuple[str, ...] = ()  # the first is the flag; more are aliases
    negative: str | None = None  # a flag that switches a boolean setting off
    ini: str | None = None
    ini_type: str = "string"  # string or linelist: parse() does the typing
    env: str | None = None
    rc: tuple[str, str] | None = None
    default: Any = None
    default_doc: str | None = None  # the README/--help text when the default is computed
    metavar: str | None = None
    cli: tuple[str, ...] = ()  # sentry-gate's flags, one per entry of ``all_flags``
    source_key: str | None = None  # the key in ``Settings.sources`` when not the field name
    secret: bool = False

    @property
    def switch(self) -> bool:
        """The flags take no value (``--send-test-event``)."""
        return self.parse is parse_boolean

    @property
    def all_flags(self) -> tuple[str, ...]:
        return (*self.flags, *((self.negative,) if self.negative else ()))

    @property
    def default_text(self) -> str:
        if self.default_doc is not None:
            return self.default_doc
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        return f"`{self.default}`"


def declare(**values: Any) -> dict[str, Row]:
    """The metadata of a ``Settings`` field: ``field(metadata=declare(help=..., parse=...))``."""
    return {"row": Row(**values)}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one run; ``sources`` says where each value came from."""

    org: str | None = field(
        metadata=declare(
            help="Sentry organization slug.",
            parse=parse_slug,
            flags=("--sentry-org",),
            ini="sentry_org",
            env="SENTRY_ORG",
            rc=("defaults", "org"),
            default_doc="the only organization the token sees",
            metavar="SLUG",
            cli=("--org",),
        ),
    )
    projects: tuple[str, ...] = field(
        metadata=declare(
            help="Sentry project slug(s): a comma list (ini: also one per line, or a TOML list).",
            parse=parse_slugs,
            flags=("--sentry-project",),
            ini="sentry_project",
            ini_type="linelist",
            env="SENTRY_PROJECT",
            rc=("defaults", "project"),
            default=(),
            default_doc="the only project of the organization",
            metavar="SLUG[,SLUG]",
            cli=("--project",),
            source_key="project",
        ),
    )
    url: str = field(
        metadata=declare(
            help="Sentry server URL (http or https; credentials in it are refused).",
            parse=parse_url,
            flags=("--sentry-url",),
            ini="sentry_url",
            env="SENTRY_URL",
            rc=("defaults", "url"),
            default="https://sentry.io/",
            metavar="URL",
            cli=("--url",),
        ),
    )
    token: Secret | None = field(
        repr=False,
        metadata=declare(
            help="Sentry auth token (never a flag or an ini value; never shown).",
            parse=parse_token,
            env="SENTRY_AUTH_TOKEN",
            rc=("auth", "token"),
            default_doc="none: setup_preflight fails and says how to create one",
            secret=True,
        ),
    )
    dsn: Secret | None = field(
        repr=False,
        metadata=declare(
            help="The app's Sentry DSN (its key is never shown).",
            parse=parse_dsn,
            env="SENTRY_DSN",
            default_doc="`SENTRY_DSN` in the app repository's `.env`",
            secret=True,
        ),
    )
    repo_root: Path = field(
        metadata=declare(
            help="The app repository the checks read.",
            parse=parse_repo_root,
            flags=("--sentry-repo-root",),
            ini="sentry_repo_root",
            default_doc="the git top level of the invocation directory",
            metavar="DIR",
            cli=("--repo-root",),
        ),
    )
    release: str | None = field(
        metadata=declare(
            help="Release under check.",
            parse=parse_release,
            flags=("--sentry-release",),
            ini="sentry_release",
            env="SENTRY_RELEASE",
            default_doc="the release template applied to the repository version",
            metavar="VERSION",
            cli=("--release",),
        ),
    )
    release_template: str = field(
        metadata=declare(
            help="Release name template; placeholders {project} and {version}.",
            parse=parse_template,
            ini="sentry_release_template",
            default=DEFAULT_TEMPLATE,
        ),
    )
    dist: str | None = field(
        metadata=declare(
            help="Sentry dist the build's uploads and events carry.",
            parse=parse_release,
            flags=("--sentry-dist",),
            ini="sentry_dist",
            env="SENTRY_DIST",
            default_doc="none",
            metavar="DIST",
            cli=("--dist",),
        ),
    )
    environment: str = field(
        metadata=declare(
            help="Sentry environment of the app.",
            parse=parse_name,
            flags=("--sentry-environment",),
            ini="sentry_environment",
            env="SENTRY_ENVIRONMENT",
            default="production",
            metavar="NAME",
            cli=("--environment",),
        ),
    )
    require_host_network: bool = field(
        metadata=declare(
            help="Network unavailable is a FAIL, not PARTIAL (always so under "
            "sentry_fail_on=partial, the CI default).",
            parse=parse_boolean,
            flags=("--require-host-network", "--strict-network"),
            default=False,
            cli=("--require-host-network", "--strict-network"),
        ),
    )
    fail_on: str = field(
        metadata=declare(
            help="What fails the run: partial (a mode that ends PARTIAL or ERROR fails it too, and "
            "an unreachable Sentry is a FAIL) or fail (only a FAIL does).",
            parse=parse_fail_on,
            flags=("--sentry-fail-on",),
            ini="sentry_fail_on",
            env="SENTRY_GATE_FAIL_ON",
            default_doc="`partial` in CI (`CI` or `GITHUB_ACTIONS` set), `fail` elsewhere",
            metavar="partial|fail",
            cli=("--fail-on",),
        ),
    )
    send_test_event: bool = field(
        metadata=declare(
            help="local_smoke sends one synthetic event through the DSN.",
            parse=parse_boolean,
            flags=("--send-test-event",),
            default=False,
            cli=("--send-test-event",),
        ),
    )
    auto_slug_discovery: bool = field(
        metadata=declare(
            help="Auto-select the only organization/project when none is set.",
            parse=parse_boolean,
            flags=("--auto-slug-discovery",),
            negative="--no-auto-slug-discovery",
            ini="sentry_auto_slug_discovery",
            default=True,
            cli=("--auto-slug-discovery", "--no-auto-slug-discovery"),
        ),
    )
    record_mode: str = field(
        metadata=declare(
            help="Record/replay of Sentry traffic through one vcrpy cassette per org/project: off "
            "(live), none (replay only), once, new_episodes, all.",
            parse=parse_record_mode,
            flags=("--sentry-record-mode",),
            ini="sentry_record_mode",
            default="off",
            metavar="MODE",
        ),
    )
    cassette_dir: Path = field(
        metadata=declare(
            help="Directory of the cassettes (<dir>/<org>/<project>.yaml).",
            parse=parse_path,
            flags=("--sentry-cassette-dir",),
            ini="sentry_cassette_dir",
            default="cassettes",
            default_doc="`cassettes` in the rootdir",
            metavar="DIR",
        ),
    )
    report: Path | None = field(
        metadata=declare(
            help="Write the agent report (JSON) to PATH.",
            parse=parse_path,
            flags=("--sentry-gate-report",),
            default_doc="none",
            metavar="PATH",
            cli=("--report",),
        ),
    )
    report_detail: str = field(
        metadata=declare(
            help="Detail of the agent report: full, or summary (verdicts, reasons, counts, next "
            "steps; no evidence).",
            parse=parse_report_detail,
            flags=("--sentry-gate-report-detail",),
            ini="sentry_gate_report_detail",
            default="full",
            metavar="DETAIL",
            cli=("--report-detail",),
        ),
    )
    stats_period: str = field(
        metadata=declare(
            help="Time window of every count (Sentry statsPeriod, such as 24h or 14d).",
            parse=parse_period,
            ini="sentry_stats_period",
            default="14d",
        ),
    )
    wiring: tuple[str, ...] = field(
        metadata=declare(
            help="Repository wiring markers, one per line: 'path: expected text' "
            "({release} {project} {version}).",
            parse=parse_lines(parse_markers),
            ini="sentry_wiring",
            ini_type="linelist",
            default=(),
            default_doc="none",
        ),
    )
    release_wiring: tuple[str, ...] = field(
        metadata=declare(
            help="Release wiring markers, one per line: 'path: expected text'.",
            parse=parse_lines(parse_markers),
            ini="sentry_release_wiring",
            ini_type="linelist",
            default=(),
            default_doc="Tauri: Vite plugin `release`, CI `SENTRY_RELEASE`",
        ),
    )
    version_files: tuple[str, ...] = field(
        metadata=declare(
            help="Version files to align, one per line: 'path[:dotted.key]'.",
            parse=parse_lines(parse_version_specs),
            ini="sentry_version_files",
            ini_type="linelist",
            default=DEFAULT_VERSION_FILES,
            default_doc=", ".join(f"`{name}`" for name in DEFAULT_VERSION_FILES),
        ),
    )
    dist_dir: str = field(
        metadata=declare(
            help="Built bundles directory, relative to the app repository.",
            parse=parse_dist_dir,
            ini="sentry_dist_dir",
            default=DEFAULT_DIST_DIR,
        ),
    )
    url_prefix: str = field(
        metadata=declare(
            help="URL prefix the bundles are uploaded under.",
            parse=parse_url_prefix,
            ini="sentry_url_prefix",
            default=DEFAULT_URL_PREFIX,
        ),
    )
    state_file: Path | None = field(
        metadata=declare(
            help="The verify_loop checkpoint file.",
            parse=parse_path,
            flags=("--sentry-state-file",),
            ini="sentry_state_file",
            default_doc="`<repo>/.sentry-gate/<org>_<project>.json`",
            metavar="PATH",
            cli=("--state-file",),
        ),
    )
    max_high_severity: int = field(
        metadata=declare(
            help="High-severity unresolved issues tolerated by prod_health.",
            parse=parse_number("threshold", whole=True, high=1_000_000),
            ini="sentry_max_high_severity",
            default=0,
        ),
    )
    min_crash_free_sessions: float = field(
        metadata=declare(
            help="Minimum crash-free session rate of the release, in percent.",
            parse=parse_number("percentage", high=100.0),
            ini="sentry_min_crash_free_sessions",
            default=99.0,
        ),
    )
    min_crash_free_users: float = field(
        metadata=declare(
            help="Minimum crash-free user rate of the release, in percent.",
            parse=parse_number("percentage", high=100.0),
            ini="sentry_min_crash_free_users",
            default=99.0,
        ),
    )
    high_severity_queries: tuple[str, ...] = field(
        metadata=declare(
            help="High-severity issue queries, one per line.",
            parse=parse_lines(),
            ini="sentry_high_severity_queries",
            ini_type="linelist",
            default=("is:unresolved level:fatal", "is:unresolved level:error issue.priority:high"),
            default_doc="`is:unresolved level:fatal` and `is:unresolved level:error "
            "issue.priority:high`",
        ),
    )
    growth_ratio: float = field(
        metadata=declare(
            help="Unresolved count over the last checkpoint's that counts as unexpected growth.",
            parse=parse_number("growth ratio", above=True, high=1000.0),
            ini="sentry_growth_ratio",
            default=1.5,
        ),
    )
    min_sessions: int = field(
        metadata=declare(
            help="Fewest sessions of the release for its crash-free rate to be judged.",
            parse=parse_number("session count", whole=True, low=1, high=10_000_000),
            ini="sentry_min_sessions",
            default=100,
        ),
    )
    triage_top: int = field(
        metadata=declare(
            help="Issues shown, with their details, per triage bucket.",
            parse=parse_number("triage top-N", whole=True, low=1, high=1000),
            ini="sentry_triage_top",
            default=5,
        ),
    )
    kill_switch: str | None = field(
        metadata=declare(
            help="Variable that disables the app's Sentry when truthy (1/true/yes/on), read from "
            "the environment, then the repository's .env.",
            parse=parse_release,
            ini="sentry_kill_switch",
            default_doc="none",
        ),
    )
    smoke_wait: float = field(
        metadata=declare(
            help="Seconds to wait for the smoke event to become readable (polled with backoff).",
            parse=parse_number("wait", above=True, high=3600.0, unit="seconds"),
            ini="sentry_smoke_wait",
            default=30.0,
        ),
    )
    smoke_environment: str = field(
        metadata=declare(
            help="Sentry environment of the smoke event (the tool's own: not production).",
            parse=parse_name,
            ini="sentry_smoke_environment",
            default="sentry-gate-smoke",
        ),
    )
    incident_top: int = field(
        metadata=declare(
            help="High-severity unresolved issues whose latest events incident samples.",
            parse=parse_number("incident top-N", whole=True, low=1, high=1000),
            ini="sentry_incident_top",
            default=5,
        ),
    )
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


def help_text(row: Row) -> str:
    """The one help text of a setting, shared by its flag and its ini key."""
    default = (
        ""
        if row.secret or (row.default in (None, (), False) and row.default_doc is None)
        else f" Default: {row.default_text.replace('`', '')}."
    )
    env = f" Env: {row.env}." if row.env else ""
    return f"{row.help}{default}{env}"


def add_options(parser: pytest.Parser) -> None:
    """Declare every flag and ini value of the table in one option group."""
    group = parser.getgroup("sentry-gate", "Sentry runbook checks (pytest-sentry-gate)")
    for name, row in ROWS.items():
        for index, flag in enumerate(row.flags):
            text = help_text(row) if index == 0 else f"Alias of {row.flags[0]}."
            if row.switch:
                group.addoption(
                    flag, action="store_true", default=None, dest=_dest(name, index), help=text
                )
            else:
                group.addoption(
                    flag,
                    action="store",
                    default=None,
                    dest=_dest(name, index),
                    metavar=row.metavar,
                    help=text,
                )
        if row.negative:
            group.addoption(
                row.negative,
                action="store_true",
                default=None,
                dest=_dest(name, -1),
                help=f"Turn off {row.flags[0]}.",
            )
        if row.ini:
            parser.addini(row.ini, help_text(row), type=_ini_type(row), default=None)


UNKNOWN_KEY: Final = (
    "Unknown setting {key!r} in {where}: {hint} The settings are listed by pytest --help "
    "(sentry-gate group) and in docs/settings.md."
)


def refuse_unknown_keys(config: pytest.Config) -> None:
    """An ini key that starts with ``sentry_`` and is no setting is a usage error naming the
    closest real key: a typo (``sentry_projct``) must not silently leave the default in place.

    Cheap enough to run in every session: pytest already knows which ini keys nobody declared.
    """
    unknown = getattr(config, "_get_unknown_ini_keys", None)  # pytest's own list (7.x to 9.x)
    ours = sorted(k for k in (unknown() if unknown else ()) if k.startswith("sentry_"))
    if not ours or config.getoption("help", False):
        return
    import difflib

    known = sorted(row.ini for row in ROWS.values() if row.ini)
    overrides = {
        item.partition("=")[0].strip() for item in config.getoption("override_ini", None) or ()
    }
    problems = []
    for key in ours:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "no setting has a similar name."
        where = f"-o {key}" if key in overrides or config.inipath is None else config.inipath.name
        problems.append(UNKNOWN_KEY.format(key=key, where=where, hint=hint))
    raise pytest.UsageError("\n".join(problems))


#: pytest 9.2 takes a union type for an ini value: a TOML ``[tool.pytest]`` table may then give
#: the native value (``sentry_max_high_severity = 10``, ``sentry_bundled_checks = false``).
NATIVE_INI_TYPES: Final = pytest.version_tuple[:2] >= (9, 2)


def _ini_type(row: Row) -> Any:
    """The type pytest is told: a string first (so an ini file's text reaches the row's parser
    unchanged, which names the setting in any error), then the default's native type."""
    if row.ini_type != "string" or not NATIVE_INI_TYPES or row.default is None:
        return row.ini_type
    native = type(row.default)
    return str | native if native in (bool, int, float) else row.ini_type


def ini_value(config: pytest.Config, key: str) -> Any:
    """``config.getini(key)``, tolerant of a native TOML value pytest's declared type refuses:
    a single string where a list is declared (``sentry_project = "app"`` in ``[tool.pytest]``),
    or on a pytest older than 9.2, a number or a boolean. The row's parser then judges it."""
    try:
        return config.getini(key)
    except (pytest.UsageError, TypeError, ValueError):
        raw = getattr(config, "_inicfg", {}).get(key)  # pytest 9's stored value of the key
        value = getattr(raw, "value", None)
        if isinstance(value, str | bool | int | float):
            return value
        raise


def _dest(name: str, index: int) -> str:
    suffix = "" if index == 0 else ("_off" if index < 0 else f"_{index}")
    return f"sentry_gate_{name}{suffix}"


def given(config: pytest.Config, name: str) -> Any:
    """The value a flag of setting ``name`` got on the command line (``None`` when not given)."""
    for index in range(len(ROWS[name].flags)):
        value = config.getoption(_dest(name, index), None)
        if value is not None:
            return value
    return None


def resolve(config: pytest.Config, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting from its sources, in precedence order, and validate it."""
    from pytest_sentry_gate import cli_config, policy_defaults, sentryclirc

    env = os.environ if environ is None else environ
    here = config.invocation_params.dir
    overrides = {
        item.partition("=")[0].strip() for item in config.getoption("override_ini", None) or ()
    }
    rc_values: Mapping[tuple[str, str], tuple[str, Path]] = {}
    properties = cli_config.read_properties(env, here)
    dotenv = DotEnv(config.rootpath / ".env", {})

    def raw(name: str, row: Row) -> tuple[Any, Source]:
        for index, flag in enumerate(row.flags):
            value = config.getoption(_dest(name, index), None)
            if value is not None:
                return value, Source(flag, here)
        if row.negative and config.getoption(_dest(name, -1), None):
            return False, Source(row.negative, here)
        if row.env and env.get(row.env):
            return env[row.env], Source(row.env, here)
        if row.env and dotenv.values.get(row.env):  # the repository's .env, as sentry-cli
            return dotenv.values[row.env], Source(f"{row.env} in {dotenv.path}", dotenv.path.parent)
        if row.ini:
            value = ini_value(config, row.ini)
            if value not in (None, "", []):
                if row.ini in overrides or config.inipath is None:
                    return value, Source(f"-o {row.ini}", here)
                return value, Source(f"{row.ini} in {config.inipath.name}", config.inipath.parent)
        if row.rc and row.rc in properties:  # SENTRY_PROPERTIES, then .sentryclirc
            value, path = properties[row.rc]
            label = f"SENTRY_PROPERTIES ({path}) {'.'.join(row.rc)}"
            return value, Source(label, path.parent)
        if row.rc and row.rc in rc_values:
            value, path = rc_values[row.rc]
            section, key = row.rc
            return value, Source(f".sentryclirc ({path}) [{section}] {key}", path.parent)
        return row.default, Source(UNSET if row.secret else "default", config.rootpath)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    order = ["repo_root", *(n for n in ROWS if n != "repo_root")]  # .sentryclirc needs the repo
    for name in order:
        row = ROWS[name]
        value, source = raw(name, row)
        values[name] = row.parse(value, source)
        sources[row.source_key or name] = source.label
        if name == "repo_root":
            rc_values = sentryclirc.load(home=_home(env), start=here, repo=values["repo_root"])
            dotenv = DotEnv.load(values["repo_root"] / ".env", env)
        if name == "dsn" and values["dsn"] is None:  # the app's .env, as the app reads it
            path = values["repo_root"] / ".env"
            found = sentryclirc.read_dotenv(path).get("SENTRY_DSN")
            if found:
                source = Source(f"SENTRY_DSN in {path}", path.parent)
                values["dsn"] = row.parse(found, source)
                sources["dsn"] = source.label

    _from_org_token(values, sources, config.rootpath)
    values["ci"] = policy_defaults.apply_defaults(values, sources, env)
    token_note = None
    token_raw, _ = raw("token", ROWS["token"])
    if values["token"] is not None and str(token_raw) != values["token"]:
        token_note = TOKEN_STRIPPED
        sources["token"] += f" ({TOKEN_STRIPPED})"
    return Settings(**values, token_note=token_note, sources=sources)


def _from_org_token(values: dict[str, Any], sources: dict[str, str], base: Path) -> None:
    """An organization token's org and URL, for those no other source set."""
    from pytest_sentry_gate.cli_config import token_payload

    token = values["token"]
    payload = token_payload(str(token) if token is not None else None)
    for name, key in (("org", "org"), ("url", "url")):
        if key in payload and sources[name] == "default":
            source = Source(f"the organization token's {key} ({sources['token']})", base)
            values[name] = ROWS[name].parse(payload[key], source)
            sources[name] = source.label


#: ``SENTRY_LOAD_DOTENV`` values that stop sentry-cli (and so the settings) loading ``.env``.
DOTENV_OFF: Final = ("0", "false", "no", "off")


@dataclass(frozen=True)
class DotEnv:
    """The repository's ``.env`` as sentry-cli loads it: between the environment and the ini."""

    path: Path
    values: Mapping[str, str]

    @classmethod
    def load(cls, path: Path, env: Mapping[str, str]) -> DotEnv:
        """The ``.env`` beside the app (nothing when ``SENTRY_LOAD_DOTENV=0``, as sentry-cli)."""
        if env.get("SENTRY_LOAD_DOTENV", "").strip().lower() in DOTENV_OFF:
            return cls(path, {})
        from pytest_sentry_gate.sentryclirc import read_dotenv  # a refused .env: a usage error

        return cls(path, read_dotenv(path))


def _home(env: Mapping[str, str]) -> Path | None:
    home = env.get("HOME")
    return Path(home) if home else None


def markdown_table() -> str:
    """The README's settings table, one line per row."""
    lines = [
        "| setting | flag | ini | env | `.sentryclirc` | default | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in ROWS.items():
        cells = [
            f"`{name}`",
            ", ".join(f"`{flag}`" for flag in row.all_flags) or "—",
            f"`{row.ini}`" if row.ini else "—",
            f"`{row.env}`" if row.env else "—",
            f"`[{row.rc[0]}] {row.rc[1]}`" if row.rc else "—",
            row.default_text,
            row.help.replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
