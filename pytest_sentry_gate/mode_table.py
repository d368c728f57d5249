"""The modes as documentation: the table of ``docs/modes/index.md``, the Modes entries of
``mkdocs.yml``'s nav and the README's table of modes, generated from the declarations
(``modes/<name>.py``).

``scripts/sync_generated.py`` writes each between its markers; a test holds them equal to the
declarations, so a new mode's page is listed once its declaration exists.
"""

from __future__ import annotations

from typing import Final

from pytest_sentry_gate import modes

START: Final = (
    "<!-- modes:start (generated from the mode declarations: scripts/sync_generated.py) -->"
)
END: Final = "<!-- modes:end -->"
NAV_START: Final = "      # modes:start (generated: scripts/sync_generated.py)"
NAV_END: Final = "      # modes:end"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """``| marker | JSON name | status | checks |`` rows, in run order."""
    rows = [
        f"| `{m.name}` | `{m.json_name}` | available | {_cell(m.summary)} |" for m in modes.MODES
    ]
    return "\n".join(
        ["| marker | JSON name | status | checks |", "| --- | --- | --- | --- |", *rows]
    )


def nav() -> str:
    """The nav entries of the mode pages (``docs/modes/<name>.md``), in run order."""
    return "\n".join(f"      - {m.name}: modes/{m.name}.md" for m in modes.MODES)


def readme_markdown() -> str:
    """The README's ``| marker | what it checks | reference |`` rows, in run order: each mode's
    marker help (what ``pytest --markers`` prints) and a link to its page."""
    rows = [
        f"| `{m.name}` | {_cell(m.help)} | [docs/modes/{m.name}.md](docs/modes/{m.name}.md) |"
        for m in modes.MODES
    ]
    return "\n".join(["| marker | what it checks | reference |", "| --- | --- | --- |", *rows])


def _between(text: str, start: str, end: str, body: str) -> str:
    head = text.index(start) + len(start)
    tail = text.index(end, head)
    return f"{text[:head]}\n{body}\n{text[tail:]}"


def replaced(index: str) -> str:
    """``docs/modes/index.md`` with its table rewritten."""
    return _between(index, START, END, markdown())


def replaced_nav(mkdocs: str) -> str:
    """``mkdocs.yml`` with its Modes entries rewritten."""
    return _between(mkdocs, NAV_START, NAV_END, nav())


def replaced_readme(readme: str) -> str:
    """``README.md`` with its table of modes rewritten."""
    return _between(readme, START, END, readme_markdown())
