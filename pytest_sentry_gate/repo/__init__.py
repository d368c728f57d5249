"""Repository-side logic of the release gate: pure functions over the app repository's files.

- ``versions``: the app version in each version file, and whether they agree.
- ``release``: the release name (template, Sentry's naming rules, next patch).
- ``wiring``: marker texts in the repository's files, Tauri v2 capabilities granting
  ``sentry:default``.
- ``privacy``: the app's Sentry initialisation (default PII, scrubber, DSN, Tauri plugin).
- ``bundles``: the built bundles, their source maps and debug ids, the artifact names expected.
- ``defaults``: the defaults the settings table shows (imports nothing, so the inert plugin
  loads no reader).

Nothing here imports pytest or touches the network.
"""

from __future__ import annotations
