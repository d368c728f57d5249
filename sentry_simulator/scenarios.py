"""Named data sets for the simulator: what Sentry holds for a given app repository.

``demo`` (``demo_data(repo)``) is a healthy release of the demo app (``examples/codictate``):
organization ``acme`` with the projects ``codictate`` and ``handy-web``; the releases
``codictate@1.3.9``, ``@1.4.0``, ``@1.4.1`` and ``@1.4.2`` (the newest); the bundles and source maps
found in ``<repo>/dist/assets`` uploaded for ``codictate@1.4.2`` as one artifact bundle under
``app://localhost/assets`` (what ``sentry-cli sourcemaps upload --release … --url-prefix
app://localhost/assets dist/assets`` makes), with the bundles' own debug ids when they have one;
and one JavaScript issue of that release whose newest event symbolicates (minified frames in
``main-<hash>.js``, processed frames in ``../../src/*.ts``, no processing errors), its stack
shaped as WKWebView (Tauri on macOS) sends it: a ``[native code]`` frame outermost, which Sentry
never processes and the gate lists as not judged. A few ordinary
issues of older releases and of ``handy-web`` sit beside it.
``main-<hash>.js``, processed frames in ``../../src/*.ts``, no processing errors). A few ordinary
issues of older releases and of ``handy-web`` sit beside it. For ``incident``: one unresolved,
high-priority issue of ``codictate@1.4.2`` whose latest event holds one unscrubbed email address
(``incident_data.add_incident``).

Bundle names come from the build directory as sentry-cli would upload it (``built.built_files``,
written apart from the product's scanner so that the two can disagree), never from constants,
so a rebuilt demo still matches. Tests mutate the returned data to build failures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Final

from .built import DEMO_DIST_DIR, DEMO_URL_PREFIX, BuiltFiles, built_files, upload_url
from .clock import DEFAULT_NOW
from .data import SimulatorData
from .incident_data import add_incident
from .model import JsonDict
from .synth import ERROR_POOL, frame

DEMO_ORG: Final = "acme"
DEMO_PROJECT: Final = "codictate"
OTHER_PROJECT: Final = "handy-web"
DEMO_VERSION: Final = "1.4.2"
DEMO_RELEASE: Final = f"{DEMO_PROJECT}@{DEMO_VERSION}"
#: Older releases of the demo project and their age in days (the demo release is 2 days old).
OLDER_RELEASES: Final = (("1.3.9", 45), ("1.4.0", 30), ("1.4.1", 12))
DEMO_RELEASE_AGE_DAYS: Final = 2
DEMO_ERROR: Final = ("Error", f"no segments to join ({DEMO_RELEASE})")
DAY: Final = 86400
#: The outermost frame of a WKWebView stack (``Array.prototype.forEach`` in Safari's engine).
NATIVE_FRAME: Final[JsonDict] = {
    "absPath": "[native code]",
    "filename": "[native code]",
    "function": "forEach",
    "lineNo": None,
    "colNo": None,
    "inApp": False,
    "context": [],
}


def demo_data(
    repo: Path,
    *,
    now: datetime | None = None,
    health_story: bool = False,
    incident_story: bool = True,
) -> SimulatorData:
    """What Sentry holds for a healthy ``codictate@1.4.2`` of the demo app at ``repo``
    (``health_story``: plus a fatal issue and a regression in it, for prod_health/triage)."""
    data = SimulatorData(now=now or DEFAULT_NOW, seed=1)
    now_s = data.now_epoch
    data.add_org(DEMO_ORG, name="Acme")
    for slug in (DEMO_PROJECT, OTHER_PROJECT):
        project = data.add_project(slug, org=DEMO_ORG, platform="javascript")
        project.first_event = now_s - 200 * DAY
    for version, age in OLDER_RELEASES:
        data.add_release(
            f"{DEMO_PROJECT}@{version}", projects=(DEMO_PROJECT,), date_created=now_s - age * DAY
        )
    data.add_release(
        f"{OTHER_PROJECT}@2.0.0", projects=(OTHER_PROJECT,), date_created=now_s - 20 * DAY
    )
    released = now_s - DEMO_RELEASE_AGE_DAYS * DAY
    data.add_release(DEMO_RELEASE, projects=(DEMO_PROJECT,), date_created=released)
    data.set_release_health(
        DEMO_RELEASE, DEMO_PROJECT, total_sessions=4200, total_users=650, sessions_crashed=3,
        sessions_errored=21, crash_free_sessions=99.93, crash_free_users=99.69,
    )  # fmt: skip
    scan = built_files(repo / DEMO_DIST_DIR)
    upload_bundles(data, scan, release=DEMO_RELEASE, date=released + 600)
    _ordinary_issues(data, now_s)
    add_demo_event(data, scan, date=now_s - 1800)
    if health_story:
        _health_story(data, now_s)
    if incident_story:  # one high-severity issue of the release whose latest event holds an email
        add_incident(data, project=DEMO_PROJECT, release=DEMO_RELEASE, kinds=("email",))
    return data


def upload_bundles(
    data: SimulatorData,
    scan: BuiltFiles,
    *,
    release: str = DEMO_RELEASE,
    project: str = DEMO_PROJECT,
    prefix: str = DEMO_URL_PREFIX,
    date: int | None = None,
) -> None:
    """Upload every bundle of ``scan`` and its map as one artifact bundle of ``release``.

    The bundle files carry the bundles' own debug ids (none when the build injected none).
    """
    paths: list[str] = []
    debug_ids: dict[str, str] = {}
    for bundle in scan.bundles:
        url = upload_url(prefix, bundle.name)
        paths.append(url)
        if bundle.debug_id:
            debug_ids[url] = bundle.debug_id
        if bundle.map_name is not None:
            map_url = upload_url(prefix, bundle.map_name)
            paths.append(map_url)
            if bundle.debug_id:
                debug_ids[map_url] = bundle.debug_id
    uploaded = data.add_artifact_bundle(
        project, release=release, files=paths, debug_ids=False, date=date
    )
    with data.lock:
        for item in uploaded.files:
            item.debug_id = debug_ids.get(item.file_path)
        data.touch()


def upload_release_files(
    data: SimulatorData,
    scan: BuiltFiles,
    *,
    release: str = DEMO_RELEASE,
    prefix: str = DEMO_URL_PREFIX,
) -> None:
    """Upload every bundle of ``scan`` and its map as legacy release files of ``release`` (what
    ``sentry-cli releases files <release> upload-sourcemaps`` makes): files of the release, in
    no project."""
    for bundle in scan.bundles:
        for name in (bundle.name, bundle.map_name):
            if name is not None:
                data.add_release_file(release, upload_url(prefix, name))


def _column(path: Path, needle: str) -> int:
    """1-based column of ``needle`` on the first line of a minified file (1 when not found)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    return text.find(needle) + 1 if needle in text else 1


