"""The settings table, row by row: ``Row`` and the layers of ``settings.Settings`` by area.

Each field of ``Settings`` carries its row (``Row``, in the field's metadata): its flags, ini key,
environment variable, ``.sentryclirc`` key, default, parser and help text. The table is declared
in layers, one frozen dataclass per area, each extending the one before (``target`` <- ``run`` <-
``repository`` <- ``health`` <- ``settings.Settings``), so the table's order is the order of the
layers and a new row goes at the end of ``settings.Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_sentry_gate.setting_parsers import Parser, parse_boolean


@dataclass(frozen=True)
class Row:
    """One row of the settings table: every source of one setting, its parser and help text."""

    help: str
    parse: Parser
    flags: tuple[str, ...] = ()  # the first is the flag; more are aliases
    negative: str | None = None  # a flag that switches a boolean setting off
    ini: str | None = None
    ini_type: str = "string"  # string or linelist: parse() does the typing
    env: str | None = None
    rc: tuple[str, str] | None = None
    default: Any = None
    default_doc: str | None = None  # the README/--help text when the default is computed
    metavar: str | None = None
    cli: tuple[str, ...] = ()  # sentry-gate's flags, one per entry of ``all_flags``
    source_key: str | None = None  # the key in ``Settings.sources`` when not the field name
    secret: bool = False

    @property
    def switch(self) -> bool:
        """The flags take no value (``--send-test-event``)."""
        return self.parse is parse_boolean

    @property
    def all_flags(self) -> tuple[str, ...]:
        return (*self.flags, *((self.negative,) if self.negative else ()))

    @property
    def default_text(self) -> str:
        if self.default_doc is not None:
            return self.default_doc
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        return f"`{self.default}`"


def declare(**values: Any) -> dict[str, Row]:
    """The metadata of a ``Settings`` field: ``field(metadata=declare(help=..., parse=...))``."""
    return {"row": Row(**values)}
