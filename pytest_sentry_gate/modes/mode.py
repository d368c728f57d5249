"""``Mode``: everything a runbook mode declares, in one frozen value.

A mode is its marker (``name``), its place in run order (``order``), its JSON name (the old
script's hyphenated one unless ``json`` says otherwise), the marker's help, whether
``verify_loop`` runs it, the reason codes it adds (with their meanings), the settings its checks
read and the Sentry endpoints they read (names of rows of ``sentry/endpoints.py``, beyond the
organization and project every mode resolves), the facts of the store its checks ask (warmed
concurrently before they run), which of its bundled checks read only the repository, and whether
its checks read the checkpoint. Its checks are ``checks/test_<name>.py`` and its page
``docs/modes/<name>.md``; nothing outside this package names a mode to treat it apart.

A mode a plugin registers (``modes.register``) names its own reason codes ``<mode>.<code>``
(``PLUGIN_REASON``): the shipped report schema accepts that shape beside the built-in codes, so
a report that carries them still validates, and two plugins' codes never collide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

#: The shape of a plugin mode's own reason code: ``<mode>.<code>``, each part lowercase letters,
#: digits and ``_`` from a letter. ``report.schema.json`` carries this pattern beside the enum of
#: built-in codes (``scripts/sync_generated.py`` writes it; a test holds them equal).
_PART: Final = r"[a-z][a-z0-9_]*"
PLUGIN_REASON: Final = rf"^{_PART}\.{_PART}$"
#: The name of a mode that declares codes of its own: the ``<mode>`` part of ``PLUGIN_REASON``.
CODE_NAMESPACE: Final = rf"^{_PART}$"
NOT_NAMESPACED: Final = (
    "mode {mode!r} declares reason code(s) {codes}: a plugin's reason codes are named "
    "'<mode>.<code>' (the mode's name, a dot, then lowercase letters, digits or _), e.g. "
    "{example!r}, so that its report validates against the shipped schema and no two plugins' "
    "codes collide"
)

BAD_MODE_NAME: Final = (
    "mode {mode!r} declares reason codes, which are named '<mode>.<code>': its name must be "
    "lowercase letters, digits or _ from a letter for them to validate against the shipped "
    "report schema"
)


def foreign_reasons(mode: Mode) -> list[str]:
    """The reason codes of ``mode`` that are not named ``<its name>.<code>`` (``PLUGIN_REASON``)."""
    return [
        code
        for code in mode.reasons
        if not (code.startswith(f"{mode.name}.") and re.fullmatch(PLUGIN_REASON, code))
    ]


def require_namespaced(mode: Mode) -> None:
    """A ``ValueError`` naming every code of ``mode`` a plugin may not register, and the shape
    they must take; nothing when each is ``<mode>.<code>``."""
    if mode.reasons and not re.fullmatch(CODE_NAMESPACE, mode.name):
        raise ValueError(BAD_MODE_NAME.format(mode=mode.name))
    wrong = foreign_reasons(mode)
    if wrong:
        tail = re.sub(r"[^a-z0-9_]", "_", wrong[0].rpartition(".")[2].lower())
        example = f"{mode.name}.{tail.lstrip('_0123456789') or 'code'}"
        codes = ", ".join(repr(code) for code in wrong)
        raise ValueError(NOT_NAMESPACED.format(mode=mode.name, codes=codes, example=example))


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
    #: Facts its checks ask, warmed concurrently as soon as the client is open, by the name of a
    #: method of the facts store (``FactsStore``, or the run's ``Stores``): ``fixtures/prefetch.py``
    #: sends each with the level it needs (the slugs, the project id) in its place in the order.
    prefetch: tuple[str, ...] = ()
    #: Checks of its bundled file (``checks/test_<name>.py``) that read only the repository: they
    #: carry the ``sentry_repository`` marker (``repository_checks.py``; the pre-commit hook).
    repository_checks: tuple[str, ...] = ()
    #: Its checks read the checkpoint: a checkpoint path the tool must not touch then stops the
    #: run before it starts (``checkpoint_guard.py``).
    reads_checkpoint: bool = False

    @property
    def json_name(self) -> str:
        return self.json or self.name.replace("_", "-")
