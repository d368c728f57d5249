"""Our options written as two words (``--sentry-gate-report PATH``) must not move pytest's rootdir.

pytest decides ``rootdir`` and reads its ini file (``Config._preparse``) from a first parse of the
command line that runs before the plugins installed through entry points are loaded, so before
this plugin has declared its options (pytest-dev/pytest#8846). That parse does not know that
``--sentry-gate-report`` takes a value and counts ``PATH`` as a test path; and
``findpaths.get_dirs_from_args`` keeps the paths that exist. So ``--sentry-gate-report
/ci/out/report.json`` left the rootdir alone on the first run and, once the report existed, moved
it to a common ancestor: the app's ini file was no longer read (its ``sentry_*`` settings, its
``addopts``) and the verdicts changed. ``--sentry-gate-report=/ci/out/report.json`` never had
the problem.

``repair`` runs first in ``pytest_load_initial_conftests``, the first hook after this plugin's
options are known and before pytest uses the rootdir (conftests, collection, the terminal header):
it decides the setup again from the invocation's arguments, now parsed with our options, and, when
that differs, puts pytest's configuration where the ``=`` spelling would have put it: rootdir,
ini file and values, the ini's ``addopts``, ``pythonpath`` and ``confcutdir``. Nothing happens
when none of our value options was written as two words, so the plugin stays inert otherwise.

pytest offers no public way to do this, so ``repair`` keeps these private pytest names, each
pinned by ``tests/test_private_internals.py`` (a pytest that moves one fails it by name):
``_pytest.config.findpaths.determine_setup`` (pytest's own choice of rootdir and ini file; a
copy would drift from it), ``Config._rootpath``, ``_inipath``, ``_inicfg``, ``_inicache`` and
``_ignored_config_files`` (``rootpath``/``inipath`` are read-only properties and ``getini``
caches), and ``Config._checkversion``/``_validate_plugins`` (pytest ran them on the wrong ini
file before this hook; calling its own keeps its rules and messages). A pytest without the
attributes gets ``CANNOT_REPAIR``, never a half-moved configuration.
"""

from __future__ import annotations

import copy
import inspect
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_sentry_gate.settings import ROWS

#: Our flags that take a value (the word after them is that value, never a test path).
VALUE_FLAGS = frozenset(flag for row in ROWS.values() if not row.switch for flag in row.flags)
CANNOT_REPAIR = (
    "{flag} {value}: pytest took {value!r} as a test path when it chose its rootdir ({wrong}, "
    "instead of {right}), and pytest-sentry-gate cannot move it back with this pytest. Write the "
    "option as one word: {flag}={value}"
)


def two_word_flags(args: list[str]) -> list[tuple[str, str]]:
    """``(flag, value)`` for each of our value options written as two words in ``args``."""
    found = []
    for index, arg in enumerate(args[:-1]):
        if arg == "--":
            break
        if arg in VALUE_FLAGS:
            found.append((arg, args[index + 1]))
    return found


def _given_args(config: pytest.Config) -> list[str]:
    """The words pytest decided its rootdir from: ``PYTEST_ADDOPTS``, then the invocation's."""
    env = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    return [*env, *map(str, config.invocation_params.args)]


def _determine(config: pytest.Config, parser: pytest.Parser, args: list[str]) -> tuple[Any, ...]:
    """pytest's own ``determine_setup`` on ``args`` parsed with every option known now."""
    from _pytest.config import findpaths  # private: no public API decides the rootdir (above)

    ns = parser.parse_known_args(args, namespace=copy.copy(config.option))
    kwargs: dict[str, Any] = {
        "inifile": ns.inifilename,
        "args": ns.file_or_dir,
        "rootdir_cmd_arg": ns.rootdir or None,
        "invocation_dir": config.invocation_params.dir,
    }
    if "override_ini" in inspect.signature(findpaths.determine_setup).parameters:
        kwargs["override_ini"] = ns.override_ini
    return tuple(findpaths.determine_setup(**kwargs))


def repair(config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Give the run the rootdir and ini file the ``--flag=value`` spelling gives (see above)."""
    given = _given_args(config)
    flags = two_word_flags(given)
    if not flags:
        return
    setup = _determine(config, parser, given)
    rootpath, inipath = Path(setup[0]), setup[1]
    if rootpath == config.rootpath and inipath == config.inipath:
        return
    if not all(hasattr(config, a) for a in ("_rootpath", "_inipath", "_inicfg", "_inicache")):
        flag, value = flags[0]
        raise pytest.UsageError(
            CANNOT_REPAIR.format(flag=flag, value=value, wrong=config.rootpath, right=rootpath)
        )
    old_addopts = [str(a) for a in config.getini("addopts")]
    old_pythonpath = [str(p) for p in config.getini("pythonpath")]
    # private: the public rootpath/inipath cannot be set, and getini answers from _inicache
    config._rootpath = rootpath
    config._inipath = inipath
    config._inicfg = setup[2]
    if len(setup) > 3:
        config._ignored_config_files = setup[3]
    config._inicache.clear()
    parser.extra_info["rootdir"] = str(rootpath)
    parser.extra_info["inifile"] = str(inipath)
    _swap_addopts(config, args, old_addopts)
    _swap_pythonpath(config, old_pythonpath)
    ns = parser.parse_known_args(args, namespace=copy.copy(config.option))
    if ns.confcutdir is None:
        ns.confcutdir = str(inipath.parent if inipath is not None else rootpath)
    config.known_args_namespace = ns
    # private: pytest's own minversion and required_plugins checks, on the right ini file now
    for check in ("_checkversion", "_validate_plugins"):
        getattr(config, check, lambda: None)()


def _swap_addopts(config: pytest.Config, args: list[str], old: list[str]) -> None:
    """Replace the wrong ini's ``addopts`` at the head of ``args`` by the right ini's."""
    new = [str(a) for a in config.getini("addopts")]
    if args[: len(old)] != old or old == new:
        return
    args[: len(old)] = new
    config.pluginmanager.consider_preparse(new, exclude_only=False)  # -p in the right addopts


def _swap_pythonpath(config: pytest.Config, old: list[str]) -> None:
    """The right ini's ``pythonpath`` on ``sys.path`` instead of the wrong one's (pytest removes
    the ini's ``pythonpath`` again at the end, reading the ini then: the right one)."""
    for path in old:
        if path in sys.path:
            sys.path.remove(path)
    for path in reversed(config.getini("pythonpath")):
        sys.path.insert(0, str(path))
