"""Tokens, injected faults and the record of requests received.

``Fault`` describes one misbehaviour for requests whose method matches and whose path matches the
``path`` regex (``re.search``): a status with a body, a delay, a reset connection, a malformed
200 body or a hang. ``times=None`` applies it forever; an int applies it to the first N matching
requests only. Faults are checked in the order they were added; the first match wins.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

#: The scopes a personal token for the runbook holds.
DEFAULT_SCOPES = ("org:read", "project:read", "project:releases", "event:read")

DETAIL_INVALID_TOKEN = "Invalid token"
DETAIL_NO_CREDENTIALS = "Authentication credentials were not provided."
DETAIL_NO_PERMISSION = "You do not have permission to perform this action."
DETAIL_NOT_FOUND = "The requested resource does not exist"
DETAIL_RATE_LIMITED = (
    "You are attempting to use this endpoint too frequently. Limit is {limit} requests in "
    "{window} seconds"
)
DETAIL_INTERNAL = "Internal Error"
RATE_LIMIT = 40
#: The body a ``malformed`` fault sends with status 200: JSON cut short.
MALFORMED_BODY = b'{"id": "4000000001", "title": "Error: truncated'
#: Bodies of 502/503/504 faults, as a load balancer sends them (HTML, not JSON).
GATEWAY_BODY = "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
DEFAULT_DETAILS = {
    400: "Invalid request",
    401: DETAIL_INVALID_TOKEN,
    403: DETAIL_NO_PERMISSION,
    404: DETAIL_NOT_FOUND,
    405: "Method not allowed.",
    500: DETAIL_INTERNAL,
}


@dataclass(frozen=True)
class TokenSpec:
    """What a bearer token may do. ``kind="org"`` is an organization token: ``user`` is null."""

    scopes: tuple[str, ...] = DEFAULT_SCOPES
    kind: Literal["user", "org"] = "user"
    email: str = "developer@example.com"
    user_id: str = "1"


@dataclass
class Fault:
    """One injected misbehaviour; see the module docstring."""

    path: str
    method: str = "GET"
    status: int | None = None
    times: int | None = None
    delay: float = 0.0
    reset: bool = False
    malformed: bool = False
    hang: bool = False
    headers: dict[str, str] | None = None
    body: dict[str, Any] | list[Any] | None = None
    #: A regex the raw query string must match too (``re.search``), e.g. ``cursor=``.
    query: str = ""
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def matches(self, method: str, path: str, query: str = "") -> bool:
        """Whether this fault applies to a request."""
        if self._pattern is None:
            self._pattern = re.compile(self.path)
        return (
            self.method.upper() == method.upper()
            and bool(self._pattern.search(path))
            and (not self.query or re.search(self.query, query) is not None)
        )

    def response_headers(self) -> dict[str, str]:
        """The headers to send (a 429 without explicit headers gets rate-limit headers)."""
        if self.headers is not None:
            return dict(self.headers)
        if self.status == 429:
            return {
                "X-Sentry-Rate-Limit-Limit": str(RATE_LIMIT),
                "X-Sentry-Rate-Limit-Remaining": "0",
                "X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 1),
            }
        return {}

    def response_body(self) -> tuple[bytes, str]:
        """The body and its content type for a status fault."""
        status = self.status or 200
        if self.body is not None:
            return json.dumps(self.body).encode(), "application/json"
        if status in (502, 503, 504):
            return GATEWAY_BODY.format(status=status).encode(), "text/html"
        if status == 429:
            detail = DETAIL_RATE_LIMITED.format(limit=RATE_LIMIT, window=1)
        else:
            detail = DEFAULT_DETAILS.get(status, "Error" if status >= 400 else "OK")
        return json.dumps({"detail": detail}).encode(), "application/json"


class FaultBook:
    """The active faults, consumed thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Add a fault (checked after the ones already there)."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, query: str = "") -> Fault | None:
        """The first fault matching the request, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, query):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the simulator received (headers as sent, including authorization)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
