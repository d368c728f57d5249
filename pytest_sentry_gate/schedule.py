"""The controller's scheduler under ``-n``: xdist's ``loadgroup``, grouping by project.

pytest-xdist's own ``--dist loadgroup`` learns a test's ``xdist_group`` from a suffix its workers
append to the node id (``test_x@group``). With pytest 9.2 that suffix no longer takes (pytest
keeps structured node ids: pytest-dev/pytest-xdist#1386), so the groups would be silently ignored
and one project's checks spread over every worker; the suffix also changed the node ids the
report, JUnit and the rerun commands show. This scheduler groups by what the node id already
says: the ``sentry_target`` parameter's id (the project slug) when the check is parametrised by
project, else the one group ``DEFAULT_GROUP``. A suffix that did take (older pytest)
is honoured as xdist would. xdist's ``LoadScopeScheduling`` does the rest (whole groups per
worker, idle workers get the next group).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Final, TypeVar

import pytest

T = TypeVar("T")
#: The group of every check that is not parametrised by project.
DEFAULT_GROUP: Final = "sentry"
#: On an xdist worker: the groups whose checks it ran (``distributed.WorkerHooks`` fills it).
RAN_GROUPS: Final = pytest.StashKey[set[str]]()


def owned_targets(config: pytest.Config, targets: Sequence[T]) -> tuple[T, ...]:
    """The targets whose facts this process completes and whose checkpoints it writes: on a
    worker with several projects, those whose checks it ran (one writer per project); else all.
    """
    ran = config.stash.get(RAN_GROUPS, None)
    if ran is None or len(targets) < 2:
        return tuple(targets)
    return tuple(t for t in targets if str(t) in ran)


def group_of_nodeid(nodeid: str, projects: Sequence[str]) -> str:
    """The group of a check from its node id: the project slug among its parameter ids."""
    name = nodeid.rsplit("::", 1)[-1]
    if name.rfind("@") > name.rfind("]"):  # xdist's own suffix (pytest before 9.2)
        return name.rsplit("@", 1)[1]
    if "[" not in name or not name.endswith("]"):
        return DEFAULT_GROUP
    ids = name[name.index("[") + 1 : -1]
    for slug in sorted(projects, key=len, reverse=True):  # "web-api" before "web"
        if ids == slug or ids.startswith(f"{slug}-") or ids.endswith(f"-{slug}"):
            return slug
        if f"-{slug}-" in ids:
            return slug
    return DEFAULT_GROUP


def by_project(config: pytest.Config, log: Any, projects: Sequence[str]) -> Any:
    """xdist's scope scheduling with the project as the scope (xdist is imported only here)."""
    base: Any = importlib.import_module("xdist.scheduler").LoadScopeScheduling
    chosen = tuple(projects)

    class ProjectScheduling(base):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return group_of_nodeid(nodeid, chosen)

    return ProjectScheduling(config, log)
