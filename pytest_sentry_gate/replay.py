"""Record and replay of Sentry traffic: one vcrpy cassette per run target, as an httpx transport.

The checks share one session cache and fetch independent requests concurrently, so a request
belongs to the run: ``Recorder`` is the transport of the run's one client (through
``ClientConfig.transport``), and its cassette is ``<cassette dir>/<org>/<project>.yaml``.
Matching is by method, path and query (any order, vcrpy's matchers); a request may be answered
many times, and repeated requests (a 429, then its retry) are answered in recorded order, the last
answer repeating. ``none`` (and ``once`` over an existing cassette) never sends: a request missing
from the cassette raises ``ReplayMissing``, which ends that check in a FAIL naming it.

Scrubbing happens in vcrpy's own hooks (``before_record_request``/``before_record_response``),
so nothing secret reaches the cassette, not even in memory: authorization headers, the token and
any ``sntrys_``/``sntryu_`` token, DSN public and secret keys, email addresses, IP addresses of
users and home-directory names. While recording, the client receives the scrubbed answer too, so
a recording run and its replay see the same bytes.

vcrpy is imported here, and this module is imported only when a record mode other than ``off``
is in effect.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Final

import httpx
from vcr import matchers
from vcr.cassette import Cassette
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest

from pytest_sentry_gate.errors import ReplayMissing
from pytest_sentry_gate.privacy import SECRET_VALUE
from pytest_sentry_gate.repo.dsn import SCRUBBED_DSN_KEY

try:
    from vcr.errors import MissingMetadataError
except ImportError:  # pragma: no cover - vcrpy before cassette metadata

    class MissingMetadataError(Exception):  # type: ignore[no-redef]
        """Never raised: this vcrpy stores no metadata."""


MATCH_ON: Final = (matchers.method, matchers.path, matchers.query)
RECORDED_AT: Final = "recorded_at"
RECORDED_AT_LINE: Final = re.compile(r"^recorded_at: ([0-9.]+)$", re.MULTILINE)
#: Request and response headers never written to a cassette.
SECRET_HEADERS: Final = (
    "authorization",
    "x-sentry-auth",
    "cookie",
    "set-cookie",
    "proxy-authorization",
)
#: Headers that describe the wire form of a body the cassette stores decoded.
WIRE_HEADERS: Final = ("content-encoding", "transfer-encoding", "content-length")
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


def cassette_path(cassette_dir: Path, org: str | None, project: str | None) -> Path:
    """``<dir>/<org>/<project>.yaml``; an unset slug (discovery) records under ``_``."""
    return cassette_dir / (org or "_") / f"{project or '_'}.yaml"


def replays_only(record_mode: str, path: Path) -> bool:
    """Whether this run answers every request from the cassette (``none``, or ``once`` over one)."""
    return record_mode == "none" or (record_mode == "once" and path.is_file())


class Scrubber:
    """vcrpy's recording hooks: remove secrets and personal data before anything is stored."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(sorted((s for s in secrets if s), key=len, reverse=True))

    def text(self, text: str) -> str:
        for secret in self.secrets:  # a DSN key keeps its shape, so a DSN still parses
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


