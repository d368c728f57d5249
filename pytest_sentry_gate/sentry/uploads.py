"""What Sentry holds for a release's source maps: release files, artifact bundles, debug ids.

Facts (``shared/reference/sentry-api.md`` §8 and §12): release files carry ``dist``; artifact
bundles carry ``associations[].dist``, and a release-based lookup matches release **and** dist.
``sentry-cli sourcemaps upload`` without ``--release`` makes bundles with no association at all,
resolved by debug id: the bundle list's ``query`` takes a debug id on current Sentry (matched
against the debug ids of the bundle's files); older servers match only bundle ids, releases and
dists, so there the project's bundles are listed instead, and the evidence says which was used.
2023 self-hosted servers answer bundles without ``associations`` and their files as a plain list:
recognised and said to be unsupported, never read as "nothing uploaded".

The project's release-files endpoint answers 404 both for a release the organization does not
have and for a release of other projects only (it looks the release up within the project); the
release detail tells which. A release of other projects has its files listed at the organization
level, kept apart: Sentry resolves a project's events through that project's releases, so those
files serve none of its events until the release is associated with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pytest_sentry_gate.repo.bundles import split_prefix
from pytest_sentry_gate.sentry import endpoints

if TYPE_CHECKING:
    from pytest_sentry_gate.sentry.client import SentryClient
    from pytest_sentry_gate.sentry.responses import ApiResponse, Listing

BUNDLE_FILES_PAGE: Final = 100
MAX_PAGES: Final = 20
OLD_FORMAT: Final = (
    "this server answers artifact bundles in the 2023 format (no associations, files as a plain "
    "list), which the gate does not read: upgrade Sentry, or check the uploads in its web UI"
)
IN_RELEASE: Final = "the release's own bundles"
BY_QUERY: Final = "bundle list query by debug id"
BY_LISTING: Final = "project bundle listing (this server's bundle query does not take debug ids)"


@dataclass(frozen=True)
class OutsideProject:
    """A release that exists, but not for this project: its projects, and its own files as the
    organization lists them (``(name, dist)``). Sentry's artifact lookup resolves an event's
    release within the event's project (``artifact_lookup.py`` ``try_resolve_release_dist``), so
    these files serve none of this project's events until the release is associated with it."""

    projects: tuple[str, ...]
    files: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Uploaded:
    """What Sentry holds for a release: ``(name, dist)`` of each artifact, and debug ids found.

    ``debug_ids`` are every debug id seen in the release's bundles or found by lookup (whatever
    their release or prefix); ``debug_lookup`` says how the lookup was done (``None``: no debug
    ids to look up); ``unsupported`` names an answer format the gate cannot read; ``outside``:
    the release is not this project's, and its own files are there, not in ``files``.
    """

    files: tuple[tuple[str, str | None], ...]
    debug_ids: frozenset[str]
    sources: dict[str, int] = field(default_factory=dict)
    capped: tuple[str, ...] = ()
    debug_lookup: str | None = None
    unsupported: str | None = None
    newest: str | None = None
    outside: OutsideProject | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for name, _ in self.files))

    def dists_of(self, name: str) -> tuple[str | None, ...]:
        """The dists ``name`` is uploaded under (``None`` = no dist)."""
        return tuple(dict.fromkeys(d for n, d in self.files if n == name))

    def by_basename(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for name in self.names:
            index.setdefault(split_prefix(name)[1], []).append(name)
        return index


def _bundle_files(response: ApiResponse) -> list[Any]:
    """One artifact bundle's answer is an object whose ``files`` is the page."""
    data = response.data
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, list) else []


def _associations(bundle: dict[str, Any], version: str) -> list[str | None]:
    """The dists under which ``bundle`` is associated with ``version``."""
    return [
        a.get("dist")
        for a in bundle.get("associations") or ()
        if isinstance(a, dict) and a.get("release") == version
    ]


def _is_old_format(items: Iterable[Any]) -> bool:
    return any(isinstance(b, dict) and "associations" not in b for b in items)


class _Reader:
    """One release's upload reads over the shared client."""

    def __init__(self, client: SentryClient, org: str, project: str) -> None:
        self.client, self.org, self.project = client, org, project
        self.capped: list[str] = []
        self.old_format = False

    def bundles(self, query: str | None) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"per_page": 100}
        if query:
            params["query"] = query
        listing = self.client.collect(
            endpoints.ARTIFACT_BUNDLES.path(org=self.org, project=self.project),
            params,
            max_pages=MAX_PAGES,
        )
        self.capped.extend(n for n in (listing.cap_note,) if n)
        self.old_format = self.old_format or _is_old_format(listing.items)
        return [b for b in listing.items if isinstance(b, dict) and b.get("bundleId")]

    def files(self, bundle_id: str) -> list[dict[str, Any]]:
        path = endpoints.BUNDLE_FILES.path(org=self.org, project=self.project, bundle_id=bundle_id)
        first = self.client.get(path, {"per_page": BUNDLE_FILES_PAGE})
        if isinstance(first.data, list):  # 2023: files as a plain list
            self.old_format = True
            return []
        listing = self.client.collect(
            path, {"per_page": BUNDLE_FILES_PAGE}, max_pages=MAX_PAGES, extract=_bundle_files
        )
        self.capped.extend(n for n in (listing.cap_note,) if n)
        return [f for f in listing.items if isinstance(f, dict)]


