"""The cassette scrubber: what is removed from Sentry's traffic before a cassette keeps it.

vcrpy's recording hooks (``before_record_request``/``before_record_response``) call it on every
new interaction, so nothing secret reaches a cassette, not even in memory: authorization headers,
the token and any ``sntrys_``/``sntryu_`` token (each in every spelling ``redact.forms`` knows,
base64 included), DSN public and secret keys, email addresses, IP addresses of users and
home-directory names.

A configured secret shorter than ``redact.MIN_PIECE`` characters is not scrubbed: no token Sentry
issues is that short, and replacing ``a`` or ``0`` inside Sentry's answers would change what the
checks judge (a recording and its replay must agree whatever token is set). Interactions read back
from a cassette are never scrubbed again (``replay.Recorder``): a replay gets the recorded bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from vcr.request import Request as VcrRequest

from pytest_sentry_gate.privacy import SECRET_VALUE
from pytest_sentry_gate.redact import MIN_PIECE, forms
from pytest_sentry_gate.repo.dsn import SCRUBBED_DSN_KEY

#: Request and response headers never written to a cassette.
SECRET_HEADERS: Final = (
    "authorization",
    "x-sentry-auth",
    "cookie",
    "set-cookie",
    "proxy-authorization",
)
SCRUBBED: Final = "[scrubbed]"
DSN_KEY_PLACEHOLDER: Final = SCRUBBED_DSN_KEY
_HEX32: Final = re.compile(r"[0-9a-fA-F]{32}")
SCRUBBED_EMAIL: Final = "user@example.invalid"
SCRUBBED_IP: Final = "192.0.2.0"
TOKEN_PATTERN: Final = re.compile(r"sntry[su]_[A-Za-z0-9+/=_.\-]+")
DSN_PATTERN: Final = re.compile(r"(?P<scheme>https?://)[0-9a-fA-F]{32}(?::[0-9a-fA-F]{32})?@")
SENTRY_KEY_PATTERN: Final = re.compile(r"(sentry_(?:key|secret)=)[0-9a-fA-F]{32}")
#: A DSN key as a path segment: ``/unreal/<key>/``, ``/cron/<slug>/<key>/``, ``js-sdk-loader``.
KEY_SEGMENT_PATTERN: Final = re.compile(
    r"(/(?:unreal|js-sdk-loader|cron/[^/\s\"]+)/)[0-9a-fA-F]{32}"
)
#: ``name@domain.tld``; not a URL's user part, not ``project@1.4.2-beta.rc`` (a release: its
#: "domain" starts with a digit).
EMAIL_PATTERN: Final = re.compile(
    r"(?<![\w.%+/-])[A-Za-z0-9._%+-]+@(?!example\.invalid\b)(?![0-9])[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)
HOME_PATTERN: Final = re.compile(
    r"(?P<root>/home/|/Users/|[A-Za-z]:\\Users\\)(?!user\b)[^/\\\"'\s]+"
)
KEY_FIELDS: Final = frozenset({"public", "secret", "publicKey", "secretKey"})
IP_FIELDS: Final = frozenset({"ip_address", "ipAddress", "ip"})


class Scrubber:
    """vcrpy's recording hooks: remove secrets and personal data before anything is stored."""

    def __init__(self, secrets: Iterable[str]) -> None:
        spellings: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_PIECE:  # shorter: not a credential Sentry issues
                spellings |= {s for s in forms(secret) if len(s) >= MIN_PIECE}
        self.secrets = tuple(sorted(spellings, key=lambda s: (-len(s), s)))

    def text(self, text: str) -> str:
        for secret in self.secrets:  # a DSN key keeps its shape, so a DSN still parses
            if secret in text:
                text = text.replace(
                    secret, DSN_KEY_PLACEHOLDER if _HEX32.fullmatch(secret) else SCRUBBED
                )
        text = TOKEN_PATTERN.sub(SCRUBBED, text)
        text = SECRET_VALUE.sub(SCRUBBED, text)
        text = DSN_PATTERN.sub(lambda m: f"{m['scheme']}{DSN_KEY_PLACEHOLDER}@", text)
        text = SENTRY_KEY_PATTERN.sub(lambda m: f"{m[1]}{DSN_KEY_PLACEHOLDER}", text)
        text = KEY_SEGMENT_PATTERN.sub(lambda m: f"{m[1]}{DSN_KEY_PLACEHOLDER}", text)
        text = EMAIL_PATTERN.sub(SCRUBBED_EMAIL, text)
        return HOME_PATTERN.sub(lambda m: f"{m['root']}user", text)

    def body(self, body: bytes | str | None) -> bytes | str | None:
        if body is None:
            return None
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(raw)
        except ValueError:
            cleaned = self.text(raw)
        else:
            cleaned = json.dumps(self._json(data), ensure_ascii=False, separators=(",", ":"))
        return cleaned.encode("utf-8") if isinstance(body, bytes) else cleaned

    def _json(self, data: Any, key: str = "") -> Any:
        if isinstance(data, dict):
            is_key = "public" in data and "dsn" in data  # a client key: its id is its public key
            return {
                k: DSN_KEY_PLACEHOLDER
                if is_key and k == "id" and _HEX32.fullmatch(str(v))
                else self._json(v, k)
                for k, v in data.items()
            }
        if isinstance(data, list):
            return [self._json(v, key) for v in data]
        if isinstance(data, str):
            if key in KEY_FIELDS and re.fullmatch(r"[0-9a-fA-F]{32}", data):
                return DSN_KEY_PLACEHOLDER
            if key in IP_FIELDS and data:
                return SCRUBBED_IP
            return self.text(data)
        return data

    def request(self, request: VcrRequest) -> VcrRequest:
        for name in list(request.headers):
            if name.lower() in SECRET_HEADERS:
                del request.headers[name]
            else:
                request.headers[name] = self.text(str(request.headers[name]))
        request.uri = self.text(request.uri)
        request.body = self.body(request.body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers: dict[str, list[str]] = {}
        for name, values in response["headers"].items():
            if name.lower() not in SECRET_HEADERS:
                headers[name] = [self.text(str(v)) for v in values]
        body = self.body(response["body"]["string"])
        response["headers"] = headers
        response["body"] = {"string": body}
        return response
