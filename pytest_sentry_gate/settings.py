"""Every setting, declared once, and the one function that resolves them into ``Settings``.

Precedence, for every setting that has the source: command line > environment > ini
(``pyproject.toml`` / ``pytest.ini``) > ``.sentryclirc`` > default. The token is never a flag or
an ini value: it comes from ``SENTRY_AUTH_TOKEN`` or ``.sentryclirc [auth] token`` only.

A bad value is a ``pytest.UsageError`` naming the value, its source and what is allowed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

RECORD_MODES: Final = ("off", "none", "once", "new_episodes", "all")
DEFAULT_URL: Final = "https://sentry.io/"
SLUG_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
PERIOD_RE: Final = re.compile(r"^\d+[smhdw]$")

BAD_VALUE: Final = "Invalid {what} {value!r} from {source}: {allowed}"


@dataclass(frozen=True)
class Option:
    """One row of the settings table."""

    name: str
    help: str
    flag: str | None = None
    ini: str | None = None
    env: str | None = None
    rc: tuple[str, str] | None = None
    default: Any = None
    kind: str = "str"  # str, bool, flag, linelist, float, int
    choices: tuple[str, ...] = ()
    metavar: str | None = None


OPTIONS: Final = (
    Option(
        "org",
        "Sentry organization slug.",
        "--sentry-org",
        "sentry_org",
        "SENTRY_ORG",
        ("defaults", "org"),
        metavar="SLUG",
    ),
    Option(
        "project",
        "Sentry project slug(s), comma separated.",
        "--sentry-project",
        "sentry_project",
        "SENTRY_PROJECT",
        ("defaults", "project"),
        metavar="SLUG[,SLUG]",
    ),
    Option(
        "url",
        "Sentry server URL.",
        "--sentry-url",
        "sentry_url",
        "SENTRY_URL",
        ("defaults", "url"),
        DEFAULT_URL,
        metavar="URL",
    ),
    Option(
        "repo_root",
        "The app repository the checks read (default: git top level of the invocation directory).",
        "--sentry-repo-root",
        "sentry_repo_root",
        metavar="DIR",
    ),
    Option(
        "release",
        "Release under check (default: the template applied to the repository version).",
        "--sentry-release",
        "sentry_release",
        "SENTRY_RELEASE",
        metavar="VERSION",
    ),
    Option(
        "release_template",
        "Release name template; placeholders {project} {version}.",
        ini="sentry_release_template",
        default="{project}@{version}",
    ),
    Option(
        "environment",
        "Sentry environment of the app.",
        "--sentry-environment",
        "sentry_environment",
        "SENTRY_ENVIRONMENT",
        default="production",
        metavar="NAME",
    ),
    Option(
        "require_host_network",
        "Network unavailable is a FAIL, not PARTIAL.",
        "--require-host-network",
        kind="flag",
        default=False,
    ),
    Option(
        "strict_network",
        "Alias of --require-host-network.",
        "--strict-network",
        kind="flag",
        default=False,
    ),
    Option(
        "send_test_event",
        "local_smoke sends one synthetic event through the DSN.",
        "--send-test-event",
        kind="flag",
        default=False,
    ),
    Option(
        "auto_slug_discovery",
        "Auto-select the only org/project when none is set (the flag turns this off).",
        "--no-auto-slug-discovery",
        "sentry_auto_slug_discovery",
        kind="bool",
        default=True,
    ),
    Option(
        "state_file",
        "Checkpoint file (default <repo>/.sentry-gate/<org>_<project>.json).",
        "--sentry-state-file",
        "sentry_state_file",
        metavar="PATH",
    ),
    Option(
        "record_mode",
        "Record/replay of Sentry traffic (only off in this version; cassettes are planned).",
        "--sentry-record-mode",
        "sentry_record_mode",
        default="off",
        choices=RECORD_MODES,
        metavar="MODE",
    ),
    Option(
        "cassette_dir",
        "Cassette directory (default <rootdir>/cassettes).",
        "--sentry-cassette-dir",
        "sentry_cassette_dir",
        metavar="DIR",
    ),
    Option(
        "report", "Write the agent report (JSON) to PATH.", "--sentry-gate-report", metavar="PATH"
    ),
    Option(
        "stats_period",
        "Time window of every count (Sentry statsPeriod).",
        ini="sentry_stats_period",
        default="14d",
    ),
    Option(
        "max_high_severity",
        "High-severity unresolved issues tolerated.",
        ini="sentry_max_high_severity",
        default=0,
        kind="int",
    ),
    Option(
        "min_crash_free_sessions",
        "Minimum crash-free session rate (percent).",
        ini="sentry_min_crash_free_sessions",
        default=99.0,
        kind="float",
    ),
    Option(
        "min_crash_free_users",
        "Minimum crash-free user rate (percent).",
        ini="sentry_min_crash_free_users",
        default=99.0,
        kind="float",
    ),
    Option(
        "wiring",
        "Repository wiring markers, one per line: 'path: expected text' "
        "({release} {project} {version}).",
        ini="sentry_wiring",
        kind="linelist",
        default=(),
    ),
    Option(
        "release_wiring",
        "Release wiring markers, one per line: 'path: expected text'.",
        ini="sentry_release_wiring",
        kind="linelist",
        default=(),
    ),
    Option(
        "version_files",
        "Version files to align, one per line: 'path[:dotted.key]'.",
        ini="sentry_version_files",
        kind="linelist",
        default=(),
    ),
    Option(
        "dist_dir",
        "Built bundles directory, relative to the repository.",
        ini="sentry_dist_dir",
        default="dist/assets",
    ),
    Option(
        "url_prefix",
        "URL prefix the bundles are uploaded under.",
        ini="sentry_url_prefix",
        default="app://localhost/assets",
    ),
    Option(
        "http_timeout",
        "Seconds to wait for each Sentry response (retries are bounded).",
        ini="sentry_http_timeout",
        default=10.0,
        kind="float",
    ),
    Option(
        "bundled_checks",
        "Collect the bundled runbook checks when a mode is selected.",
        ini="sentry_bundled_checks",
        kind="bool",
        default=True,
    ),
    # -- local_smoke / incident (issue 10) --------------------------------------------------
    Option(
        "kill_switch",
        "Variable that disables the app's Sentry when truthy (1/true/yes/on); empty: none.",
        ini="sentry_kill_switch",
        default="",
    ),
    Option(
        "smoke_wait",
        "Seconds to wait for the smoke event to become readable (polled with backoff).",
        ini="sentry_smoke_wait",
        default=30.0,
        kind="float",
    ),
    Option(
        "incident_top",
        "How many high-severity unresolved issues incident samples (their latest events).",
        ini="sentry_incident_top",
        default=5,
        kind="int",
    ),
)
OPTION_BY_NAME: Final = {o.name: o for o in OPTIONS}


class Secret(str):
    """A string that never shows itself in ``repr`` (so not in tracebacks or dataclass reprs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one run; ``sources`` says where each value came from."""

    org: str | None
    projects: tuple[str, ...]
    url: str
    token: Secret | None = field(repr=False)
    dsn: Secret | None = field(repr=False)
    repo_root: Path
    release: str | None
    release_template: str
    environment: str
    require_host_network: bool
    send_test_event: bool
    auto_slug_discovery: bool
    state_file: Path | None
    record_mode: str
    cassette_dir: Path
    report: Path | None
    stats_period: str
    max_high_severity: int
    min_crash_free_sessions: float
    min_crash_free_users: float
    wiring: tuple[str, ...]
    release_wiring: tuple[str, ...]
    version_files: tuple[str, ...]
    dist_dir: str
    url_prefix: str
    http_timeout: float
    bundled_checks: bool
    # -- local_smoke / incident (issue 10) --
    kill_switch: str = ""
    smoke_wait: float = 30.0
    incident_top: int = 5
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

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


def add_options(parser: pytest.Parser) -> None:
    """Declare every flag and ini value of the table in one option group."""
    group = parser.getgroup("sentry-gate", "Sentry runbook checks (pytest-sentry-gate)")
    for opt in OPTIONS:
        if opt.flag:
            if opt.kind in ("flag", "bool"):
                group.addoption(
                    opt.flag, action="store_true", default=None, dest=_dest(opt), help=opt.help
                )
            else:
                group.addoption(
                    opt.flag,
                    action="store",
                    default=None,
                    dest=_dest(opt),
                    metavar=opt.metavar,
                    help=_help(opt),
                )
        if opt.ini:
            ini_type = {"bool": "bool", "linelist": "linelist"}.get(opt.kind, "string")
            parser.addini(opt.ini, _help(opt), type=ini_type, default=None)  # type: ignore[arg-type]


def _dest(opt: Option) -> str:
    return f"sentry_gate_{opt.name}"


def _help(opt: Option) -> str:
    extra = f" One of: {', '.join(opt.choices)}." if opt.choices else ""
    default = f" Default: {opt.default}." if opt.default not in (None, (), False) else ""
    env = f" Env: {opt.env}." if opt.env else ""
    return f"{opt.help}{extra}{default}{env}"


def resolve(config: pytest.Config, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting from its sources, in precedence order, and validate it."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    ini_file = str(config.inipath.name) if config.inipath else "ini"

    def take(opt: Option, rc_values: Mapping[tuple[str, str], tuple[str, str]]) -> None:
        cli = config.getoption(_dest(opt), None) if opt.flag else None
        if cli is not None:
            # --no-auto-slug-discovery is a negative flag.
            raw[opt.name] = False if opt.name == "auto_slug_discovery" else cli
            sources[opt.name] = opt.flag or ""
            return
        if opt.env and env.get(opt.env):
            raw[opt.name], sources[opt.name] = env[opt.env], opt.env
            return
        if opt.ini:
            value = config.getini(opt.ini)
            if value not in (None, "", []):
                raw[opt.name], sources[opt.name] = value, f"{opt.ini} in {ini_file}"
                return
        if opt.rc and opt.rc in rc_values:
            raw[opt.name], sources[opt.name] = rc_values[opt.rc]
            return
        raw[opt.name], sources[opt.name] = opt.default, "default"

    from pytest_sentry_gate import sentryclirc

    take(OPTION_BY_NAME["repo_root"], {})
    repo_root = _repo_root(raw["repo_root"], sources["repo_root"], config)
    rc_values = sentryclirc.load(home=_home(env), start=repo_root)
    for opt in OPTIONS:
        if opt.name != "repo_root":
            take(opt, rc_values)

    token, token_source = _secret(env, "SENTRY_AUTH_TOKEN", rc_values.get(("auth", "token")))
    sources["token"] = token_source
    dsn_value, dsn_source = _secret(env, "SENTRY_DSN", None)
    if dsn_value is None:
        dotenv = sentryclirc.read_dotenv(repo_root / ".env")
        if dotenv.get("SENTRY_DSN"):
            dsn_value, dsn_source = Secret(dotenv["SENTRY_DSN"]), ".env"
    sources["dsn"] = dsn_source

    _check_lists(raw, sources)
    return Settings(
        org=_slug(raw["org"], sources["org"], "organization"),
        projects=tuple(
            _slug(p.strip(), sources["project"], "project") or ""
            for p in str(raw["project"] or "").split(",")
            if p.strip()
        ),
        url=_url(str(raw["url"]), sources["url"]),
        token=token,
        dsn=dsn_value,
        repo_root=repo_root,
        release=raw["release"] or None,
        release_template=str(raw["release_template"]),
        environment=str(raw["environment"]),
        require_host_network=bool(raw["require_host_network"] or raw["strict_network"]),
        send_test_event=bool(raw["send_test_event"]),
        auto_slug_discovery=bool(raw["auto_slug_discovery"]),
        state_file=Path(raw["state_file"]) if raw["state_file"] else None,
        record_mode=_choice(
            raw["record_mode"], sources["record_mode"], "record mode", RECORD_MODES
        ),
        cassette_dir=_under(raw["cassette_dir"] or "cassettes", config.rootpath),
        report=Path(raw["report"]) if raw["report"] else None,
        stats_period=_period(str(raw["stats_period"]), sources["stats_period"]),
        max_high_severity=int(
            _number(raw["max_high_severity"], sources["max_high_severity"], "threshold", int)
        ),
        min_crash_free_sessions=_number(
            raw["min_crash_free_sessions"], sources["min_crash_free_sessions"], "threshold", float
        ),
        min_crash_free_users=_number(
            raw["min_crash_free_users"], sources["min_crash_free_users"], "threshold", float
        ),
        wiring=tuple(raw["wiring"] or ()),
        release_wiring=tuple(raw["release_wiring"] or ()),
        version_files=tuple(raw["version_files"] or ()),
        dist_dir=str(raw["dist_dir"]),
        url_prefix=str(raw["url_prefix"]).rstrip("/"),
        http_timeout=_positive(raw["http_timeout"], sources["http_timeout"]),
        bundled_checks=_bool(raw["bundled_checks"], sources["bundled_checks"]),
        # -- local_smoke / incident (issue 10) --
        kill_switch=str(raw["kill_switch"] or "").strip(),
        smoke_wait=float(_number(raw["smoke_wait"], sources["smoke_wait"], "wait", float)),
        incident_top=max(
            1, int(_number(raw["incident_top"], sources["incident_top"], "count", int))
        ),
        sources=sources,
    )


def _check_lists(raw: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    """Marker and version-file lines parse now, so a typo is a usage error, not a traceback."""
    from pytest_sentry_gate.repo.versions import parse_spec
    from pytest_sentry_gate.repo.wiring import parse_markers

    for name in ("wiring", "release_wiring"):
        try:
            parse_markers(raw[name] or ())
        except ValueError as exc:
            raise pytest.UsageError(f"{exc} (from {sources[name]})") from None
    for line in raw["version_files"] or ():
        try:
            parse_spec(line)
        except ValueError as exc:
            raise pytest.UsageError(f"{exc} (from {sources['version_files']})") from None


def _home(env: Mapping[str, str]) -> Path | None:
    home = env.get("HOME")
    return Path(home) if home else None


def _secret(
    env: Mapping[str, str], name: str, rc: tuple[str, str] | None
) -> tuple[Secret | None, str]:
    if env.get(name):
        return Secret(env[name]), name
    if rc is not None:
        return Secret(rc[0]), rc[1]
    return None, "unset"


def _repo_root(value: Any, source: str, config: pytest.Config) -> Path:
    if value:
        from_ini = source.startswith("sentry_repo_root in") and config.inipath is not None
        base = (
            config.inipath.parent if from_ini and config.inipath else config.invocation_params.dir
        )
        path = _under(value, base)
        if not path.is_dir():
            raise pytest.UsageError(
                BAD_VALUE.format(
                    what="repository root",
                    value=str(value),
                    source=source,
                    allowed="an existing directory",
                )
            )
        return path.resolve()
    start = config.invocation_params.dir.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def _under(value: Any, base: Path) -> Path:
    """``value`` as a path; a relative one is taken relative to ``base``."""
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base / path


def _slug(value: Any, source: str, what: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not SLUG_RE.match(text):
        raise pytest.UsageError(
            BAD_VALUE.format(
                what=f"{what} slug",
                value=text,
                source=source,
                allowed="lowercase letters, digits, '-' and '_', starting with a letter or digit",
            )
        )
    return text


def _url(value: str, source: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise pytest.UsageError(
            BAD_VALUE.format(
                what="Sentry URL",
                value=value,
                source=source,
                allowed="an absolute http(s) URL such as https://sentry.io/",
            )
        )
    return value if value.endswith("/") else value + "/"


def _choice(value: Any, source: str, what: str, allowed: Sequence[str]) -> str:
    text = str(value)
    if text not in allowed:
        raise pytest.UsageError(
            BAD_VALUE.format(
                what=what, value=text, source=source, allowed="one of " + ", ".join(allowed)
            )
        )
    return text


def _period(value: str, source: str) -> str:
    if not PERIOD_RE.match(value):
        raise pytest.UsageError(
            BAD_VALUE.format(
                what="time window",
                value=value,
                source=source,
                allowed="a number with a unit s, m, h, d or w, such as 24h or 14d",
            )
        )
    return value


def _number(value: Any, source: str, what: str, kind: Callable[[Any], Any]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0:
        raise pytest.UsageError(
            BAD_VALUE.format(what=what, value=value, source=source, allowed="a non-negative number")
        )
    return number


def _positive(value: Any, source: str) -> float:
    number = float(_number(value, source, "timeout", float))
    if number <= 0:
        raise pytest.UsageError(
            BAD_VALUE.format(
                what="timeout", value=value, source=source, allowed="a number of seconds above 0"
            )
        )
    return number


def _bool(value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    raise pytest.UsageError(
        BAD_VALUE.format(what="switch", value=value, source=source, allowed="true or false")
    )
