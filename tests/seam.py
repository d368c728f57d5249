"""The client configuration seam of every pytester run: no real backoff sleep (issue 16 item 10).

``tests/conftest.py`` adds this module to each ``pytester``'s plugins. At configure time (after
the plugin's own fixtures are registered, so this one overrides them) it registers a
``sentry_client_config`` that keeps the plugin's configuration but records each wait the client
asks for in ``WAITS`` instead of sleeping. A replay's configuration, which never sleeps, is kept
as it is (a replay asks for no wait). A run's own ``conftest.py`` overriding the fixture is
given this one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:  # (an inert run imports no client, nor httpx: neither does this module)
    from pytest_sentry_gate.sentry.client import ClientConfig

#: Every wait asked for by a client of a pytester run, in order (the test that wants them clears
#: it first).
WAITS: Final[list[float]] = []
NAME: Final = "sentry-gate-test-seam"


class _Fixtures:
    @pytest.fixture(scope="session")
    def sentry_client_config(self, sentry_client_config: ClientConfig) -> ClientConfig:
        fields = dataclasses.fields(sentry_client_config)
        real_sleep = next(f.default for f in fields if f.name == "sleep")  # time.sleep, unpatched
        if sentry_client_config.sleep is not real_sleep:  # a replay, or a test's own seam
            return sentry_client_config
        return dataclasses.replace(sentry_client_config, sleep=WAITS.append)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(NAME):
        config.pluginmanager.register(_Fixtures(), NAME)
