"""The repository's wiring as one target sees it: its markers checked against the target's release.

A marker names ``{release}``, ``{project}`` and ``{version}``. The release and the version are
the target's (``FactsStore.release``); the project is what ``project_slug`` gives for the
markers' texts (the fixture layer hands ``sentry_project_slug``: the configured slug, else the
discovered one only when a marker names ``{project}``, so Sentry is asked only then). A file
that cannot be read raises its ``RepoFileError``, kept by the memo like any failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_sentry_gate.repo.wiring import WiringResult
    from pytest_sentry_gate.store.target import FactsStore

#: ``project_slug(texts)``: the project to put for ``{project}`` in ``texts``.
ProjectSlug = Callable[[Iterable[str]], str]


def release_wiring(store: FactsStore, project_slug: ProjectSlug) -> tuple[WiringResult, ...] | None:
    """The release wiring markers checked against the release under check (``None``: no
    markers and not a Tauri repository; empty: no release to check them against)."""
    from pytest_sentry_gate.repo.wiring import check_markers

    markers = store.stores.release_markers()
    if markers is None:
        return None
    release = store.release()
    if release.name is None:
        return ()
    return tuple(
        check_markers(
            store.wiring.settings.repo_root,
            markers,
            release=release.name,
            project=project_slug(m.expected for m in markers),
            version=release.version or "",
        )
    )


def wiring_markers(store: FactsStore, project_slug: ProjectSlug) -> tuple[WiringResult, ...]:
    """The ini's ``sentry_wiring`` markers checked in the repository (empty: none configured)."""
    from pytest_sentry_gate.repo.wiring import check_markers, parse_markers

    conf, release = store.wiring.settings, store.release()
    if not conf.wiring:
        return ()
    return tuple(
        check_markers(
            conf.repo_root,
            parse_markers(conf.wiring),
            release=release.name or "",
            project=project_slug(conf.wiring),
            version=release.version or "",
        )
    )