class Recorder(httpx.BaseTransport):
    """The client's transport under a record mode: answers from the cassette, records the rest.

    Thread-safe: ``gather`` runs reads on threads, so the cassette is read and appended under one
    lock, while the live requests of a recording run still go out concurrently.
    """

    def __init__(
        self,
        *,
        path: Path,
        record_mode: str,
        secrets: Iterable[str] = (),
        live: httpx.BaseTransport | None = None,
    ) -> None:
        self.path = path
        self.scrubber = Scrubber(secrets)
        self.cassette = Cassette.load(
            path=str(path),
            record_mode=RecordMode(record_mode),
            match_on=MATCH_ON,
            before_record_request=self.scrubber.request,
            before_record_response=self.scrubber.response,
            allow_playback_repeats=True,
        )
        self._loaded = len(self.cassette.data)
        self._live = live
        self._lock = threading.Lock()
        self.replay_only = bool(self.cassette.write_protected)
        self.recorded_at = self._recorded_at()
        self._now: float | None = None if self.replay_only else time.time()

    def _recorded_at(self) -> float | None:
        """When the cassette was recorded: the ``recorded_at`` stored with it, else the newest
        recorded ``Date`` (a cassette written by another tool)."""
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.is_file() else ""
        except OSError:
            text = ""
        stored = RECORDED_AT_LINE.search(text)
        if stored is not None:
            return float(stored.group(1))
        dates: list[float] = []
        for response in self.cassette.responses:
            for name, values in response["headers"].items():
                if name.lower() == "date":
                    try:
                        dates.extend(parsedate_to_datetime(v).timestamp() for v in values)
                    except (TypeError, ValueError):
                        continue
        return max(dates) if dates else None

    def now(self) -> float:
        """The run's one "now" for its facts (a time window's end, the checkpoint's time): the
        recording's in a replay; while recording, the time the cassette was opened, stored with
        it, so that a replay asks Sentry exactly what the recording asked."""
        if self.replay_only and self.recorded_at is not None:
            return self.recorded_at
        if self._now is None:  # a replay of a cassette that holds no time at all
            self._now = time.time()
        return self._now

    def clock(self) -> float:
        """The recording's time in a replay; the wall clock while recording."""
        if self.replay_only and self.recorded_at is not None:
            return self.recorded_at
        return time.time()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        wanted = VcrRequest(request.method, str(request.url), body or None, dict(request.headers))
        with self._lock:
            answer = self._play(wanted)
        if answer is not None:
            return _response(answer)
        if self.cassette.write_protected:
            query = request.url.query.decode()
            path = f"{request.url.path}?{query}" if query else request.url.path
            raise ReplayMissing(request.method, path, self.path, self.cassette.record_mode.value)
        if self._live is None:
            from pytest_sentry_gate.sentry.transport import DeadlineTransport

            self._live = DeadlineTransport()  # the client's deadline covers recording too
        live = self._live.handle_request(request)
        try:
            content = live.read()
        finally:
            live.close()
        recorded = {
            "status": {"code": live.status_code, "message": live.reason_phrase},
            "headers": _headers(live.headers),
            "body": {"string": content},
        }
        with self._lock:
            before = len(self.cassette.data)
            self.cassette.append(wanted, recorded)
            if len(self.cassette.data) > before:
                recorded = self.cassette.data[-1][1]
        return _response(recorded)

    def _play(self, request: VcrRequest) -> dict[str, Any] | None:
        """The first unplayed recorded answer to ``request``, else its last one, else None."""
        if self.cassette.record_mode == RecordMode.ALL:
            return None
        wanted = self.cassette.filter_request(request)
        found = [
            index
            for index in range(self._loaded)
            if matchers.requests_match(wanted, self.cassette.data[index][0], MATCH_ON)
        ]
        if not found:
            return None
        counts = self.cassette.play_counts
        index = next((i for i in found if counts[i] == 0), found[-1])
        counts[index] += 1
        answer: dict[str, Any] = self.cassette.data[index][1]
        return answer

    def save(self) -> None:
        """Write the cassette if this run recorded anything, in a stable order."""
        with self._lock:
            if self.replay_only or not self.cassette.dirty:
                return
            recorded = self.cassette.data[self._loaded :]
            recorded.sort(key=lambda pair: (pair[0].method, pair[0].path, sorted(pair[0].query)))
            self.cassette.data[self._loaded :] = recorded
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.cassette._save()  # vcrpy's own writer (record-mode rules)
            if self._now is not None:  # a top-level key vcrpy leaves alone when it loads
                with self.path.open("a", encoding="utf-8") as cassette:
                    cassette.write(f"{RECORDED_AT}: {self._now!r}\n")

    def close(self) -> None:
        if self._live is not None:
            self._live.close()


def _headers(headers: httpx.Headers) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        if name.lower() not in WIRE_HEADERS:
            found.setdefault(name, []).append(value)
    return found


def _response(recorded: dict[str, Any]) -> httpx.Response:
    body = recorded["body"]["string"]
    content = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    headers = [
        (name, value)
        for name, values in recorded["headers"].items()
        if name.lower() not in WIRE_HEADERS
        for value in values
    ]
    message = recorded["status"].get("message")
    return httpx.Response(
        recorded["status"]["code"],
        headers=headers,
        content=content,
        extensions={"reason_phrase": message.encode("ascii")} if message else None,
    )
