"""Did Sentry resolve an event's JavaScript frames through the uploaded source maps?

Facts from Sentry's JavaScript processing (``src/sentry/lang/javascript/processing.py``,
``src/sentry/models/eventerror.py``; ``shared/reference/sentry-api.md`` §7 and §12):

- every processed stack gets a ``rawStacktrace`` (the minified frames): no ``rawStacktrace``
  means processing did not run or failed, never "already readable";
- frames without ``absPath``/``lineNo``, ``native``, ``[native code]`` (Safari/WKWebView, so
  Tauri on macOS), ``<anonymous>`` (Chromium/WebView2) and Node built-ins are never processed, and
  frames of other hosts (CDN, extensions) are not the app's: they are listed, not judged;
- ``errors[].type`` says what went wrong; ``ERROR_TYPES`` is the one table of the types the gate
  judges, with what each means for the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

Effect = Literal["fail", "partial", "processing_failed"]

#: ``errors[].type`` -> effect on the verdict. Source: ``class EventError``
#: (``src/sentry/models/eventerror.py``) and the symbolicator mapping in
#: ``src/sentry/lang/javascript/processing.py``. ``js_invalid_source`` is the older spelling of
#: ``js_invalid_sourcemap``. ``fail``: a frame was not resolved; ``partial``: lines resolve but
#: the source context is missing; ``processing_failed``: the symbolicator did not run (frames
#: stay minified).
ERROR_TYPES: Final[dict[str, Effect]] = {
    **dict.fromkeys(
        (
            "js_no_source",
            "js_no_minified_source",
            "js_no_original_source",
            "js_invalid_sourcemap",
            "js_invalid_source",
            "js_missing_source",
            "js_invalid_sourcemap_location",
            "js_invalid_stackframe_location",
            "js_no_column",
            "js_missing_row_or_column",
            "js_invalid_row_or_column",
            "js_invalid_source_encoding",
            "js_invalid_content",
            "js_generic_fetch_error",
            "js_invalid_http_code",
            "js_fetch_timeout",
            "js_fetch_too_large",
            "js_too_large",
            "js_too_large_for_cache",
            "js_too_many_sources",
            "js_scraping_disabled",
            "js_unknown_error",
            "js_restricted_ip",
            "js_security_violation",
            "js_truncated_url",
            "js_invalid_url",
        ),
        "fail",
    ),
    "js_missing_sources_content": "partial",
    "native_symbolicator_failed": "processing_failed",
    "native_internal_failure": "processing_failed",
}
#: ``absPath`` values Sentry never processes.
UNPROCESSED_PATHS: Final = frozenset({"native", "[native code]", "<anonymous>"})


@dataclass(frozen=True)
class FrameProblem:
    """A processing error of the event, the frame it names, and Sentry's message."""

    frame: str
    kind: str
    detail: str
    effect: Effect


@dataclass(frozen=True)
class Symbolication:
    """How the frames of one event resolved; only the app's frames are judged.

    ``failing`` is ``(exception_idx, frame_idx)`` of the app frame a processing error names, else
    of the first app frame that did not resolve (the one to ask Sentry's source-map debugger
    about), or ``None``.
    """

    event_id: str
    issue: str
    event_release: str | None
    event_dist: str | None
    date_created: str | None
    frame_urls: tuple[str, ...]
    not_judged: tuple[str, ...]
    wrong_prefix: tuple[str, ...]
    problems: tuple[FrameProblem, ...]
    judged_frames: int
    resolved_frames: int
    raw_missing: bool
    failing: tuple[int, int] | None

    @property
    def resolved(self) -> bool:
        """Evidence that Sentry processed the app's frames: a raw stack, and frames that differ."""
        return not self.raw_missing and self.resolved_frames > 0

    def of(self, effect: Effect) -> tuple[FrameProblem, ...]:
        return tuple(p for p in self.problems if p.effect == effect)

    def evidence(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "issue": self.issue,
            "event_release": self.event_release,
            "event_dist": self.event_dist,
            "event_date": self.date_created,
            "frame_urls": list(self.frame_urls[:5]),
            "not_judged": list(self.not_judged[:10]),
            "wrong_prefix": list(self.wrong_prefix[:5]),
            "problems": [p.__dict__ for p in self.problems[:5]],
            "judged_frames": self.judged_frames,
            "resolved_frames": self.resolved_frames,
            "raw_stacktrace": not self.raw_missing,
        }


