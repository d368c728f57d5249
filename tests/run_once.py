"""What every in-process pytester run of the suite used to redo, done once per session.

pytester drops the modules a run imported and pytest reads every installed distribution at each
run's start; the suite makes about a thousand such runs (``benchmarks/README.md`` §8). Imported
by ``tests/conftest.py``; nothing here changes what a run does, only what it repeats.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from typing import Any

# Modules an in-process run imports lazily (hypothesis's pytest plugin imports about 80 at every
# run's terminal summary): pytester drops what a run imported, so every run imported them again
# (a third of an in-process run's CPU time). Imported here once, they are kept.
for _lazy in (
    *("hypothesis.internal.observability", "sortedcontainers", "packaging.version"),
    *("configparser", "sysconfig", "zoneinfo"),
):
    importlib.import_module(_lazy)


class _ReadOnce(importlib.metadata.Distribution):
    """An installed distribution whose metadata, entry points and files are parsed once."""

    def __init__(self, dist: importlib.metadata.Distribution) -> None:
        self._dist = dist

    def read_text(self, filename: str) -> str | None:
        return self._dist.read_text(filename)

    def locate_file(self, path: Any) -> Any:
        return self._dist.locate_file(path)

    @functools.cached_property
    def metadata(self) -> Any:  # type: ignore[override]
        return self._dist.metadata

    @functools.cached_property
    def entry_points(self) -> importlib.metadata.EntryPoints:  # type: ignore[override]
        return self._dist.entry_points

    @functools.cached_property
    def files(self) -> Any:  # type: ignore[override]
        return self._dist.files


_every_distribution = importlib.metadata.distributions


@functools.cache
def _installed() -> tuple[importlib.metadata.Distribution, ...]:
    return tuple(map(_ReadOnce, _every_distribution()))


def _distributions(**kwargs: Any) -> Any:
    """pytest and pluggy read every installed distribution's metadata and entry points at each
    run's start (a tenth of an in-process run's CPU): the suite's runs share one reading (no
    test installs a distribution into this process)."""
    return _every_distribution(**kwargs) if kwargs else iter(_installed())


importlib.metadata.distributions = _distributions