def demo_frames(scan: BuiltFiles, prefix: str = DEMO_URL_PREFIX) -> tuple[list[JsonDict], ...]:
    """(processed, raw) frames of the demo error, outermost first.

    ``onDictation`` (``src/main.ts``, built into ``main-<hash>.js``) calls ``joinSegments``
    (``src/transcribe.ts``, built into the shared ``chunk-<hash>.js``), which throws.
    """
    names = [b.name for b in scan.bundles]
    main = next((n for n in names if n.startswith("main-")), "main.js")
    chunk = next((n for n in names if n.startswith("chunk-")), main)
    main_col = _column(scan.dist_dir / main, "return ")
    chunk_col = _column(scan.dist_dir / chunk, "throw ")
    raw = [
        frame(abs_path=upload_url(prefix, main), function="s", line_no=1, col_no=main_col),
        frame(abs_path=upload_url(prefix, chunk), function="p", line_no=1, col_no=chunk_col),
    ]
    processed = [
        _source_frame(prefix, "main.ts", "onDictation", 13, 10, "  return joinSegments(segments);"),
        _source_frame(
            prefix,
            "transcribe.ts",
            "joinSegments",
            11,
            11,
            "    throw new Error(`no segments to join (${RELEASE})`);",
        ),
    ]
    return processed, raw


def _source_frame(
    prefix: str, source: str, function: str, line: int, column: int, code: str
) -> JsonDict:
    """A frame resolved through the source map: ``../../src/<source>`` at its original line."""
    item = frame(
        abs_path=upload_url(prefix, f"../src/{source}"),
        function=function,
        line_no=line,
        col_no=column,
        context=[[line, code]],
    )
    item["filename"] = f"../../src/{source}"
    return item


