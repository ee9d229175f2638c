"""Contract tests of the plugin API: every hook documented, tested, and honoured."""

import ast
import inspect
import re
import tomllib
from pathlib import Path

import pytest
from django.test import override_settings

from governance import hookspecs
from governance.hookspecs import FileToScan, Finding, Recommendation, Score, Severity, hookimpl
from governance.plugins import call_hook
from governance.recommendations import selectors
from governance.scoring.selectors import compute_version_scores
from tests.catalog.factories import ModelFactory, ModelVersionFactory

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("hubgate_"))


def test_there_are_hooks() -> None:
    assert {"hubgate_scan_file", "hubgate_score_version", "hubgate_recommend_similar"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented_like_a_public_api(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    params = inspect.signature(getattr(hookspecs, name)).parameters
    for param in params:
        assert f":param {param}:" in doc, f"{name} does not document {param}"
    assert ":returns:" in doc
    assert "raises" in doc, f"{name} does not say what happens when a plugin raises"
    assert f"`{name}(" in (ROOT / "docs" / "plugins.md").read_text()


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_its_own_test(name: str) -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert re.search(rf"^def test_hook_{name}\b", sources, re.M), f"no test_hook_{name}"


def _public_plugin_modules() -> set[str]:
    """Every plugin module or package under plugins/<kind>/, private ``_`` helpers excepted."""
    modules = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        # plugins/ and plugins/<kind>/ are namespaces; a "_" name anywhere is a private helper
        # (a shared module such as plugins/scanners/_archive, or a plugin package's submodule).
        if len(parts) > 2 and not any(part.startswith("_") for part in parts):
            modules.add(".".join(parts))
    return modules


def test_every_builtin_plugin_module_has_an_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    registered = set(project["entry-points"]["hubgate"].values())
    assert _public_plugin_modules() == registered


def test_private_helpers_and_plugin_packages_are_told_apart() -> None:
    modules = _public_plugin_modules()
    assert "plugins.scanners.pickle_opcodes" in modules  # a plugin that is a package
    assert not any("._" in module for module in modules)
    assert (ROOT / "plugins" / "scanners" / "_archive" / "__init__.py").exists()


def test_no_plugin_file_is_over_800_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "plugins").rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 800
    }
    assert long == {}


def test_hook_hubgate_configure(plugin) -> None:
    received = []

    class Configurable:
        @hookimpl
        def hubgate_configure(self, config):
            received.append(config)

    with override_settings(HUBGATE_PLUGINS={"configurable": {"level": 3}}):
        info = plugin(Configurable(), name="configurable")
    assert info.error is None
    assert received == [{"level": 3}]


def test_hook_hubgate_scan_file(plugin, tmp_path) -> None:
    class Scanner:
        @hookimpl
        def hubgate_scan_file(self, file):
            return [Finding(code="t.size", severity="low", message=f"{file.size} bytes")]

    plugin(Scanner(), name="size_scanner")
    path = tmp_path / "f.bin"
    path.write_bytes(b"12345")
    results = call_hook("hubgate_scan_file", file=FileToScan(path, "f.bin", 5))
    mine = [r for r in results if r.plugin == "size_scanner"]
    assert mine[0].value[0].severity is Severity.LOW
    assert mine[0].value[0].message == "5 bytes"


@pytest.mark.django_db
def test_hook_hubgate_score_version(plugin) -> None:
    class Scorer:
        @hookimpl
        def hubgate_score_version(self, version):
            return Score("name_length", min(len(version.model_name) / 100, 1.0), "longer is better")

    plugin(Scorer(), name="name_scorer")
    version = ModelVersionFactory(model__name="x" * 25)
    results = {r.plugin: r for r in compute_version_scores(version)}
    assert results["name_scorer"].value.value == 0.25
    assert "metadata_completeness" in results  # the built-in scorer still answers


@pytest.mark.django_db
def test_hook_hubgate_recommend_similar(plugin, user) -> None:
    target, visible, hidden = ModelFactory(), ModelFactory(), ModelFactory(mode="TakenDown")

    class Everything:
        @hookimpl
        def hubgate_recommend_similar(self, model, candidates, limit):
            return [Recommendation(visible.pk, 0.9, "seen"), Recommendation(hidden.pk, 1.0, "x")]

    plugin(Everything(), name="everything")
    recs = selectors.similar_models(model=target, user=user, limit=5)
    # The built-in recommenders may recommend it too; their reasons are joined to ours.
    assert [m.pk for m, r in recs] == [visible.pk]
    assert "seen" in recs[0][1].reason.split("; ")


@pytest.mark.django_db
def test_hook_hubgate_recommend_for_user(plugin, user) -> None:
    from tests.accounts.factories import MembershipFactory

    team = MembershipFactory(user=user).team
    used = ModelFactory(owning_team=team)
    other = ModelFactory()
    seen = {}

    class Historian:
        @hookimpl
        def hubgate_recommend_for_user(self, user, candidates, limit):
            seen["history"] = [m.id for m in user.history]
            seen["candidates"] = {m.id for m in candidates}
            return [Recommendation(other.pk, 0.5, "because")]

    plugin(Historian(), name="historian")
    recs = selectors.recommended_for_user(user=user, limit=3)
    assert seen["history"] == [used.pk]
    assert used.pk not in seen["candidates"]
    assert [m.pk for m, r in recs] == [other.pk]
    assert recs[0][1].score >= 0.5  # the best score across recommenders is kept
    assert "because" in recs[0][1].reason.split("; ")


def _governance_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] == "governance"}


def test_plugins_import_only_the_plugin_api() -> None:
    # governance.discovery.public is the one documented exception, for search backends.
    allowed = {"governance.hookspecs"}
    search_allowed = allowed | {"governance.discovery.public"}
    wrong = {
        str(path.relative_to(ROOT)): sorted(imports - ok)
        for path in (ROOT / "plugins").rglob("*.py")
        for ok in [search_allowed if path.parent.name == "search" else allowed]
        if (imports := _governance_imports(path)) - ok
    }
    assert wrong == {}
