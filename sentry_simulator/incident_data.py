"""Incident data: a high-severity issue whose latest event holds (or has scrubbed) personal data.

``PLANTED`` is one value of each kind the privacy check looks for, and the event field it is put
in; ``SCRUBBED`` is what Sentry's scrubbing leaves there instead (its ``[email]``-style markers).
``add_incident`` adds an unresolved, high-priority, error-level issue of ``release`` with one
event carrying the chosen kinds (raw or scrubbed) and the release and environment tags.

What real Sentry serves beside them (``shared/reference/sentry-api.md`` §13 "Events"):

- ``scrubbed=True`` also gives the event a ``request`` entry whose ``password`` Sentry replaced
  with ``[Filtered]``, and the ``_meta`` record of that (``rem``, ``len``, ``chunks``);
- ``look_alikes=True`` gives it what a WebView2 app sends that only looks personal: the
  ``User-Agent`` (``Chrome/131.0.0.0``), the app route ``/home/settings`` (``transaction`` tag and
  request URL) and native frames built on a CI runner (``/home/runner/work/…``,
  ``/Users/runner/work/…``);
- ``associate_commits`` gives a release the commit authors and last commit that teams which
  associate commits have; the event detail returns them in its full ``release`` object.
"""

from __future__ import annotations

from typing import Any, Final

from .data import SimulatorData
from .model import Event, JsonDict

#: kind -> (field of the event, planted value). The values are made up.
PLANTED: Final[dict[str, tuple[str, str]]] = {
    "email": ("user.email", "jane.doe@example.com"),
    "ipv4": ("user.ip_address", "203.0.113.42"),
    "ipv6": ("contexts.client.address", "2001:db8:85a3::8a2e:370:7334"),
    "home_path": ("contexts.app.path", "/Users/janedoe/Library/Codictate/models"),
    "secret": ("message", "retry with token sntryu_0123456789abcdef0123456789abcdef"),
}
#: kind -> what Sentry leaves after scrubbing.
SCRUBBED: Final[dict[str, str]] = {
    "email": "[email]",
    "ipv4": "[ip]",
    "ipv6": "[ip]",
    "home_path": "/Users/[user]/Library/Codictate/models",
    "secret": "retry with token [Filtered]",
}
INCIDENT_TITLE: Final = "TypeError: Cannot read properties of undefined (reading 'segments')"
#: Sentry's record of a value its default scrubber replaced (``@password:filter``).
FILTERED: Final = "[Filtered]"
PASSWORD_META: Final[JsonDict] = {
    "": {
        "rem": [["@password:filter", "s", 0, 10]],
        "len": 12,
        "chunks": [
            {"type": "redaction", "text": FILTERED, "rule_id": "@password:filter", "remark": "s"}
        ],
    }
}
#: A WebView2 (Edge) User-Agent: ``Chrome/131.0.0.0`` is a version, not an address.
WEBVIEW2_UA: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
APP_ROUTE: Final = "/home/settings"
#: Native frames of a build made on GitHub's Linux and macOS runners.
CI_PATHS: Final = (
    "/home/runner/work/codictate/codictate/src-tauri/src/audio.rs",
    "/Users/runner/work/codictate/codictate/src-tauri/src/lib.rs",
)
#: The commit authors of a release whose team associates commits (made-up people).
AUTHORS: Final = (
    {"name": "Robin Maintainer", "email": "robin.maintainer@example.com"},
    {"name": "Sam Reviewer", "email": "sam.reviewer@example.org"},
)


def associate_commits(data: SimulatorData, release: str) -> None:
    """Give ``release`` commit authors and a last commit (what ``set-commits`` produces)."""
    with data.lock:
        item = data.releases[release]
        item.authors = [dict(a) for a in AUTHORS]
        item.last_commit = {
            "id": "9f2c4b1d0e7a6c5b4a39281706f5e4d3c2b1a098",
            "message": "fix: join transcript segments",
            "dateCreated": "2026-12-01T09:00:00Z",
            "author": dict(AUTHORS[0]),
        }
        data.touch()


def _look_alikes() -> JsonDict:
    """The request, tags and native frames of a WebView2 event that only look personal."""
    frames: list[JsonDict] = [
        {"absPath": path, "filename": path.rpartition("/")[2], "function": "record",
         "lineNo": 40 + n, "colNo": None, "inApp": True, "context": []}
        for n, path in enumerate(CI_PATHS)
    ]  # fmt: skip
    return {
        "request": {
            "url": f"http://tauri.localhost{APP_ROUTE}",
            "method": "GET",
            "headers": [["User-Agent", WEBVIEW2_UA]],
            "data": None,
        },
        "tags": [("browser", "Edge 131.0.0"), ("transaction", APP_ROUTE)],
        "contexts": {"browser": {"name": "Edge", "version": "131.0.0.0", "type": "browser"}},
        "frames": frames,
    }


def _put(target: JsonDict, dotted: str, value: str) -> None:
    *parents, leaf = dotted.split(".")
    for name in parents:
        target = target.setdefault(name, {})
    target[leaf] = value


def add_incident(
    data: SimulatorData,
    *,
    project: str,
    release: str | None,
    environment: str | None = "production",
    kinds: tuple[str, ...] = ("email",),
    scrubbed: bool = False,
    date: int | None = None,
    count: int = 57,
    users: int = 12,
    tags: bool = True,
    look_alikes: bool = False,
) -> Event:
    """Add a high-severity issue with one event holding ``kinds`` of personal data."""
    when = date if date is not None else data.now_epoch - 3600
    fields: JsonDict = {"message": "transcription failed", "user": {"id": "42"}, "contexts": {}}
    for kind in kinds:
        path, value = PLANTED[kind]
        _put(fields, path, SCRUBBED[kind] if scrubbed else value)
    issue = data.add_issue(
        project=project, title=INCIDENT_TITLE, culprit="onDictation(../../src/main)",
        level="error", priority="high", substatus="escalating", count=count, user_count=users,
        first_seen=when - 86400, last_seen=when, first_release=release, last_release=release,
        environment=environment or "production", exc_type="TypeError",
        exc_value="Cannot read properties of undefined (reading 'segments')",
    )  # fmt: skip
    event_tags = [("level", "error")]
    if tags and release:
        event_tags.append(("release", release))
    if tags and environment:
        event_tags.append(("environment", environment))
    extra: dict[str, Any] = {"contexts": fields["contexts"], "user": fields["user"]}
    if scrubbed:  # Sentry's default scrubber replaced a password and recorded it in _meta
        extra["request"] = {"url": "http://tauri.localhost/", "data": {"password": FILTERED}}
        extra["meta"] = {"entries": {"1": {"data": {"data": {"password": PASSWORD_META}}}}}
    if look_alikes:
        found = _look_alikes()
        request = extra.get("request") or {}
        extra["request"] = {**found["request"], **({"data": request["data"]} if request else {})}
        event_tags += found["tags"]
        extra["contexts"] = {**extra["contexts"], **found["contexts"]}
        extra["frames"] = found["frames"]
    return data.add_event(
        issue.id, date=when, release=release, environment=environment, platform="javascript",
        message=fields["message"], exc_type="TypeError", exc_value=issue.exc_value,
        tags=sorted(event_tags), level="error", culprit=issue.culprit, **extra,
    )  # fmt: skip
