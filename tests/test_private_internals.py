"""Issue 16 item 8: no third-party private internal unless pinned here; one atomic writer.

The package keeps a few private pytest names where pytest has no public way to do the job, each
with a comment at its use saying why: the ``-m`` grammar (``selection._compiled``), the rootdir
repair (``rootdir.py``: ``findpaths.determine_setup`` and the config's setup attributes and
checks) and two ini readers (``setting_options``: the undeclared keys, a value its declared type
refuses). ``PINNED`` lists every one; each test below holds the interface the package relies on,
so a pytest that moves one fails here by name instead of silently changing a run. vcrpy's
``Cassette._save()`` and httpx's ``response._content`` are gone, and every file this package
writes is replaced through ``atomic.replace``.
"""

from __future__ import annotations

import ast
import gzip
import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.config import findpaths
from _pytest.mark import expression as pytest_expression

from pytest_sentry_gate.sentry.client import SentryClient
from sentry_simulator.scenarios import demo_data
from tests.test_health import DEMO, NOW, _loop, _sim

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = sorted([*ROOT.glob("pytest_sentry_gate/**/*.py"), *ROOT.glob("checks/*.py")])
#: Private names of vcrpy's Cassette and httpx's Response the package once reached into.
FOREIGN_PRIVATE = {"_save", "_persist", "_as_dict", "_content", "_load"}


def _trees() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text(encoding="utf-8"))) for p in PRODUCT]


def _calls(tree: ast.Module, owner: str, name: str) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    )


def test_no_private_attribute_of_vcrpy_or_httpx_is_used() -> None:
    # Given every product module
    # When the attributes it reads or assigns are listed
    found = [
        f"{path}:{node.lineno} .{node.attr}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in FOREIGN_PRIVATE
        and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
    ]
    # Then none is a private name of vcrpy's cassette or httpx's response
    assert found == []


#: Every private name of another library the package uses, by module (the tests below pin each).
PINNED: dict[str, set[str]] = {
    "pytest_sentry_gate/rootdir.py": {
        "_pytest.config",  # findpaths.determine_setup
        "_rootpath",
        "_inipath",
        "_inicfg",
        "_inicache",
        "_ignored_config_files",
        "_checkversion",
        "_validate_plugins",
    },
    "pytest_sentry_gate/selection.py": {"_pytest.mark.expression"},
    "pytest_sentry_gate/setting_options.py": {"_get_unknown_ini_keys", "_inicfg"},
}
#: Names with a leading underscore that are no private name of a library.
NOT_PRIVATE = {
    "_replace",  # namedtuple's public method (the underscore only avoids field names)
    "_meta",  # the key of Sentry's event JSON that holds its scrubbing notes
    "_off",  # the suffix of a negative flag's dest (setting_options._dest)
    "_0123456789",  # a character set (modes/mode.py)
}


def _own_names(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """Every name the package binds itself: functions, classes, variables, ``self.`` attributes,
    arguments and import aliases."""
    own = set()
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in {"self", "cls"}
            ):
                own.add(node.attr)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
    return own


def private_names(trees: list[tuple[str, ast.Module]]) -> dict[str, set[str]]:
    """Module -> the private modules it imports and the private names it reads or writes (as an
    attribute of something not ``self``, or as a string such as ``getattr``'s) that the package
    does not bind itself."""
    own = _own_names(trees) | NOT_PRIVATE
    found: dict[str, set[str]] = {}
    for path, tree in trees:
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Attribute) and not (
                isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}
            ):
                names = [node.attr] if node.attr not in own else []
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.isidentifier() and node.value not in own else []
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    found.setdefault(path, set()).add(name)
    return found


def test_every_private_name_of_a_library_is_pinned() -> None:
    # Given every product module
    # When the private names it uses that it does not define itself are listed
    # Then they are exactly the pinned ones: a new one needs its pin below (and a comment)
    assert private_names(_trees()) == PINNED


