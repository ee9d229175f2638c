"""The plugin manager: entry-point loading, enable/disable, failure isolation."""

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from governance.checks import plugins_loaded
from governance.hookspecs import FileToScan, Finding, PluginConfigError, PluginSettings, hookimpl
from governance.plugins import call_hook, get_plugin_manager, plugin_infos

BUILTINS = {"safetensors_header", "metadata_completeness", "tag_overlap"}


def test_builtin_plugins_load_through_entry_points() -> None:
    infos = {i.name: i for i in plugin_infos()}
    assert set(infos) >= BUILTINS
    for name in BUILTINS:
        assert infos[name].loaded
        assert infos[name].distribution == "hubgate"
    assert infos["safetensors_header"].hooks == ("hubgate_scan_file",)
    assert get_plugin_manager().get_plugin("tag_overlap") is not None


@override_settings(HUBGATE_DISABLED_PLUGINS=["tag_overlap"])
def test_a_disabled_plugin_is_known_but_never_called() -> None:
    info = {i.name: i for i in plugin_infos()}["tag_overlap"]
    assert not info.enabled
    assert get_plugin_manager().get_plugin("tag_overlap") is None


@override_settings(HUBGATE_PLUGINS={"tag_overlap": {"min_score": 7}})
def test_a_plugin_that_rejects_its_configuration_is_not_loaded() -> None:
    info = {i.name: i for i in plugin_infos()}["tag_overlap"]
    assert "min_score" in info.error
    assert get_plugin_manager().get_plugin("tag_overlap") is None
    assert [m.id for m in plugins_loaded()] == ["hubgate.E001"]


def test_a_raising_plugin_is_recorded_and_the_others_still_run(plugin, tmp_path) -> None:
    class Broken:
        @hookimpl
        def hubgate_scan_file(self, file):
            raise RuntimeError("disk on fire")

    class Fine:
        @hookimpl
        def hubgate_scan_file(self, file):
            return [Finding(code="fine.ok", severity="info", message="ok")]

    plugin(Broken(), name="broken")
    plugin(Fine(), name="fine")
    path = tmp_path / "x"
    path.write_bytes(b"x")
    results = {r.plugin: r for r in call_hook("hubgate_scan_file", file=FileToScan(path, "x", 1))}
    assert not results["broken"].ok
    assert results["broken"].error == "RuntimeError: disk on fire"
    assert results["fine"].ok and results["fine"].value[0].code == "fine.ok"


def test_a_misspelt_hook_fails_loudly_without_taking_hubgate_down(plugin) -> None:
    class Typo:
        @hookimpl
        def hubgate_scan_files(self, file):
            return []

    info = plugin(Typo(), name="typo")
    assert info.error and "hubgate_scan_files" in info.error
    assert get_plugin_manager().get_plugin("typo") is None
    assert any("typo" in m.msg for m in plugins_loaded())


def test_invalid_return_values_are_failures_not_crashes(plugin) -> None:
    class Liar:
        @hookimpl
        def hubgate_score_version(self, version):
            return "great"

    plugin(Liar(), name="liar")

    def validate(value):
        raise TypeError(f"not a Score: {value!r}")

    results = call_hook("hubgate_score_version", validate=validate, version=object())
    liar = next(r for r in results if r.plugin == "liar")
    assert liar.error == "TypeError: not a Score: 'great'"


def test_firstresult_stops_at_the_first_answer(plugin) -> None:
    class A:
        @hookimpl
        def hubgate_score_version(self, version):
            return "a"

    plugin(A(), name="a")
    results = call_hook("hubgate_score_version", firstresult=True, version=object())
    assert len(results) == 1


def test_plugins_not_called_by_the_deadline_are_recorded_as_failures(plugin) -> None:
    called = []

    class A:
        @hookimpl
        def hubgate_score_version(self, version):
            called.append("a")
            return "a"

    plugin(A(), name="a")
    past = time.monotonic() - 1
    results = {r.plugin: r for r in call_hook("hubgate_score_version", deadline=past, version=1)}
    assert results["a"].error == "not called: out of time" and not called


def test_hook_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="takes"):
        call_hook("hubgate_scan_file", path="x")


