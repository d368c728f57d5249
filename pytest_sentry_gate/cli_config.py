"""The rest of sentry-cli's configuration: ``SENTRY_PROPERTIES``, ``[http]`` and org tokens.

Facts from sentry-cli's ``src/config.rs`` (getsentry/sentry-cli):

- ``SENTRY_PROPERTIES`` names a Java properties file (what the mobile SDKs' build plugins
  write: ``defaults.org``, ``defaults.project``, ``defaults.url``, ``auth.token``). Each key is
  split on its last dot into section and key, and its values override ``.sentryclirc``'s.
- ``[http] proxy_url`` is the proxy (the ``http_proxy`` variable wins over it there; here
  httpx's proxy variables, ``HTTPS_PROXY`` and friends, win), ``[http] verify_ssl = false``
  turns certificate verification off (sentry-cli warns against it; so do we).
- An organization token (``sntrys_<base64 JSON>_<secret>``) carries ``org`` and ``url``.

``[http] ca_certs`` (a PEM file of CAs to trust besides the system's) is this tool's key, not
sentry-cli's (which trusts ``SSL_CERT_FILE`` through openssl-probe, as httpx does here too).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from pytest_sentry_gate.setting_parsers import BAD_VALUE, Source

PROPERTIES_ENV: Final = "SENTRY_PROPERTIES"
PROPERTIES_REFUSED: Final = (
    "Invalid SENTRY_PROPERTIES file {path}: {why}. Allowed: a Java properties file "
    "(defaults.org=…, defaults.project=…, defaults.url=…, auth.token=…), at most {cap:,} bytes"
)
#: The environment variables httpx takes a proxy from (they win over ``[http] proxy_url``).
PROXY_ENV: Final = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
_LINE: Final = re.compile(r"^\s*([^=:\s]+)\s*[=:\s]\s*(.*?)\s*$")
ORG_TOKEN_PREFIX: Final = "sntrys_"


def read_properties(env: Mapping[str, str], base: Path) -> dict[tuple[str, str], tuple[str, Path]]:
    """``(section, key)`` to ``(value, file)`` from the file ``SENTRY_PROPERTIES`` names."""
    name = env.get(PROPERTIES_ENV, "").strip()
    if not name:
        return {}
    from pytest_sentry_gate.repo import files  # (an inert run imports no repository reader)

    path = Path(name).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        text = files.read_text(path, cap=files.CAP_CONFIG)
    except files.FileRefused as exc:
        why = exc.why
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
    else:
        return {key: (value, path) for key, value in _properties(text).items()}
    raise pytest.UsageError(PROPERTIES_REFUSED.format(path=path, why=why, cap=files.CAP_CONFIG))


def _properties(text: str) -> dict[tuple[str, str], str]:
    from pytest_sentry_gate.sentryclirc import KEYS  # the same keys as .sentryclirc

    found: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        match = _LINE.match(line)
        if match is None or "." not in match.group(1):
            continue
        section, _, key = match.group(1).rpartition(".")
        if (section, key) in KEYS and match.group(2):
            found[(section, key)] = match.group(2)
    return found


def token_payload(token: str | None) -> dict[str, str]:
    """The ``org`` and ``url`` an organization token carries (empty for any other token)."""
    if not token or not token.startswith(ORG_TOKEN_PREFIX) or token.count("_") != 2:
        return {}
    encoded = token[len(ORG_TOKEN_PREFIX) :].split("_", 1)[0]
    try:
        payload: Any = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        return {}
    if not isinstance(payload, dict):
        return {}
    return {k: v for k in ("org", "url") if isinstance(v := payload.get(k), str) and v.strip()}


def parse_proxy(value: Any, source: Source) -> str | None:
    """A proxy URL: ``http(s)://host:port`` (no credentials: they would show in messages)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        shown = f"{parts.scheme}://***" if "@" in parts.netloc else text
        allowed = "an http(s)://host:port proxy URL without credentials"
        raise pytest.UsageError(
            BAD_VALUE.format(what="proxy URL", value=shown, source=source.label, allowed=allowed)
        )
    return text


def env_proxy(env: Mapping[str, str]) -> bool:
    """An environment proxy variable is set (httpx mounts it; it wins over ``proxy_url``)."""
    return any(env.get(name) for name in PROXY_ENV)
