"""A cassette read before vcrpy reads it: plain YAML, a mapping of interactions, no token.

A cassette is a file anyone can commit, and YAML tags build objects (vcrpy's loader still
constructs some Python tags; older vcrpy used PyYAML's full loader, which runs
``!!python/object/apply``). So a cassette is read here first, with the safe loader, and refused
(naming its path) when it is not valid UTF-8 YAML, when it is not a mapping holding an
``interactions`` list (a YAML list, a scalar, an empty file), when it uses any YAML tag, or when
it holds a token: the configured one, any ``sntrys_``/``sntryu_`` value, or an
``Authorization`` header. A refused cassette is a usage error at configure time: no check runs
against answers that cannot be trusted, and the file is left as it is.

``recorded_at`` (epoch seconds, a top-level key written after vcrpy's own) is the recording's
clock. ``new_episodes`` keeps it: answers appended later are asked at the original clock, so the
original interactions replay exactly as recorded (one cassette, one "now").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import yaml

from pytest_sentry_gate.redact import MIN_PIECE, forms
from pytest_sentry_gate.repo.files import CAP_BUNDLE, FileRefused, read_bytes

CAP_CASSETTE: Final = CAP_BUNDLE
RECORDED_AT: Final = "recorded_at"
AUTH_HEADERS: Final = frozenset({"authorization", "x-sentry-auth", "proxy-authorization"})
TOKEN_VALUE: Final = re.compile(r"sntry[su]_[A-Za-z0-9+/=_.\-]{8,}")
ALLOWED: Final = (
    "a cassette is a YAML mapping with an `interactions` list, written by "
    "--sentry-record-mode (no YAML tags, no token); record it again with "
    "--sentry-record-mode=all, or delete it"
)


class CassetteRefused(Exception):
    """The cassette at ``path`` is not read (``why`` says what is wrong with it)."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"cassette {path}: {why}")
        self.path = path
        self.why = why


@dataclass(frozen=True)
class CassetteInfo:
    """What a run needs to know of an existing cassette before replaying it."""

    path: Path
    interactions: int
    recorded_at: float | None


def cassette_path(cassette_dir: Path, org: str | None, project: str | None) -> Path:
    """``<dir>/<org>/<project>.yaml``; an unset slug (discovery) records under ``_``."""
    return cassette_dir / (org or "_") / f"{project or '_'}.yaml"


def inspect(path: Path, tokens: Iterable[str | None] = ()) -> CassetteInfo | None:
    """The cassette at ``path`` (None when there is none), or ``CassetteRefused``; ``tokens``
    are the configured auth tokens it must not hold (any spelling of one long enough to be
    told apart from Sentry's own text)."""
    try:
        raw = read_bytes(path, cap=CAP_CASSETTE)
    except FileNotFoundError:
        return None
    except FileRefused as exc:
        raise CassetteRefused(path, exc.why) from None
    except OSError as exc:
        raise CassetteRefused(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteRefused(path, f"is not UTF-8 text (byte {exc.start})") from None
    data = _load(path, text)
    _refuse_tokens(path, text, data, tokens)
    stored = data.get(RECORDED_AT)
    recorded_at = float(stored) if isinstance(stored, int | float) else None
    return CassetteInfo(path=path, interactions=len(data["interactions"]), recorded_at=recorded_at)


def _load(path: Path, text: str) -> dict[str, Any]:
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.TagToken):
                line = token.start_mark.line + 1
                raise CassetteRefused(path, f"uses a YAML tag (line {line}): {ALLOWED}")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise CassetteRefused(path, f"is not valid YAML{where}: {ALLOWED}") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        found = "an empty file" if data is None else f"a YAML {_kind(data)}"
        raise CassetteRefused(path, f"holds {found}, not a cassette: {ALLOWED}")
    return data


def _kind(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, dict):
        return "mapping without an `interactions` list"
    return f"scalar ({type(data).__name__})"


def _refuse_tokens(
    path: Path, text: str, data: dict[str, Any], tokens: Iterable[str | None]
) -> None:
    if TOKEN_VALUE.search(text):
        raise CassetteRefused(path, "holds a Sentry token (sntrys_/sntryu_…): " + ALLOWED)
    long_ones = [t for t in tokens if t and len(t) >= MIN_PIECE]
    spellings = {s for secret in long_ones for s in forms(secret) if len(s) >= MIN_PIECE}
    if any(s in text for s in spellings):
        raise CassetteRefused(path, "holds the configured auth token: " + ALLOWED)
    for interaction in data["interactions"]:
        request = interaction.get("request") if isinstance(interaction, dict) else None
        headers = request.get("headers") if isinstance(request, dict) else None
        if isinstance(headers, dict) and any(str(h).lower() in AUTH_HEADERS for h in headers):
            raise CassetteRefused(path, "holds an Authorization header: " + ALLOWED)


def recorded_at_text(seconds: float | None) -> str | None:
    """``recorded_at`` as an ISO time (UTC, seconds), for the report and the terminal."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