def test_registering_the_same_name_twice_is_refused(plugin) -> None:
    with pytest.raises(ValueError, match="already known"):
        plugin(object(), name="tag_overlap")


def test_plugins_command_lists_builtins_with_hooks() -> None:
    out = StringIO()
    call_command("plugins", stdout=out, no_color=True)
    text = out.getvalue()
    for name in BUILTINS:
        assert f"{name}  [enabled]" in text
    assert "hooks: hubgate_recommend_for_user, hubgate_recommend_similar" in text


@override_settings(HUBGATE_DISABLED_PLUGINS=["metadata_completeness"])
def test_plugins_command_json_shows_disabled() -> None:
    out = StringIO()
    call_command("plugins", "--format", "json", stdout=out)
    rows = {row["name"]: row for row in json.loads(out.getvalue())}
    assert rows["metadata_completeness"]["enabled"] is False
    assert rows["safetensors_header"]["hooks"] == ["hubgate_scan_file"]


# --- Declared plugin settings ---------------------------------------------------------------


class _Declared:
    """A plugin declaring its settings the way the built-in ones do."""

    def __init__(self) -> None:
        self.hubgate_settings = PluginSettings(
            defaults={"level": 2, "labels": ["a"]},
            required=("endpoint",),
            types={"level": int, "labels": list, "endpoint": str},
            checks={"level": (lambda value: 0 <= value <= 5, "an integer in [0, 5]")},
        )
        self.received: list[object] = []

    @hookimpl
    def hubgate_configure(self, config):
        self.received.append(config)


@override_settings(HUBGATE_PLUGINS={"declared": {"endpoint": "http://scanner"}})
def test_declared_settings_get_their_defaults_and_are_frozen(plugin) -> None:
    declared = _Declared()
    info = plugin(declared, name="declared")
    assert info.loaded
    settings = declared.hubgate_settings
    assert dict(settings.current) == {"level": 2, "labels": ("a",), "endpoint": "http://scanner"}
    assert declared.received == [settings.current]
    with pytest.raises(TypeError):
        settings.current["level"] = 3  # type: ignore[index]


@override_settings(HUBGATE_PLUGINS={"declared": {"level": 4}})
def test_a_missing_required_setting_keeps_the_plugin_out_and_names_the_key(plugin) -> None:
    declared = _Declared()
    info = plugin(declared, name="declared")
    assert not info.loaded
    assert info.error == "PluginConfigError: plugin 'declared': setting 'endpoint' is required"
    assert get_plugin_manager().get_plugin("declared") is None
    assert declared.received == []
    assert "hubgate.E001" in [m.id for m in plugins_loaded()]


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"endpoint": 7}, "endpoint"),
        ({"endpoint": "x", "level": True}, "level"),
        ({"endpoint": "x", "level": 2.5}, "level"),
        ({"endpoint": "x", "labels": "a"}, "labels"),
        ({"endpoint": "x", "level": 9}, "level"),
        ({"endpoint": "x", "colour": "red"}, "colour"),
    ],
)
def test_a_wrong_setting_keeps_the_plugin_out_and_names_the_key(plugin, config, key) -> None:
    with override_settings(HUBGATE_PLUGINS={"declared": config}):
        info = plugin(_Declared(), name="declared")
    assert not info.loaded
    assert info.error.startswith(f"PluginConfigError: plugin 'declared': setting {key!r} ")


def test_settings_validate_without_applying() -> None:
    settings = _Declared().hubgate_settings
    with pytest.raises(PluginConfigError) as caught:
        settings.validate({"endpoint": "x", "level": "high"}, plugin="declared")
    assert (caught.value.plugin, caught.value.key) == ("declared", "level")
    assert "must be an integer" in str(caught.value)
    assert settings.current["level"] == 2


@override_settings(HUBGATE_PLUGINS={"safetensors_header": {"max_header_bytes": 1}})
def test_a_builtin_plugin_misconfigured_in_settings_is_reported_as_failed() -> None:
    info = {i.name: i for i in plugin_infos()}["safetensors_header"]
    assert not info.loaded
    assert "setting 'max_header_bytes' must be an integer of at least 2" in info.error
