"""Record and replay of Sentry traffic: one vcrpy cassette per run target, as an httpx transport.

The checks share one session cache and fetch independent requests concurrently, so a request
belongs to the run: ``Recorder`` is the transport of the run's one client (through
``ClientConfig.transport``), and its cassette is ``<cassette dir>/<org>/<project>.yaml``.
Matching is by method, path and query (any order, vcrpy's matchers); a request may be answered
many times, and repeated requests (a 429, then its retry) are answered in recorded order, the last
answer repeating. ``none`` (and ``once`` over an existing cassette) never sends: a request missing
from the cassette raises ``ReplayMissing``, which ends that check in a FAIL naming it.

A cassette is checked before vcrpy reads it (``cassette_file``: plain YAML, no tag, no token).
Scrubbing (``scrub.Scrubber``) happens in vcrpy's own recording hooks, on new interactions only,
so nothing secret reaches the cassette, not even in memory. While recording, the client receives
the scrubbed answer too, so a recording run and its replay see the same bytes; interactions read
back from the cassette are never scrubbed again, so a replay's answers do not depend on the token
set when it runs (a replay needs none).

vcrpy is imported here, and this module is imported only when a record mode other than ``off``
is in effect.
"""

from __future__ import annotations

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
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from pytest_sentry_gate import atomic
from pytest_sentry_gate.cassette_file import RECORDED_AT, cassette_path, inspect
from pytest_sentry_gate.errors import ReplayMissing
from pytest_sentry_gate.scrub import (
    DSN_KEY_PLACEHOLDER,
    SCRUBBED,
    SCRUBBED_IP,
    SECRET_HEADERS,
    Scrubber,
)

__all__ = [
    "DSN_KEY_PLACEHOLDER",
    "SCRUBBED",
    "SCRUBBED_IP",
    "SECRET_HEADERS",
    "Recorder",
    "Scrubber",
    "cassette_path",
    "replays_only",
]

MATCH_ON: Final = (matchers.method, matchers.path, matchers.query)
#: Headers that describe the wire form of a body the cassette stores decoded.
WIRE_HEADERS: Final = ("content-encoding", "transfer-encoding", "content-length")


def replays_only(record_mode: str, path: Path) -> bool:
    """Whether this run answers every request from the cassette (``none``, or ``once`` over one)."""
    return record_mode == "none" or (record_mode == "once" and path.is_file())


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
        secrets = tuple(secrets)
        found = inspect(path)  # CassetteRefused: not plain YAML, a tag, a token (configure time)
        self.scrubber = Scrubber(secrets)
        self._loading = True  # what the cassette holds is the recording's: never scrubbed again
        self.cassette = Cassette.load(
            path=str(path),
            record_mode=RecordMode(record_mode),
            match_on=MATCH_ON,
            before_record_request=self._scrub_request,
            before_record_response=self._scrub_response,
            allow_playback_repeats=True,
        )
        self._loading = False
        self._loaded = len(self.cassette.data)
        self._live = live
        self._lock = threading.Lock()
        self.replay_only = bool(self.cassette.write_protected)
        stored = found.recorded_at if found is not None else None
        self.recorded_at = stored if stored is not None else self._newest_date()
        self._now: float | None = None
        if not self.replay_only:  # new_episodes keeps the clock of what is already recorded
            keep = self._loaded and self.recorded_at is not None
            self._now = self.recorded_at if keep else time.time()

    def _scrub_request(self, request: VcrRequest) -> VcrRequest:
        return request if self._loading else self.scrubber.request(request)

    def _scrub_response(self, response: dict[str, Any]) -> dict[str, Any]:
        return response if self._loading else self.scrubber.response(response)

    def _newest_date(self) -> float | None:
        """The newest recorded ``Date`` (a cassette written by another tool, without
        ``recorded_at``)."""
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
            recorded = sorted(
                self.cassette.data[self._loaded :],
                key=lambda pair: (pair[0].method, pair[0].path, sorted(pair[0].query)),
            )
            kept = self.cassette.data[: self._loaded]
            if self.cassette.record_mode == RecordMode.ALL:  # re-recorded answers replace old ones
                kept = [
                    (old, answer)
                    for old, answer in kept
                    if not any(matchers.requests_match(new, old, MATCH_ON) for new, _ in recorded)
                ]
            pairs = kept + recorded
            # vcrpy's public serializer (its format and version key), written atomically by us.
            pairs_dict = {"requests": [q for q, _ in pairs], "responses": [a for _, a in pairs]}
            text = serialize(pairs_dict, yamlserializer)
            if self._now is not None:  # a top-level key vcrpy leaves alone when it loads
                text += f"{RECORDED_AT}: {self._now!r}\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic.replace(self.path, text.encode("utf-8"))
            self.cassette.dirty = False

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
