"""Resolving the settings table into ``Settings``: each row from its sources, in precedence order.

Precedence, for every setting that has the source: command line > environment > the app
repository's ``.env`` > ini (or ``-o``) > ``SENTRY_PROPERTIES`` > ``.sentryclirc`` > default
(``settings.py`` says more). Each raw value is parsed by its row's parser, which names the
value's source in any error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_sentry_gate.setting_options import _dest, ini_value
from pytest_sentry_gate.setting_parsers import UNSET, Source
from pytest_sentry_gate.setting_rows import Row
from pytest_sentry_gate.setting_secrets import TOKEN_STRIPPED
from pytest_sentry_gate.settings import ROWS, Settings


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