def uploaded(
    client: SentryClient,
    org: str,
    project: str,
    version: str,
    debug_ids: Iterable[str] = (),
    *,
    release_projects: Callable[[], tuple[str, ...] | None],
) -> Uploaded:
    """Release files, the files of the release's bundles, and the built files' debug ids.

    The release files and the bundle listing are read together, then every bundle's files
    together (``gather``); a failure is raised in that order, as if read one by one.
    ``release_projects`` gives the release's projects (``None``: no such release), asked only
    when the project's release files answer 404."""
    from pytest_sentry_gate.sentry.client import gather

    reader = _Reader(client, org, project)
    own = functools.partial(_release_files, client, org, project, version, release_projects)
    (release_files, projects), listed = _first_error(gather([own, lambda: reader.bundles(version)]))
    reader.capped.extend(n for n in (release_files.cap_note,) if n)
    files: list[tuple[str, str | None]] = []
    dates: list[str] = []
    for item in release_files.items:
        if isinstance(item, dict) and item.get("name"):
            files.append((str(item["name"]), _dist(item.get("dist"))))
            if item.get("dateCreated"):
                dates.append(str(item["dateCreated"]))
    outside = None
    if projects is not None:  # not this project's release: its files serve none of its events
        outside, files, dates = OutsideProject(projects, tuple(files)), [], []
    legacy = len(files)
    bundles = [b for b in listed if _associations(b, version)]
    contents = _first_error(
        gather([functools.partial(reader.files, str(b["bundleId"])) for b in bundles])
    )
    seen: set[str] = set()
    for bundle, items in zip(bundles, contents, strict=True):
        dists = _associations(bundle, version)
        if bundle.get("date"):
            dates.append(str(bundle["date"]))
        for item in items:
            files.extend((str(item.get("filePath")), _dist(d)) for d in dists)
            if item.get("debugId"):
                seen.add(str(item["debugId"]).lower())
    wanted = {d.lower() for d in debug_ids} - seen
    lookup = _look_up(reader, wanted, seen) if wanted else IN_RELEASE
    return Uploaded(
        files=tuple(files),
        debug_ids=frozenset(seen),
        sources={"release_files": legacy, "artifact_bundles": len(bundles)},
        capped=tuple(reader.capped),
        debug_lookup=lookup if debug_ids else None,
        unsupported=OLD_FORMAT if reader.old_format else None,
        newest=max(dates) if dates else None,
        outside=outside,
    )


def _release_files(
    client: SentryClient,
    org: str,
    project: str,
    version: str,
    release_projects: Callable[[], tuple[str, ...] | None],
) -> tuple[Listing, tuple[str, ...] | None]:
    """The release's own files, and its projects when it is not this project's release.

    Sentry's project endpoint looks the release up within the project and answers 404 when it
    is not there; the release detail says why. No release of that name: it has no files (its
    artifact bundles, which name the release only as a string, are read all the same). A
    release of other projects: the organization's endpoint, which looks the release up by
    organization and version only, lists its files."""
    from pytest_sentry_gate.errors import NotFound
    from pytest_sentry_gate.sentry.responses import Listing

    path = endpoints.RELEASE_FILES.path(org=org, project=project, version=version)
    try:
        return client.collect(path, max_pages=MAX_PAGES), None
    except NotFound:
        projects = release_projects()
        if projects is None:
            return Listing(items=(), pages=1, complete=True, endpoint=path), None
        if project in projects:  # the release is this project's: the 404 is about something else
            raise
    org_path = endpoints.ORG_RELEASE_FILES.path(org=org, version=version)
    return client.collect(org_path, max_pages=MAX_PAGES), projects


def _first_error(results: list[Any]) -> list[Any]:
    """``gather``'s results, the first ``ApiError`` among them raised."""
    from pytest_sentry_gate.errors import ApiError

    for result in results:
        if isinstance(result, ApiError):
            raise result.with_traceback(None)
    return results


def _dist(value: Any) -> str | None:
    return str(value) if value else None


def _look_up(reader: _Reader, wanted: set[str], seen: set[str]) -> str:
    """Find ``wanted`` debug ids in the project's bundles; add the found ones to ``seen``."""
    read: set[str] = set()

    def scan(bundles: list[dict[str, Any]]) -> None:
        for bundle in bundles:
            bundle_id = str(bundle["bundleId"])
            if bundle_id in read:
                continue
            read.add(bundle_id)
            for item in reader.files(bundle_id):
                debug_id = str(item.get("debugId") or "").lower()
                if debug_id in wanted:
                    seen.add(debug_id)

    for debug_id in sorted(wanted):
        scan(reader.bundles(debug_id))
    if wanted & seen or reader.old_format:
        return BY_QUERY
    scan(reader.bundles(None))
    return BY_LISTING
