"""A ``-m`` word that means a runbook mode is a usage error, not a run that selects nothing.

``pytest -m prod-health`` (the report's spelling of ``prod_health``: pytest reads it as one mark
name) and ``pytest -m prod_heath`` (a typo) select no test, so pytest collects nothing and exits
5, and the plugin, which no mode switched on, writes no report. Here a name ``-m`` reads
(``selection.names``) that is no registered marker stops the run with the word and the mode
meant, when it is sure enough:

- a mode's name in another case or with ``-`` for ``_`` (``PROD_HEALTH``, ``Release-Gate``, a
  mode's JSON name) at once, before collection (``pytest_configure``, run last: every plugin and
  the rootdir's ``conftest.py`` have registered their markers);
- a name only close to a mode's (``difflib``: ``prod_heath``, ``releasegate``) after collection,
  when it is still no registered marker (a ``conftest.py`` below registers its markers as it is
  collected) and no collected test carries it (``pytest_collection_modifyitems``, before ``-m``
  deselects): ``-m incidents`` on the user's tests marked ``incidents`` runs them. Under
  pytest-xdist the workers collect, and an error raised there is an internal error: the workers
  judge nothing, and the controller refuses such a name at the end when the run selected no test
  (``pytest_sessionfinish``).

A registered marker (the user's own, another plugin's, a mode a plugin registered) and a word
close to no mode (``-m "not slow"``, ``-m smoke``) are left to pytest, which accepts any name in
``-m``. Registered by ``plugin.py`` (its ``pytest_plugins``).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from typing import Final

import pytest

from pytest_sentry_gate import modes, selection
from pytest_sentry_gate.distributed import on_worker

#: How close (``difflib`` ratio, lower case) a word must be to a mode's name to be taken for it:
#: ``prod_heath`` (0.95) and ``releasegate`` are, ``smoke`` (0.63), ``health`` or ``release`` not.
CUTOFF: Final = 0.8
MESSAGE: Final = (
    "{where} names {word!r}, which is no runbook mode{note}; did you mean {mode!r}? "
    "Modes: {modes} ({hint})"
)
HYPHEN_NOTE: Final = " (the summary and the report write modes with '-'; their markers use '_')"
UNUSED_NOTE: Final = " and no marker a collected test carries"
SPELLING_HINT: Final = (
    "a marker of your own spelt as a mode: register it under `markers` in your pytest configuration"
)
NEAR_HINT: Final = (
    "a marker of your own that no test carries yet: register it under `markers` in your pytest "
    "configuration"
)
#: Set once ``pytest_collection_modifyitems`` has judged the near names (not on xdist's
#: controller, which collects nothing).
_JUDGED: Final = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    refuse_spellings(config)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    config.stash[_JUDGED] = True
    if on_worker(config) or session.testsfailed:  # a file that failed to collect may carry it
        return
    found = near_miss(config, carried=lambda word: any(i.get_closest_marker(word) for i in items))
    if found is not None:
        raise pytest.UsageError(found)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under xdist (nothing collected here): a near name refused when no test was selected."""
    config = session.config
    if config.stash.get(_JUDGED, False) or on_worker(config):
        return
    if session.exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED:
        return  # (a selected mode made its rows of the empty run: ``hooks``)
    found = near_miss(config, carried=lambda word: False)
    if found is not None:
        sys.stderr.write(f"ERROR: {found}\n")
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


def refuse_spellings(config: pytest.Config) -> None:
    """``pytest.UsageError`` for the first name ``-m`` reads that is no registered marker but a
    mode's name in another case or with ``-`` for ``_``."""
    for word in sorted(selection.names(config) - registered(config)):
        mode = spelling_of(word)
        if mode is not None:
            note = HYPHEN_NOTE if "-" in word else ""
            raise pytest.UsageError(message(config, word, mode, note=note, hint=SPELLING_HINT))


def near_miss(config: pytest.Config, *, carried: Callable[[str], bool]) -> str | None:
    """The usage error's text for the first name ``-m`` reads that is no registered marker, no
    collected test carries (``carried``) and is close to a mode's name; ``None`` when none is."""
    for word in sorted(selection.names(config) - registered(config)):
        mode = meant(word)
        if mode is not None and not carried(word):
            return message(config, word, mode, note=UNUSED_NOTE, hint=NEAR_HINT)
    return None


def message(config: pytest.Config, word: str, mode: str, *, note: str, hint: str) -> str:
    text = selection.read(config).text
    where = "-m" if text.strip() == word else f"-m {text!r}"
    return MESSAGE.format(
        where=where, word=word, note=note, mode=mode, modes=", ".join(modes.MARKERS), hint=hint
    )


def registered(config: pytest.Config) -> set[str]:
    """The registered markers' names (``name(args): help`` lines, as ``--strict-markers`` reads)."""
    lines: list[str] = config.getini("markers")
    return {line.split(":")[0].split("(")[0].strip() for line in lines}


def spelling_of(word: str) -> str | None:
    """The mode whose name ``word`` spells in any case, with ``-`` or ``_`` (its JSON name too)."""
    spellings = _spellings()
    key = word.lower()
    return spellings.get(key) or spellings.get(key.replace("-", "_"))


def meant(word: str) -> str | None:
    """The mode ``word`` stands for: a spelling of its name (``spelling_of``), or the closest
    name within ``CUTOFF``; ``None`` when it is close to none."""
    spelt = spelling_of(word)
    if spelt is not None:
        return spelt
    spellings = _spellings()
    key = word.lower().replace("-", "_")
    close = difflib.get_close_matches(key, list(spellings), n=1, cutoff=CUTOFF)
    return spellings[close[0]] if close else None


def _spellings() -> dict[str, str]:
    spellings: dict[str, str] = {}
    for mode in modes.MARKERS:
        spellings[mode.lower()] = mode
        spellings[modes.json_name(mode).lower()] = mode
    return spellings
