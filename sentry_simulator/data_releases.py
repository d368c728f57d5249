"""Mutators for releases, release files, session health, artifact bundles and source-map debug.

A mixin of ``SimulatorData`` (kept apart to keep each module short); the attributes it uses are
declared here for the type checker and defined by the dataclass.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from .clock import to_epoch
from .model import (
    ArtifactBundle,
    BundleFile,
    JsonDict,
    Project,
    Release,
    ReleaseFile,
    ReleaseHealth,
)
from .synth import as_uuid as _uuid
from .synth import hex_id as _hex


class ReleaseMutators:
    """Release-side mutators of ``SimulatorData``."""

    seed: int
    version: int
    lock: threading.RLock
    projects: dict[int, Project]
    releases: dict[str, Release]
    bundles: list[ArtifactBundle]
    source_map_debug: dict[str, JsonDict]

    @property
    def now_epoch(self) -> int:  # pragma: no cover - defined by SimulatorData
        raise NotImplementedError

    def _project_arg(self, project: str | int, org: str | None) -> Project:  # pragma: no cover
        raise NotImplementedError

    def set_source_map_debug(self, event_id: str, payload: JsonDict) -> None:
        """Serve ``payload`` as the source-map-debug answer of an event."""
        with self.lock:
            self.source_map_debug[event_id] = payload
            self.version += 1

    # -- releases, files, bundles -------------------------------------------------------------

    def add_release(
        self,
        version: str,
        *,
        projects: tuple[str, ...] | list[str] | None = None,
        files: list[str] | tuple[str, ...] = (),
        date_created: datetime | str | int | None = None,
        new_groups: int = 0,
    ) -> Release:
        """Add a release of ``projects`` (slugs; default: every project) with file names."""
        with self.lock:
            ids = (
                [self._project_arg(p, None).id for p in projects]
                if projects is not None
                else list(self.projects)
            )
            release = Release(
                version=version,
                id=100 + len(self.releases) + 1,
                projects=ids,
                date_created=to_epoch(date_created, default=self.now_epoch),
                new_groups=new_groups,
            )
            release.date_released = release.date_created
            self.releases[version] = release
            for name in files:
                self.add_release_file(version, name)
            self.version += 1
            return release

    def add_release_file(
        self,
        version: str,
        name: str,
        *,
        sha1: str | None = None,
        size: int | None = None,
        dist: str | None = None,
    ) -> ReleaseFile:
        """Add a legacy release artifact (``~/assets/main-abc123.js``) to a release."""
        with self.lock:
            release = self.releases[version]
            item = ReleaseFile(
                id=str(len(release.files) + 1 + release.id * 1000),
                name=name,
                sha1=sha1 or _hex("file", version, name, length=40),
                size=size if size is not None else 1000 + len(name) * 97,
                dist=dist,
                date_created=release.date_created,
            )
            release.files.append(item)
            self.version += 1
            return item

    def set_release_health(self, version: str, project: str | int, **numbers: Any) -> None:
        """Set a release's session numbers in a project (``ReleaseHealth`` fields)."""
        with self.lock:
            release = self.releases[version]
            release.health[self._project_arg(project, None).id] = ReleaseHealth(**numbers)
            self.version += 1

    def add_artifact_bundle(
        self,
        project: str | int,
        *,
        release: str | None = None,
        dist: str | None = None,
        files: list[str] | tuple[str, ...] = (),
        debug_ids: bool = True,
        date: datetime | str | int | None = None,
    ) -> ArtifactBundle:
        """Add an artifact bundle holding ``files`` (``~/assets/x.js`` and ``.map`` paths)."""
        with self.lock:
            proj = self._project_arg(project, None)
            bundle_id = _uuid(_hex("bundle", self.seed, proj.id, len(self.bundles)))
            bundle = ArtifactBundle(
                bundle_id=bundle_id,
                project_id=proj.id,
                associations=[(release, dist)] if release else [],
                date=to_epoch(date, default=self.now_epoch),
            )
            for path in files:
                kind = "source_map" if path.endswith(".map") else "minified_source"
                stem = path.removesuffix(".map")
                debug_id = _uuid(_hex("debug", bundle_id, stem)) if debug_ids else None
                bundle.files.append(BundleFile(path, kind, debug_id, 500 + len(path) * 31))
            self.bundles.append(bundle)
            self.version += 1
            return bundle
