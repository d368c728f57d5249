"""Every setting, declared once, and the one function that resolves them into ``Settings``.

Each field of ``Settings`` carries its row of the table (``Row``, in the field's metadata): its
flags, ini key, environment variable, ``.sentryclirc`` key, default, parser and help text.
``add_options`` (pytest's ``--help``), ``resolve``, the ``sentry-gate`` command's flags and the
README's settings table all come from these rows. Adding a setting is one field here plus its
tests (and, since a test compares them, the README table line that ``markdown_table`` prints).

Precedence, for every setting that has the source: command line > environment > ini
(``pyproject.toml`` / ``pytest.ini``, or ``-o``) > ``.sentryclirc`` > default. The token is never
a flag or an ini value: it comes from ``SENTRY_AUTH_TOKEN`` or ``.sentryclirc [auth] token``
only; surrounding whitespace is stripped (and ``token_note`` says so), any other whitespace or
control character is refused, and no message ever shows it. A server URL with credentials in it
is refused (the token belongs in ``SENTRY_AUTH_TOKEN``).

Relative paths: a path that names something inside the app repository (``sentry_dist_dir``, the
paths in ``sentry_wiring``, ``sentry_release_wiring`` and ``sentry_version_files``) is relative to
the app repository, whatever its source. Any other path (``sentry_repo_root``,
``--sentry-gate-report``) is relative to the ini file's directory when it comes from the ini file,
and to the invocation directory when it comes from the command line (flags and ``-o``) or the
environment.

A bad value is a ``pytest.UsageError`` naming the value, its source and what is allowed.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

RECORD_MODES: Final = ("off", "none", "once", "new_episodes", "all")
SLUG_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
PERIOD_RE: Final = re.compile(r"^(\d+)([smhdw])$")
USERINFO_RE: Final = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@")
HOST_LABEL_RE: Final = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
TRUE: Final = ("true", "yes", "on", "1")
FALSE: Final = ("false", "no", "off", "0")

BAD_VALUE: Final = "Invalid {what} {value!r} from {source}: {allowed}"
BAD_TOKEN: Final = (
    "Invalid Sentry auth token from {source}: {problem}. The token is not shown; check the value "
    "for pasted line breaks or spaces."
)
URL_CREDENTIALS: Final = (
    "credentials in the URL are refused; put the token in SENTRY_AUTH_TOKEN or .sentryclirc"
)
TOKEN_STRIPPED: Final = "surrounding whitespace stripped"
UNSET: Final = "unset"


@dataclass(frozen=True)
class Source:
    """Where a raw value came from: ``label`` for messages, ``base`` for relative paths."""

    label: str
    base: Path


Parser = Callable[[Any, Source], Any]


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
        return self.parse is _boolean

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


# --- parsers: raw value and its source in, typed value out (or a UsageError) -----------------


def _bad(what: str, value: Any, source: Source, allowed: str) -> pytest.UsageError:
    return pytest.UsageError(
        BAD_VALUE.format(what=what, value=value, source=source.label, allowed=allowed)
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def _slug(value: Any, source: Source, what: str = "organization") -> str | None:
    text = _text(value)
    if not text:
        return None
    if not SLUG_RE.match(text):
        raise _bad(
            f"{what} slug",
            text,
            source,
            "lowercase letters, digits, '-' and '_', starting with a letter or digit",
        )
    return text


def _slugs(value: Any, source: Source) -> tuple[str, ...]:
    """A comma list (flag, env, ini line), or a list of them (ini lines, TOML list)."""
    items = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in items:
        for part in _text(item).split(","):
            slug = _slug(part, source, "project")
            if slug is not None:
                found.append(slug)
    return tuple(found)


def _masked(url: str) -> str:
    """``url`` with any userinfo (``user:pass@``) replaced by ``***@``: printable."""
    return USERINFO_RE.sub(r"\1***@", url, count=1)


def _url(value: Any, source: Source) -> str:
    text = _text(value)
    allowed = "an absolute http(s) URL such as https://sentry.io/"
    if _masked(text) != text:  # checked first: nothing below may print the credentials
        raise _bad("Sentry URL", _masked(text), source, URL_CREDENTIALS)
    if _has_control(text) or " " in text:
        raise _bad("Sentry URL", text, source, allowed + " (no spaces or control characters)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _bad("Sentry URL", text, source, f"{allowed} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise _bad("Sentry URL", text, source, allowed + " (the scheme must be http or https)")
    host = parts.hostname
    if not host:
        raise _bad("Sentry URL", text, source, allowed + " (the host is missing)")
    if not _valid_host(host):
        raise _bad("Sentry URL", text, source, allowed + f" (the host {host!r} is not valid)")
    if port == 0:
        raise _bad("Sentry URL", text, source, allowed + " (port 0)")
    if parts.query or parts.fragment:
        raise _bad("Sentry URL", text, source, allowed + " (no query or fragment)")
    return text if text.endswith("/") else text + "/"


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal: urlsplit has parsed its brackets
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(HOST_LABEL_RE.match(label) for label in labels)


def _token(value: Any, source: Source) -> Secret | None:
    if value is None:
        return None
    raw = str(value)
    text = raw.strip()
    if not text:
        raise pytest.UsageError(BAD_TOKEN.format(source=source.label, problem="it is blank"))
    if any(c.isspace() for c in text):
        problem = "it contains whitespace inside it"
        raise pytest.UsageError(BAD_TOKEN.format(source=source.label, problem=problem))
    if _has_control(text) or not text.isprintable():
        problem = "it contains a control character"
        raise pytest.UsageError(BAD_TOKEN.format(source=source.label, problem=problem))
    return Secret(text)


def _repo_root(value: Any, source: Source) -> Path:
    text = _text(value)
    if text:
        path = _under(text, source.base)
        if not path.is_dir():
            raise _bad("repository root", text, source, "an existing directory")
        return path.resolve()
    start = source.base.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def _path(value: Any, source: Source) -> Path | None:
    text = _text(value)
    return _under(text, source.base) if text else None


def _under(text: str, base: Path) -> Path:
    """``text`` as a path; a relative one is taken relative to ``base``."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def _release(value: Any, source: Source) -> str | None:
    return _text(value) or None


