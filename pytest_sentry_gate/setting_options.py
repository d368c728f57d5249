"""The settings table as pytest sees it: flags and ini keys, their help, unknown keys, the docs.

``add_options`` declares every row's flags and ini key in pytest's ``sentry-gate`` group (the help
text names the default and the environment variable); ``refuse_unknown_keys`` turns a mistyped
``sentry_*`` ini key into a usage error; ``markdown_table`` prints ``docs/settings.md``'s table.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from pytest_sentry_gate.setting_rows import Row
from pytest_sentry_gate.settings import ROWS


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
    # private: pytest has no public list of the ini keys nobody declared (7.x to 9.x), and
    # reading the file here would refuse another plugin's own sentry_* key; pinned by
    # tests/test_private_internals.py (without it, pytest's --strict-config still reports them)
    unknown = getattr(config, "_get_unknown_ini_keys", None)
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
        # private: pytest 9's stored value of the key. No public API gives a value its declared
        # type refuses (config.inicfg is deprecated and warns; a union type cannot hold a list
        # tag); pinned by tests/test_private_internals.py
        raw = getattr(config, "_inicfg", {}).get(key)
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
