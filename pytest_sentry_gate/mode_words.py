"""A ``-m`` word that is almost a runbook mode is a usage error, not a run that selects nothing.

``pytest -m prod_heath`` (a typo) and ``pytest -m prod-health`` (the report's spelling of
``prod_health``: pytest reads it as one mark name) select no test, so pytest collects nothing
and exits 5, and the plugin, which no mode switched on, writes no report. Here, a name ``-m``
reads (``selection.names``) that is no registered marker, but a mode in another case or with
``-`` for ``_``, or close to a mode's name (``difflib``), stops the run before collection with
the word and the mode meant. A registered marker (the user's own, another plugin's, a mode a
plugin registered) and a word close to no mode (``-m "not slow"``, ``-m smoke``) are left to
pytest, which accepts any name in ``-m``.

Registered by ``plugin.py`` (its ``pytest_plugins``): this ``pytest_configure`` runs last, once
every plugin and ``conftest.py`` has registered its markers.
"""

from __future__ import annotations

import difflib
from typing import Final

import pytest

from pytest_sentry_gate import modes, selection

#: How close (``difflib`` ratio, lower case) a word must be to a mode's name to be taken for it:
#: ``prod_heath`` (0.95) and ``releasegate`` are, ``smoke`` (0.63), ``health`` or ``release`` not.
CUTOFF: Final = 0.8
MESSAGE: Final = (
    "{where} names {word!r}, which is no runbook mode{note}; did you mean {mode!r}? "
    "Modes: {modes} (a marker of your own that is this close to a mode: register it under "
    "`markers` in your pytest configuration)"
)
HYPHEN_NOTE: Final = " (the summary and the report write modes with '-'; their markers use '_')"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    refuse_near_modes(config)


def refuse_near_modes(config: pytest.Config) -> None:
    """``pytest.UsageError`` for the first name ``-m`` reads that is no marker but means a mode."""
    unknown = selection.names(config) - registered(config)
    for word in sorted(unknown):
        mode = meant(word)
        if mode is None:
            continue
        text = selection.read(config).text
        where = "-m" if text.strip() == word else f"-m {text!r}"
        note = HYPHEN_NOTE if "-" in word else ""
        raise pytest.UsageError(
            MESSAGE.format(
                where=where, word=word, note=note, mode=mode, modes=", ".join(modes.MARKERS)
            )
        )


def registered(config: pytest.Config) -> set[str]:
    """The registered markers' names (``name(args): help`` lines, as ``--strict-markers`` reads)."""
    lines: list[str] = config.getini("markers")
    return {line.split(":")[0].split("(")[0].strip() for line in lines}


def meant(word: str) -> str | None:
    """The mode ``word`` stands for: a spelling of its name (any case, ``-`` or ``_``), or the
    closest name within ``CUTOFF``; ``None`` when it is close to none."""
    spellings: dict[str, str] = {}
    for mode in modes.MARKERS:
        spellings[mode.lower()] = mode
        spellings[modes.json_name(mode).lower()] = mode
    key = word.lower()
    for spelling in (key, key.replace("-", "_")):
        if spelling in spellings:
            return spellings[spelling]
    close = difflib.get_close_matches(key.replace("-", "_"), list(spellings), n=1, cutoff=CUTOFF)
    return spellings[close[0]] if close else None
