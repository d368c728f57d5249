"""The pytest plugin (entry point ``sentry_gate``): wires hooks to the modules that do the work.

Inert by default: unless ``-m`` names a runbook mode (or a test uses a plugin fixture), no hook
does work and neither httpx nor vcrpy is imported.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

from pytest_sentry_gate import (
    distributed,
    fixtures,
    html_extras,
    in_process,
    modes,
    redaction,
    repository_checks,
    rootdir,
    setting_options,
    setting_resolution,
)
from pytest_sentry_gate.redact import mask_urls
from pytest_sentry_gate.rerun import without_replay
from pytest_sentry_gate.runlog import RUN_KEY, SETTINGS_KEY, Run
from pytest_sentry_gate.selection import WORD, selected_modes
from pytest_sentry_gate.selection import read as read_selection


def _checks_dir() -> Path:
    """Where the bundled checks are: inside the installed package (the wheel puts the source
    tree's top-level ``checks/`` there), or beside the package in a source checkout."""
    packaged = Path(__file__).parent / "checks"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "checks"


CHECKS_DIR = _checks_dir()
#: The fixture modules, registered with the plugin (and switched off with it by -p no:sentry_gate),
#: and ``mode_words`` (a -m word that is almost a mode, such as prod-health, is a usage error).
pytest_plugins = [*fixtures.MODULES, "pytest_sentry_gate.mode_words"]


def pytest_addoption(parser: pytest.Parser) -> None:
    setting_options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """``--sentry-gate-report PATH`` (two words) must not move the rootdir: see ``rootdir``."""
    rootdir.repair(early_config, parser, args)


def pytest_configure(config: pytest.Config) -> None:
    repository_checks.register(config)
    for marker in modes.MARKERS:
        config.addinivalue_line("markers", f"{marker}: runbook mode: {modes.MARKER_HELP[marker]}")
    setting_options.refuse_unknown_keys(config)  # a typo'd sentry_* key: a usage error, in any run
    chosen = selected_modes(config)
    if not chosen:  # a test that asks for sentry_check activates the hooks (``CheckWatch``)
        config.pluginmanager.register(CheckWatch(), CheckWatch.NAME)
        return
    resolved = setting_resolution.resolve(config)
    config.stash[SETTINGS_KEY] = resolved
    redaction.install(config, resolved)
    config.stash[RUN_KEY] = Run(
        modes=chosen,
        started=time.time(),
        rerun=rerun_command(config),
        requested=requested_mode(config),
        bundled_modes=frozenset(
            m for m in modes.CHECK_MODES if (CHECKS_DIR / f"test_{m}.py").is_file()
        ),
    )
    from pytest_sentry_gate.fixtures.replay import check_cassette  # a fixture module: loaded

    check_cassette(config, resolved, config.stash[RUN_KEY])
    cassette = config.stash[RUN_KEY].cassette  # -n: by project over workers (``distributed``)
    records = cassette is not None and not cassette["replay"]
    config.stash[RUN_KEY].notices += in_process.distribute(config, records=records)
    activate(config)
    distributed.install(config)
    from pytest_sentry_gate import interrupts  # SIGTERM ends the run as Ctrl-C: with a report

    interrupts.install(config)
    if resolved.bundled_checks:
        _add_bundled_checks(config)


def requested_mode(config: pytest.Config) -> str:
    """The ``-m`` expression in the old script's names: ``verify-loop``, not the modes it runs."""
    text = read_selection(config).text
    return WORD.sub(
        lambda m: modes.json_name(m.group(0)) if m.group(0) in modes.MARKERS else m.group(0),
        " ".join(text.split()),
    )


def activate(config: pytest.Config) -> None:
    """Register the working hooks (once): a mode is selected, or ``sentry_check`` is used."""
    from pytest_sentry_gate import hooks

    manager = config.pluginmanager
    if manager.has_plugin(hooks.NAME):
        return
    if RUN_KEY not in config.stash:
        config.stash[RUN_KEY] = Run(modes=(), started=time.time(), rerun=rerun_command(config))
    label = ",".join(config.stash[RUN_KEY].modes)
    manager.register(
        hooks.ActiveHooks(
            checks_dir=CHECKS_DIR, modes_label=label, rerun=config.stash[RUN_KEY].rerun
        ),
        hooks.NAME,
    )
    manager.register(repository_checks.Marking(CHECKS_DIR), repository_checks.NAME)
    html_extras.install(config)
    if manager.hasplugin("pytest_jsonreport"):
        from pytest_sentry_gate import json_report

        manager.register(json_report.JsonReportHooks(config), json_report.NAME)


#: The fixture whose first setup activates the working hooks when no mode is selected.
CHECK_FIXTURE = "sentry_check"


class CheckWatch:
    """Without a mode: once collected, whether a test asks for ``sentry_check``. The watch then
    goes: if no test does, the run stays inert (no hook per test); if one does, ``OnFirstCheck``
    activates the working hooks as that fixture is first set up (on each xdist worker, where
    the tests run; not under ``--collect-only`` or ``--setup-plan``, where no fixture is). The
    xdist controller never collects: the watch stays there, its one hook never called."""

    NAME = "sentry_gate_watch"

    @pytest.hookimpl(trylast=True)  # after -k and -m deselected: the tests that will run
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        manager = config.pluginmanager
        manager.unregister(self, self.NAME)
        if config.option.collectonly or config.option.setupplan:
            return
        if any(CHECK_FIXTURE in getattr(item, "fixturenames", ()) for item in items):
            manager.register(OnFirstCheck(), OnFirstCheck.NAME)


class OnFirstCheck:
    """Activates the working hooks as ``sentry_check`` is first set up, then goes."""

    NAME = "sentry_gate_first_check"

    # Neither tryfirst nor trylast: before pytest's own implementation, which runs the fixture (a
    # plugin registered later is called first): the moment the fixture's body used to activate
    # the hooks itself.
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
    ) -> None:
        if fixturedef.argname == CHECK_FIXTURE:
            request.config.pluginmanager.unregister(self, self.NAME)
            activate(request.config)