def exception_values(event: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """``(exception_idx, value)`` of every exception value with frames."""
    found: list[tuple[int, dict[str, Any]]] = []
    for entry in event.get("entries") or ():
        if isinstance(entry, dict) and entry.get("type") == "exception":
            values = (entry.get("data") or {}).get("values") or ()
            for index, value in enumerate(values):
                if isinstance(value, dict) and _frames(value.get("stacktrace")):
                    found.append((index, value))
    return found


def _frames(trace: Any) -> list[dict[str, Any]]:
    frames = trace.get("frames") if isinstance(trace, dict) else None
    return [f for f in frames or () if isinstance(f, dict)]


def _url(frame: dict[str, Any]) -> str:
    return str(frame.get("absPath") or frame.get("filename") or "")


def _where(frame: dict[str, Any]) -> str:
    return f"{_url(frame) or '?'}:{frame.get('lineNo')}:{frame.get('colNo')}"


def app_origin(url_prefix: str) -> tuple[str, str]:
    """The scheme and host the app's bundles are served from (``app``, ``localhost``)."""
    parts = urlsplit(url_prefix)
    return parts.scheme, parts.netloc


def is_app_frame(frame: dict[str, Any], origin: tuple[str, str]) -> bool:
    """A frame Sentry would process for this app: a URL under its scheme and host, or in-app."""
    url = _url(frame)
    if not url or frame.get("lineNo") is None or url in UNPROCESSED_PATHS:
        return False
    if url.startswith("node:") or "/" not in url:  # Node built-ins
        return False
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc) == origin or frame.get("inApp") is True


def analyse(event: dict[str, Any], issue: str, url_prefix: str) -> Symbolication:
    """Compare the raw (minified) and processed app frames and read the processing errors."""
    origin = app_origin(url_prefix)
    prefix = url_prefix.rstrip("/") + "/"
    urls: list[str] = []
    others: list[str] = []
    judged = resolved = 0
    raw_missing = False
    failing: tuple[int, int] | None = None
    named: tuple[int, int] | None = None  # the first app frame a processing error names
    errors = [e for e in event.get("errors") or () if isinstance(e, dict)]
    error_urls = {_error_url(e) for e in errors}
    for exc_idx, value in exception_values(event):
        processed = _frames(value.get("stacktrace"))
        raw = _frames(value.get("rawStacktrace"))
        for idx, frame in enumerate(raw or processed):
            if not is_app_frame(frame, origin):
                others.append(_url(frame) or "(no URL)")
                continue
            judged += 1
            urls.append(_url(frame))
            if named is None and _url(frame) in error_urls:
                named = (exc_idx, idx)
            raw_missing = raw_missing or not raw
            if raw and idx < len(processed) and _where(frame) != _where(processed[idx]):
                resolved += 1
            elif failing is None:
                failing = (exc_idx, idx)
    problems = tuple(
        FrameProblem(_error_frame(e), str(e["type"]), str(e.get("message") or ""), effect)
        for e in errors
        if (effect := ERROR_TYPES.get(str(e.get("type")))) is not None
    )
    release = event.get("release")
    version = release.get("version") if isinstance(release, dict) else release
    dist = event.get("dist")
    return Symbolication(
        event_id=str(event.get("eventID") or event.get("id")),
        issue=issue,
        event_release=str(version) if version else None,
        event_dist=str(dist) if dist else None,
        date_created=str(event["dateCreated"]) if event.get("dateCreated") else None,
        frame_urls=tuple(_unique(urls)),
        not_judged=tuple(_unique(others)),
        wrong_prefix=tuple(u for u in _unique(urls) if not u.startswith(prefix)),
        problems=problems,
        judged_frames=judged,
        resolved_frames=resolved,
        raw_missing=raw_missing,
        failing=named or failing,
    )


def _error_data(error: dict[str, Any]) -> dict[str, Any]:
    found = error.get("data")
    return found if isinstance(found, dict) else {}


def _error_url(error: dict[str, Any]) -> str:
    data = _error_data(error)
    return str(data.get("url") or data.get("source") or data.get("abs_path") or "?")


def _error_frame(error: dict[str, Any]) -> str:
    data = _error_data(error)
    url = _error_url(error)
    row = data.get("row") or data.get("lineno")
    col = data.get("column") or data.get("colno")
    return f"{url}:{row}:{col}" if row is not None else str(url)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def debug_verdict(data: Any, exception_idx: int, frame_idx: int) -> dict[str, Any] | None:
    """Sentry's source-map debug answer for the frame asked about (``None`` when absent)."""
    if not isinstance(data, dict):
        return None
    exceptions = [e for e in data.get("exceptions") or () if isinstance(e, dict)]
    if not exceptions:
        return None
    exception = exceptions[exception_idx] if exception_idx < len(exceptions) else exceptions[0]
    frames = [f for f in exception.get("frames") or () if isinstance(f, dict)]
    if not frames:
        return None
    frame = frames[frame_idx] if frame_idx < len(frames) else frames[0]
    release = frame.get("release_process") or {}
    return {
        "exception_idx": exception_idx,
        "frame_idx": frame_idx,
        "abs_path": release.get("abs_path"),
        "source_file_lookup": release.get("source_file_lookup_result"),
        "source_map_lookup": release.get("source_map_lookup_result"),
        "matching_source_map": release.get("matching_source_map_name"),
        "debug_id": (frame.get("debug_id_process") or {}).get("debug_id"),
        "release_has_some_artifact": data.get("release_has_some_artifact"),
        "dist": data.get("dist"),
    }
