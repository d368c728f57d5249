"""Incident data: a high-severity issue whose latest event holds (or has scrubbed) personal data.

``PLANTED`` is one value of each kind the privacy check looks for, and the event field it is put
in; ``SCRUBBED`` is what Sentry's scrubbing leaves there instead (its ``[email]``-style markers).
``add_incident`` adds an unresolved, high-priority, error-level issue of ``release`` with one
event carrying the chosen kinds (raw or scrubbed) and the release and environment tags.
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
    return data.add_event(
        issue.id, date=when, release=release, environment=environment, platform="javascript",
        message=fields["message"], exc_type="TypeError", exc_value=issue.exc_value,
        tags=sorted(event_tags), level="error", culprit=issue.culprit, **extra,
    )  # fmt: skip