def _name(value: Any, source: Source) -> str:
    text = _text(value)
    if not text or _has_control(text):
        raise _bad("name", text, source, "a non-empty name without control characters")
    return text


def _template(value: Any, source: Source) -> str:
    from pytest_sentry_gate.repo.release_name import template_fields

    text = _text(value)
    try:
        template_fields(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{exc} (from {source.label})") from None
    return text


def _record_mode(value: Any, source: Source) -> str:
    text = _text(value)
    if text not in RECORD_MODES:
        raise _bad("record mode", text, source, "one of " + ", ".join(RECORD_MODES))
    return text


def _period(value: Any, source: Source) -> str:
    text = _text(value)
    match = PERIOD_RE.match(text)
    if not match or int(match.group(1)) <= 0:
        raise _bad(
            "time window",
            text,
            source,
            "a positive number with a unit s, m, h, d or w, such as 24h or 14d",
        )
    return text


def _seconds(value: Any, source: Source) -> float:
    text = _text(value)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise _bad("timeout", text, source, "a finite number of seconds above 0")
    return number


def _boolean(value: Any, source: Source) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise _bad("switch", _text(value), source, "true or false")


def _lines(check: Callable[[Sequence[str]], object]) -> Parser:
    def parse(value: Any, source: Source) -> tuple[str, ...]:
        lines = tuple(_text(v) for v in (value or ()) if _text(v))
        try:
            check(lines)
        except ValueError as exc:
            raise pytest.UsageError(f"{exc} (from {source.label})") from None
        return lines

    return parse


def _markers(lines: Sequence[str]) -> object:
    from pytest_sentry_gate.repo.wiring import parse_markers

    return parse_markers(lines)


def _version_specs(lines: Sequence[str]) -> object:
    from pytest_sentry_gate.repo.versions import parse_spec

    return [parse_spec(line) for line in lines]


def _dist_dir(value: Any, source: Source) -> str:
    text = _text(value)
    if not text:
        raise _bad("build output directory", text, source, "a path in the app repository")
    return text


def _url_prefix(value: Any, source: Source) -> str:
    text = _text(value).rstrip("/")
    if not text or _has_control(text) or " " in text:
        raise _bad(
            "URL prefix", _text(value), source, "a URL prefix such as app://localhost/assets"
        )
    return text


class Secret(str):
    """A string that never shows itself in ``repr`` (so not in tracebacks or dataclass reprs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one run; ``sources`` says where each value came from."""

    org: str | None = field(
        metadata=declare(
            help="Sentry organization slug.",
            parse=_slug,
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
            parse=_slugs,
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
            parse=_url,
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
            parse=_token,
            env="SENTRY_AUTH_TOKEN",
            rc=("auth", "token"),
            default_doc="none: setup_preflight fails and says how to create one",
            secret=True,
        ),
    )
    repo_root: Path = field(
        metadata=declare(
            help="The app repository the checks read.",
            parse=_repo_root,
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
            parse=_release,
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
            parse=_template,
            ini="sentry_release_template",
            default="{project}@{version}",
        ),
    )
    environment: str = field(
        metadata=declare(
            help="Sentry environment of the app.",
            parse=_name,
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
            help="Network unavailable is a FAIL, not PARTIAL.",
            parse=_boolean,
            flags=("--require-host-network", "--strict-network"),
            default=False,
            cli=("--require-host-network", "--strict-network"),
        ),
    )
    send_test_event: bool = field(
        metadata=declare(
            help="local_smoke sends one synthetic event through the DSN.",
            parse=_boolean,
            flags=("--send-test-event",),
            default=False,
            cli=("--send-test-event",),
        ),
    )
    auto_slug_discovery: bool = field(
        metadata=declare(
            help="Auto-select the only organization/project when none is set.",
            parse=_boolean,
            flags=("--auto-slug-discovery",),
            negative="--no-auto-slug-discovery",
            ini="sentry_auto_slug_discovery",
            default=True,
            cli=("--auto-slug-discovery", "--no-auto-slug-discovery"),
        ),
    )
    record_mode: str = field(
        metadata=declare(
            help="Record/replay of Sentry traffic; only off in this version (cassettes are "
            "planned). One of: " + ", ".join(RECORD_MODES) + ".",
            parse=_record_mode,
            flags=("--sentry-record-mode",),
            ini="sentry_record_mode",
            default="off",
            metavar="MODE",
        ),
    )
    report: Path | None = field(
        metadata=declare(
            help="Write the agent report (JSON) to PATH.",
            parse=_path,
            flags=("--sentry-gate-report",),
            default_doc="none",
            metavar="PATH",
            cli=("--report",),
        ),
    )
    stats_period: str = field(
        metadata=declare(
            help="Time window of every count (Sentry statsPeriod, such as 24h or 14d).",
            parse=_period,
            ini="sentry_stats_period",
            default="14d",
        ),
    )
    wiring: tuple[str, ...] = field(
        metadata=declare(
            help="Repository wiring markers, one per line: 'path: expected text' "
            "({release} {project} {version}).",
            parse=_lines(_markers),
            ini="sentry_wiring",
            ini_type="linelist",
            default=(),
            default_doc="none",
        ),
    )
    release_wiring: tuple[str, ...] = field(
        metadata=declare(
            help="Release wiring markers, one per line: 'path: expected text'.",
            parse=_lines(_markers),
            ini="sentry_release_wiring",
            ini_type="linelist",
            default=(),
            default_doc="Tauri: Vite plugin `release`, CI `SENTRY_RELEASE`",
        ),
    )
    version_files: tuple[str, ...] = field(
        metadata=declare(
            help="Version files to align, one per line: 'path[:dotted.key]'.",
            parse=_lines(_version_specs),
            ini="sentry_version_files",
            ini_type="linelist",
            default=(),
            default_doc="`src-tauri/tauri.conf.json`, `src-tauri/Cargo.toml`, `package.json`",
        ),
    )
    dist_dir: str = field(
        metadata=declare(
            help="Built bundles directory, relative to the app repository.",
            parse=_dist_dir,
            ini="sentry_dist_dir",
            default="dist/assets",
        ),
    )
    url_prefix: str = field(
        metadata=declare(
            help="URL prefix the bundles are uploaded under.",
            parse=_url_prefix,
            ini="sentry_url_prefix",
            default="app://localhost/assets",
        ),
    )
    http_timeout: float = field(
        metadata=declare(
            help="Seconds to wait for each Sentry response (above 0; retries are bounded).",
            parse=_seconds,
            ini="sentry_http_timeout",
            default=10.0,
        ),
    )
    bundled_checks: bool = field(
        metadata=declare(
            help="Collect the bundled runbook checks when a mode is selected.",
            parse=_boolean,
            ini="sentry_bundled_checks",
            default=True,
        ),
    )
    token_note: str | None = None
    """``surrounding whitespace stripped`` when the token had it; None otherwise."""
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
            parser.addini(row.ini, help_text(row), type=row.ini_type, default=None)  # type: ignore[arg-type]


def _dest(name: str, index: int) -> str:
    suffix = "" if index == 0 else ("_off" if index < 0 else f"_{index}")
    return f"sentry_gate_{name}{suffix}"


def resolve(config: pytest.Config, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting from its sources, in precedence order, and validate it."""
    from pytest_sentry_gate import sentryclirc

    env = os.environ if environ is None else environ
    here = config.invocation_params.dir
    overrides = {
        item.partition("=")[0].strip() for item in config.getoption("override_ini", None) or ()
    }
    rc_values: Mapping[tuple[str, str], tuple[str, Path]] = {}

    def raw(name: str, row: Row) -> tuple[Any, Source]:
        for index, flag in enumerate(row.flags):
            value = config.getoption(_dest(name, index), None)
            if value is not None:
                return value, Source(flag, here)
        if row.negative and config.getoption(_dest(name, -1), None):
            return False, Source(row.negative, here)
        if row.env and env.get(row.env):
            return env[row.env], Source(row.env, here)
        if row.ini:
            value = config.getini(row.ini)
            if value not in (None, "", []):
                if row.ini in overrides or config.inipath is None:
                    return value, Source(f"-o {row.ini}", here)
                return value, Source(f"{row.ini} in {config.inipath.name}", config.inipath.parent)
        if row.rc and row.rc in rc_values:
            value, path = rc_values[row.rc]
            section, key = row.rc
            return value, Source(f".sentryclirc ({path}) [{section}] {key}", path.parent)
        return row.default, Source(UNSET if row.secret else "default", here)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    order = ["repo_root", *(n for n in ROWS if n != "repo_root")]  # .sentryclirc needs the repo
    for name in order:
        row = ROWS[name]
        value, source = raw(name, row)
        values[name] = row.parse(value, source)
        sources[row.source_key or name] = source.label
        if name == "repo_root":
            rc_values = sentryclirc.load(home=_home(env), start=values["repo_root"])

    token_note = None
    token_raw, _ = raw("token", ROWS["token"])
    if values["token"] is not None and str(token_raw) != values["token"]:
        token_note = TOKEN_STRIPPED
        sources["token"] += f" ({TOKEN_STRIPPED})"
    return Settings(**values, token_note=token_note, sources=sources)


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
