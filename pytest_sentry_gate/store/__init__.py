"""The facts store: every Sentry and repository read of a run, once, per (org, project) target.

The fixtures ask it (each fixture is one line), and the report and the checkpoint read it at the
end of the session, so what they say does not depend on which fixtures happened to run: under
verify_loop, what is missing is read before the client closes (``Stores.complete``, which the
fixture layer's ``loop_end`` calls whichever checks ran, the client opened for it if no fixture
had), memoized, failures too; the report then reads what the store kept (the loop's facts, the
release under check). It imports no pytest (a contract): the fixture layer hands it the
settings, the run's "now" and how to reach the client (``Wiring``).

``registry``: ``Wiring`` and ``Stores`` (one store per target; the org, the token and the
repository facts, shared). ``target``: ``FactsStore`` (the slugs, the release, the checkpoint,
the release side). ``health``: the issue facts (listing, count, high severity, release issues,
crash-free). ``triage``: the triage buckets. ``incident``: client keys, the incident and its
symbolication. ``smoke``: the DSN (parsed once per run), the smoke round trip (the run's one
write, ``sentry.smoke.send`` or the sender a test gives; then the event read back), and the rule
that asks the outcomes why an accepted event never arrived. ``repository``: the wiring markers
checked against a target's release. ``checkpoint``: where a target's checkpoint is and what it
held. ``loop``: what verify_loop's section and checkpoint are built of. ``memo``: read once,
failures kept.
"""

from __future__ import annotations

from pytest_sentry_gate.store.loop import LoopFacts
from pytest_sentry_gate.store.registry import StoreClosed, Stores, Wiring
from pytest_sentry_gate.store.target import FactsStore

__all__ = ["FactsStore", "LoopFacts", "StoreClosed", "Stores", "Wiring"]