def rerun_command(config: pytest.Config) -> str:
    """The command that reruns this selection, as the user ran it: ``sentry-gate`` hands its own
    command in (an invocation plugin carrying ``sentry_gate_rerun``), otherwise ``pytest`` and
    its arguments, without the report path and without a replaying record mode (``rerun.py``).
    Credentials in a URL are masked (``https://***@host``); a token is never an argument."""
    for plugin in config.invocation_params.plugins or ():
        command = getattr(plugin, RERUN_ATTRIBUTE, None)
        if isinstance(command, str):
            return command
    args: list[str] = []
    skip_next = False
    for arg in config.invocation_params.args:
        if skip_next:
            skip_next = False
        elif arg == "--sentry-gate-report":
            skip_next = True  # the report path may be temporary (sentry-gate --json)
        elif not arg.startswith("--sentry-gate-report="):
            args.append(arg)
    return shlex.join(["pytest", *(mask_credentials(a) for a in without_replay(args))])


#: The attribute of an invocation plugin (``pytest.main(plugins=[...])``) that names the rerun.
RERUN_ATTRIBUTE = "sentry_gate_rerun"


def mask_credentials(arg: str) -> str:
    """``arg`` with the userinfo of any URL in it replaced by ``***`` and each query value too
    (``?token=…``)."""
    return mask_urls(arg)


def _add_bundled_checks(config: pytest.Config) -> None:
    """Collect the checks shipped in the package: their directory becomes a collection arg.

    Passing the directory (not its files) keeps node ids short and stable wherever the package is
    installed: ``test_setup_preflight.py::test_token_scopes``. When the command line names no
    path, an app repository is not walked: the bundled checks plus the configured ``testpaths``
    (none configured: the bundled checks only) are the whole collection.
    """
    if config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        config.args[:] = []
    checks = str(CHECKS_DIR)
    if checks not in {str(Path(a).resolve()) for a in config.args}:
        config.args.append(checks)
