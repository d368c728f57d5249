"""Deterministic building blocks: bundle names, web-API frames, and the lazy event of an issue.

Seeded issues carry no stored event (50,000 of them would be costly); ``synth_event`` builds the
one event of such an issue when it is asked for, from the issue alone, so it is the same on every
request. Its id is ``<24-hex prefix of the data set><8-hex issue id>``.
"""

from __future__ import annotations

import hashlib

from .model import Event, Issue, JsonDict

#: Where the desktop app serves its built bundles (Tauri v2).
ASSET_URL_PREFIX = "app://localhost/assets"

#: (exception type, message, function, source file) of seeded issues.
ERROR_POOL: tuple[tuple[str, str, str, str], ...] = (
    ("TypeError", "Cannot read properties of undefined (reading 'id')", "loadProfile", "profile"),
    ("TypeError", "e.map is not a function", "renderHistory", "history/HistoryList"),
    ("Error", "Microphone permission denied", "startRecording", "audio/recorder"),
    ("Error", "Transcription model failed to load", "loadModel", "models/loader"),
    ("RangeError", "Maximum call stack size exceeded", "walkTree", "utils/tree"),
    ("ReferenceError", "invoke is not defined", "callBackend", "ipc/bridge"),
    ("Error", "Request timed out after 30000ms", "fetchUpdate", "updater/check"),
    ("SyntaxError", "Unexpected token '<' in JSON at position 0", "parseSettings", "settings/io"),
    ("TypeError", "Failed to fetch", "syncShortcuts", "shortcuts/sync"),
    ("Error", "Hotkey already registered: CmdOrCtrl+Shift+Space", "bindHotkey", "shortcuts/bind"),
    ("UnhandledRejection", "Non-Error promise rejection captured", "pasteText", "clipboard/paste"),
    ("Error", "Audio device disconnected", "onDeviceChange", "audio/devices"),
)


def hex_id(*parts: object, length: int = 32) -> str:
    """A deterministic hex id from ``parts``."""
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:length]


def as_uuid(hex32: str) -> str:
    """``8-4-4-4-12`` form of 32 hex characters."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:32]}"


def asset_hash(version: str) -> str:
    """The 8-hex content hash in a release's bundle names (``main-<hash>.js``)."""
    return hashlib.sha1(version.encode()).hexdigest()[:8]


def main_bundle_name(version: str) -> str:
    """``main-<hash>.js`` for a release version."""
    return f"main-{asset_hash(version)}.js"


def frame(
    *,
    abs_path: str,
    function: str | None,
    line_no: int,
    col_no: int,
    in_app: bool = True,
    context: list[list[object]] | None = None,
) -> JsonDict:
    """A stack frame in the web API's camelCase form (``Frame.get_api_context``)."""
    filename = abs_path.split("://", 1)[-1]
    filename = filename[filename.find("/") :] if "/" in filename else filename
    return {
        "filename": filename,
        "absPath": abs_path,
        "module": None,
        "package": None,
        "platform": None,
        "instructionAddr": None,
        "symbolAddr": None,
        "function": function,
        "rawFunction": None,
        "symbol": None,
        "context": context or [],
        "lineNo": line_no,
        "colNo": col_no,
        "inApp": in_app,
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": None,
    }


def frames_for(function: str, source: str, seed: int) -> list[JsonDict]:
    """Processed (source-mapped) frames, outermost first, ending in ``function``."""
    line = 10 + seed % 180
    code = f"  const result = {function}(input);"
    return [
        frame(abs_path="app://localhost/src/main.tsx", function="bootstrap", line_no=12, col_no=3),
        frame(
            abs_path=f"app://localhost/src/{source}.ts",
            function=function,
            line_no=line,
            col_no=17,
            context=[
                [line - 1, "  // handle the input"],
                [line, code],
                [line + 1, "  return result;"],
            ],
        ),
    ]


def raw_frames_for(version: str | None, seed: int) -> list[JsonDict]:
    """Minified frames pointing into the release's ``main-<hash>.js``."""
    name = main_bundle_name(version or "unknown")
    abs_path = f"{ASSET_URL_PREFIX}/{name}"
    return [
        frame(abs_path=abs_path, function="Xe", line_no=1, col_no=1024),
        frame(abs_path=abs_path, function="a", line_no=1, col_no=20_000 + seed % 40_000),
    ]


def culprit_for(function: str, source: str) -> str:
    """The culprit Sentry derives for a JavaScript frame: ``function(./src/module)``."""
    return f"{function}(./src/{source})"


def synth_event(issue: Issue, event_id: str) -> Event:
    """The one event of an issue that has none stored."""
    function = "handler"
    source = "app"
    for exc_type, value, func, src in ERROR_POOL:
        if exc_type == issue.exc_type and value == issue.exc_value:
            function, source = func, src
            break
    tags = [
        ("environment", issue.environment),
        ("level", issue.level),
        ("handled", "no" if issue.is_unhandled else "yes"),
        ("os.name", ("macOS", "Windows", "Linux")[issue.id % 3]),
    ]
    if issue.last_release:
        tags.append(("release", issue.last_release))
    tags.extend(issue.tags)
    return Event(
        event_id=event_id,
        issue_id=issue.id,
        project_id=issue.project_id,
        date_created=issue.last_seen,
        release=issue.last_release,
        environment=issue.environment,
        message=issue.title,
        exc_type=issue.exc_type,
        exc_value=issue.exc_value,
        frames=frames_for(function, source, issue.id),
        raw_frames=raw_frames_for(issue.last_release, issue.id),
        tags=sorted(tags),
        sdk={"name": "sentry.javascript.browser", "version": "8.40.0"},
        level=issue.level,
        culprit=issue.culprit,
    )