def test_a_new_private_name_is_found() -> None:
    # Given a module that reaches into pytest's terminal reporter, both ways
    planted = ast.parse(
        "import _pytest.terminal\n"
        "def f(config, reporter):\n"
        "    self = config\n"
        "    self._own = 1\n"
        "    return reporter._tw, getattr(config, '_cleanup_stack'), self._own\n"
    )
    # Then each private name is found, and the module's own attribute is not
    assert private_names([("planted.py", planted)]) == {
        "planted.py": {"_pytest.terminal", "_tw", "_cleanup_stack"}
    }


def _setup(directory: Path, ini: str) -> tuple[Any, ...]:
    """pytest's own rootdir and ini file for a directory holding ``tox.ini``, as
    ``rootdir._determine`` asks for them."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tox.ini").write_text(ini, encoding="utf-8")
    kwargs: dict[str, Any] = {
        "inifile": None,
        "args": [str(directory)],
        "rootdir_cmd_arg": None,
        "invocation_dir": directory,
    }
    if "override_ini" in inspect.signature(findpaths.determine_setup).parameters:
        kwargs["override_ini"] = None
    return tuple(findpaths.determine_setup(**kwargs))


def test_pinned_findpaths_determine_setup(tmp_path: Path) -> None:
    # Given pytest's determine_setup, as rootdir._determine calls it (keywords only)
    params = inspect.signature(findpaths.determine_setup).parameters
    assert {"inifile", "args", "rootdir_cmd_arg", "invocation_dir"} <= set(params)
    # When it decides the setup of a directory with an ini file
    setup = _setup(tmp_path / "app", "[pytest]\nsentry_org = acme\n")
    # Then it answers (rootdir, ini path, the ini's values[, ignored files]) as repair reads it
    assert Path(setup[0]) == tmp_path / "app"
    assert setup[1] == tmp_path / "app" / "tox.ini"
    assert getattr(setup[2]["sentry_org"], "value", setup[2]["sentry_org"]) == "acme"
    assert len(setup) in (3, 4)


def test_pinned_config_setup_attributes(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given a configuration read from one ini file, and pytest's setup of another directory
    pytester.makeini("[pytest]\nsentry_org = wrong\n")
    config = pytester.parseconfig()
    setup = _setup(tmp_path / "right", "[pytest]\nsentry_org = right\n")
    assert config.getini("sentry_org") == "wrong"
    assert config._inicache  # getini answers from this cache
    # When rootdir.repair's assignments are made
    config._rootpath = Path(setup[0])
    config._inipath = setup[1]
    config._inicfg = setup[2]
    if len(setup) > 3:
        assert hasattr(config, "_ignored_config_files")
        config._ignored_config_files = setup[3]
    config._inicache.clear()
    # Then the public properties and getini answer from the other directory's ini file
    assert config.rootpath == tmp_path / "right"
    assert config.inipath == tmp_path / "right" / "tox.ini"
    assert config.getini("sentry_org") == "right"


def test_pinned_config_checks(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given a configuration whose ini values repair replaced by an ini file that asks for a
    # newer pytest and for a plugin that is not installed
    config = pytester.parseconfig()
    setup = _setup(
        tmp_path / "right", "[pytest]\nminversion = 999\nrequired_plugins = no-such-plugin\n"
    )
    config._inicfg = setup[2]
    config._inicache.clear()
    # Then pytest's own checks, called without arguments, refuse each
    with pytest.raises(pytest.UsageError, match="minversion"):
        config._checkversion()
    with pytest.raises(pytest.UsageError, match="no-such-plugin"):
        config._validate_plugins()


def test_pinned_unknown_ini_keys(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # Given ini values holding one of our keys and a mistyped one
    config = pytester.parseconfig()
    config._inicfg = _setup(tmp_path / "app", "[pytest]\nsentry_org = a\nsentry_projct = b\n")[2]
    # Then pytest lists the key nobody declared, and not the plugin's own
    unknown = config._get_unknown_ini_keys()
    assert "sentry_projct" in unknown
    assert "sentry_org" not in unknown


def test_pinned_inicfg_value_of_a_refused_native_value(pytester: pytest.Pytester) -> None:
    if pytest.version_tuple[:2] < (9, 0):
        pytest.skip("the [tool.pytest] table with native values is pytest 9's")
    # Given pytest 9's native table with a single string where a list is declared
    pytester.makepyprojecttoml('[tool.pytest]\nsentry_project = "app"\n')
    config = pytester.parseconfig()
    # Then getini refuses it (so setting_options.ini_value needs the stored value), and the
    # stored value is there, as setting_options reads it
    with pytest.raises(pytest.UsageError):
        config.getini("sentry_project")
    assert config._inicfg["sentry_project"].value == "app"


def test_pytests_mark_grammar_is_imported_in_one_place() -> None:
    found = sorted(
        path
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("_pytest.mark")
    )
    assert found == ["pytest_sentry_gate/selection.py"]


def test_the_pinned_interface_of_pytests_mark_expression() -> None:
    # Given pytest's -m grammar, as selection._compiled uses it
    compiled = pytest_expression.Expression.compile("release_gate or (verify_loop and not slow)")
    seen: list[tuple[str, dict[str, Any]]] = []

    def has(marks: set[str]) -> Any:
        def matcher(name: str, /, **kwargs: Any) -> bool:
            seen.append((name, kwargs))
            return name in marks

        return matcher

    # When it is evaluated against sets of marks
    # Then it answers as pytest's own -m does, asking the matcher by mark name
    assert compiled.evaluate(has({"release_gate"})) is True
    assert compiled.evaluate(has({"verify_loop"})) is True
    assert compiled.evaluate(has({"verify_loop", "slow"})) is False
    assert compiled.evaluate(has(set())) is False
    assert {name for name, _ in seen} == {"release_gate", "verify_loop", "slow"}
    # And an invalid expression raises (the plugin then leaves the report to pytest)
    with pytest.raises(Exception):  # noqa: B017, PT011 - pytest's own ParseError type is private
        pytest_expression.Expression.compile("release_gate or")


def test_dash_m_is_compiled_once_per_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given pytest's Expression.compile, counting the calls made from the plugin
    original = pytest_expression.Expression.compile.__func__  # type: ignore[attr-defined]
    callers: list[str] = []

    def counting(cls: type, text: str) -> Any:
        import sys

        caller = sys._getframe(1).f_globals.get("__name__", "")
        callers.append(caller)
        return original(cls, text)

    monkeypatch.setattr(pytest_expression.Expression, "compile", classmethod(counting))
    # When a whole verify_loop run (health, triage, the loop's report) ends
    with _sim(demo_data(DEMO, now=NOW)) as sim:
        report = _loop(pytester, sim, tmp_path / "state.json")
    assert report["checks"], report
    # Then the plugin compiled -m once (pytest's own selection compiled it too)
    ours = [c for c in callers if c.startswith("pytest_sentry_gate")]
    assert ours == ["pytest_sentry_gate.selection"]
    assert report["verify_loop"]["checkpoint_written"] is True


def test_gzip_body_read_under_the_caps_is_the_decoded_json() -> None:
    # Given a server answering with a gzip-encoded JSON body
    body = json.dumps([{"id": "1", "title": "x" * 2000}]).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return httpx.Response(200, content=gzip.compress(body), headers=headers)

    client = SentryClient(
        base_url="http://sentry.test/", token="t", transport=httpx.MockTransport(answer)
    )
    with client:
        # When the client reads it (in chunks, under the size cap)
        response = client.get("/api/0/organizations/acme/issues/")
    # Then the JSON is the decoded body, and no header claims an encoding it no longer has
    assert response.data == [{"id": "1", "title": "x" * 2000}]
    assert "content-encoding" not in {k.lower() for k in response.headers}


def test_files_are_replaced_through_one_atomic_writer() -> None:
    # Given every product module
    # When the renames over a path and the temporary files it makes are counted, per module
    counts = {
        path: (_calls(tree, "os", "replace"), _calls(tree, "tempfile", "mkstemp"))
        for path, tree in _trees()
    }
    # Then only atomic.py creates a temporary file and renames it over a path (state_files
    # renames a corrupt checkpoint aside, which is no write)
    assert {p: c for p, c in counts.items() if c != (0, 0)} == {
        "pytest_sentry_gate/atomic.py": (1, 1),
        "pytest_sentry_gate/repo/state_files.py": (1, 0),
    }
