"""A Sentry simulator: a real HTTP server on 127.0.0.1 serving the endpoints the runbook uses.

Usage::

    from sentry_simulator import Simulator, TokenSpec, Fault, seeded

    with Simulator(data=seeded(seed=1, issues=50)) as sim:
        sim.add_token("canary-token", TokenSpec())
        ...  # talk to sim.url

Modules: ``server`` (the HTTP server, auth, faults), ``routes`` (route table and scopes),
``api_core``/``api_releases`` (endpoints), ``ingest`` (envelope endpoint), ``search`` (issue
queries), ``serialize``/``serialize_events`` (JSON shapes), ``wire`` (request/reply, pagination),
``data``/``model``/``seed``/``synth`` (the data), ``faults`` (tokens, faults, recorded requests),
``clock`` (time helpers). Run ``python -m sentry_simulator --help`` for the CLI.
"""

from __future__ import annotations

from .data import SimulatorData
from .faults import DEFAULT_SCOPES, Fault, RecordedRequest, TokenSpec
from .routes import DOCUMENTED_PATHS
from .seed import seeded
from .server import Simulator

__all__ = [
    "DEFAULT_SCOPES",
    "DOCUMENTED_PATHS",
    "Fault",
    "RecordedRequest",
    "Simulator",
    "SimulatorData",
    "TokenSpec",
    "seeded",
]
