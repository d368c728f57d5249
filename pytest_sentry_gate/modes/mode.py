"""``Mode``: everything a runbook mode declares, in one frozen value.

A mode is its marker (``name``), its place in run order (``order``), its JSON name (the old
script's hyphenated one unless ``json`` says otherwise), the marker's help, whether
``verify_loop`` runs it, the reason codes it adds (with their meanings), the settings its checks
read and the Sentry endpoints they read (names of rows of ``sentry/endpoints.py``, beyond the
organization and project every mode resolves). Its checks are ``checks/test_<name>.py`` and its
page ``docs/modes/<name>.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mode:
    """One runbook mode, declared once (``modes/<name>.py`` holds ``MODE = Mode(...)``)."""

    name: str
    order: int
    help: str
    #: What its checks look at, in one sentence (the table of ``docs/modes/index.md``).
    summary: str = ""
    #: ``verify_loop`` selects the mode's checks too.
    in_loop: bool = False
    #: The mode holds checks (``verify_loop`` is a marker over other modes' checks).
    holds_checks: bool = True
    #: Reason codes the mode adds to ``reasons.REASONS``, each with its meaning.
    reasons: Mapping[str, str] = field(default_factory=dict)
    #: Settings (fields of ``settings.Settings``) the mode's checks and fixtures read.
    settings: tuple[str, ...] = ()
    #: Names of ``sentry/endpoints.py`` rows the mode reads, beyond the common ones.
    endpoints: tuple[str, ...] = ()
    #: The name in the report and the ``sentry-gate`` command; default: ``release-gate``.
    json: str | None = None

    @property
    def json_name(self) -> str:
        return self.json or self.name.replace("_", "-")