def add_demo_event(
    data: SimulatorData,
    scan: BuiltFiles,
    *,
    release: str = DEMO_RELEASE,
    prefix: str = DEMO_URL_PREFIX,
    date: int | None = None,
    errors: list[JsonDict] | None = None,
) -> str:
    """Add the demo's JavaScript error (a new issue) to ``release``; return the event id."""
    processed, raw = demo_frames(scan, prefix)
    processed, raw = [NATIVE_FRAME, *processed], [NATIVE_FRAME, *raw]
    event = data.add_event(
        project=DEMO_PROJECT,
        release=release,
        date=date if date is not None else data.now_epoch,
        exc_type=DEMO_ERROR[0],
        exc_value=DEMO_ERROR[1],
        frames=processed,
        raw_frames=raw,
        errors=list(errors or ()),
        culprit="joinSegments(../../src/transcribe)",
        tags=[("environment", "production"), ("level", "error"), ("release", release)],
        sdk={"name": "sentry.javascript.browser", "version": "10.0.0"},
    )
    return event.event_id


def _ordinary_issues(data: SimulatorData, now_s: int) -> None:
    """A few issues of older releases and of the other project (none is of the demo release)."""
    older = [f"{DEMO_PROJECT}@{version}" for version, _ in OLDER_RELEASES]
    for n, (exc_type, value, function, source) in enumerate(ERROR_POOL[:6]):
        slug = OTHER_PROJECT if n % 3 == 2 else DEMO_PROJECT
        release = f"{OTHER_PROJECT}@2.0.0" if slug == OTHER_PROJECT else older[n % len(older)]
        first = now_s - (40 - n * 5) * DAY
        data.add_issue(
            project=slug,
            title=f"{exc_type}: {value}",
            culprit=f"{function}(./src/{source})",
            level="error" if n % 2 else "warning",
            exc_type=exc_type,
            exc_value=value,
            count=3 + n * 7,
            user_count=1 + n,
            first_seen=first,
            last_seen=min(first + 6 * DAY, now_s - 3 * DAY),
            first_release=release,
            last_release=release,
            substatus="ongoing",
        )


#: The prod_health / issue_triage story of the demo release: a fatal issue (escalate same day)
#: and a regression of an older issue in the release. The demo's JavaScript error above is the
#: new issue (first seen 30 minutes ago).
HEALTH_FATAL: Final = ("Error", "audio device disappeared while recording", "startCapture", "audio")
HEALTH_REGRESSED: Final = ("TypeError", "Cannot read properties of undefined (reading 'text')",
                           "renderTranscript", "transcript")  # fmt: skip


def _health_story(data: SimulatorData, now_s: int) -> None:
    """A fatal issue in the demo release and a regression (older than the newest demo event)."""
    exc_type, value, function, source = HEALTH_FATAL
    data.add_issue(
        project=DEMO_PROJECT,
        title=f"{exc_type}: {value}",
        culprit=f"{function}(./src/{source})",
        level="fatal",
        priority="high",
        substatus="ongoing",
        exc_type=exc_type,
        exc_value=value,
        count=57,
        user_count=23,
        first_seen=now_s - DAY - 7200,
        last_seen=now_s - 7200,
        first_release=DEMO_RELEASE,
        last_release=DEMO_RELEASE,
        tags=(("os", "Windows 11"), ("browser", "WebView2 131")),
    )
    exc_type, value, function, source = HEALTH_REGRESSED
    data.add_issue(
        project=DEMO_PROJECT,
        title=f"{exc_type}: {value}",
        culprit=f"{function}(./src/{source})",
        level="error",
        priority="medium",
        substatus="regressed",
        exc_type=exc_type,
        exc_value=value,
        count=14,
        user_count=6,
        first_seen=now_s - 30 * DAY,
        last_seen=now_s - 3 * 3600,
        first_release=f"{DEMO_PROJECT}@1.4.0",
        last_release=DEMO_RELEASE,
        regressed_in=(DEMO_RELEASE,),
    )


Scenario = Callable[..., SimulatorData]

#: Scenario name -> builder taking the app repository (``--scenario`` of the CLI).
SCENARIOS: Final[dict[str, Scenario]] = {"demo": demo_data}
