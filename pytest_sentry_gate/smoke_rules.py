"""The judgements of local_smoke and incident: pure rules over the facts, no I/O.

``dsn_mismatch`` says what keeps the app's DSN from belonging to the project's client keys;
``tag_problems`` how an arrived event's tags differ from what was sent; ``sent_evidence`` and
``arrival_evidence`` what the smoke check records. The checks import these
(never a reader of ``pytest_sentry_gate.sentry``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.repo.dsn import SCRUBBED_DSN_KEY

if TYPE_CHECKING:
    from pytest_sentry_gate.repo.dsn import Dsn
    from pytest_sentry_gate.sentry.smoke import Arrival, ClientKeyFacts
    from pytest_sentry_gate.store.smoke import SmokeOutcome


#: Sentry's ingest hosts: ``o<org>.ingest[.<region>].sentry.io`` and the older ``sentry.io``.
_INGEST_HOST: Final = re.compile(r"^(?:o(\d+)\.ingest\.(?:(us|de)\.)?)?sentry\.io$")


def _ingest(host: str | None) -> tuple[str | None, str] | None:
    """(org id, region) of a Sentry ingest host (no region: ``us``), or ``None``."""
    found = _INGEST_HOST.match((host or "").lower())
    return (found.group(1), found.group(2) or "us") if found else None


def host_alias(dsn_host: str, key_host: str | None) -> bool:
    """Ingestion accepts both hosts for the same key: the older ``o123.ingest.sentry.io`` or
    ``sentry.io`` for ``o123.ingest.us.sentry.io``; never across regions (``.de.``), which Relay
    rejects (``reference/sentry-api.md`` §13 "Keys and hosts")."""
    mine, theirs = _ingest(dsn_host), _ingest(key_host)
    if mine is None or theirs is None or mine[1] != theirs[1]:
        return False
    return mine[0] is None or theirs[0] is None or mine[0] == theirs[0]


def dsn_alias(dsn: Dsn, keys: tuple[ClientKeyFacts, ...]) -> str | None:
    """The risk of a DSN on an older alias of its key's ingest host (``None``: same host)."""
    if any(k.host == dsn.host for k in keys):
        return None
    hosts = sorted({k.host for k in keys if k.host and host_alias(dsn.host, k.host)})
    if not hosts:
        return None
    return f"the DSN's host {dsn.host} is an older alias of the key's host {hosts[0]}"


def foreign_host(dsn: Dsn, keys: tuple[ClientKeyFacts, ...]) -> bool:
    """Whether ``dsn`` names a host that none of the project's client keys uses (a host alias of
    the same region counts as the key's host: ``host_alias``)."""
    return not any(k.host == dsn.host or host_alias(dsn.host, k.host) for k in keys)


def dsn_mismatch(dsn: Dsn, keys: tuple[ClientKeyFacts, ...]) -> str | None:
    """What keeps ``dsn`` from belonging to the project (``None`` when an active key matches)."""
    if foreign_host(dsn, keys):
        hosts = sorted({k.host for k in keys if k.host})
        return f"its host {dsn.host} is not the keys' host ({', '.join(hosts) or 'none'})"
    if not any(k.project_id == dsn.project_id for k in keys):
        ids = sorted({k.project_id for k in keys if k.project_id})
        return f"its project id {dsn.project_id} is not the project's ({', '.join(ids)})"
    if all(k.public_key == SCRUBBED_DSN_KEY for k in keys):
        # a replayed recording scrubbed the keys: they cannot be compared, their state still is
        same = [
            k for k in keys
            if (k.host == dsn.host or host_alias(dsn.host, k.host))
            and k.project_id == dsn.project_id
        ]  # fmt: skip
    else:
        same = [k for k in keys if k.public_key == dsn.public_key]
        if not same:
            return "its public key is none of the project's client keys"
    if not any(k.active for k in same):
        return f"its client key {same[0].name or '(unnamed)'} is inactive"
    return None


def tag_problems(tags: dict[str, str], *, release: str | None, environment: str) -> list[str]:
    """How the arrived event's tags differ from the release and environment it was sent with."""
    wanted = {"environment": environment, **({"release": release} if release else {})}
    problems = []
    for key, value in wanted.items():
        if key not in tags:
            problems.append(f"no {key} tag")
        elif tags[key] != value:
            problems.append(f"{key} tag is {tags[key]!r}, not {value!r}")
    return problems


def sent_evidence(smoke: SmokeOutcome) -> dict[str, Any]:
    """The smoke event as sent: its id, tags, ingestion's answer and the wait asked."""
    sent = smoke.sent
    return {
        "event_id": sent.event_id,
        "release": sent.release,
        "environment": sent.environment,
        "status": sent.status,
        "accepted": sent.accepted,
        "wait_s": smoke.wait,
    }


def arrival_evidence(smoke: SmokeOutcome, arrival: Arrival) -> dict[str, Any]:
    """How the smoke event was read back: polls, time waited, round trip and the reader."""
    return {
        "attempts": arrival.attempts,
        "waited_s": round(arrival.waited, 3),
        "round_trip_s": round(smoke.round_trip, 3),
        "reader": arrival.reader,
    }
