"""How a plugin declares its settings (defaults, required keys, types), validated once by
the plugin manager. Re-exported by ``governance.hookspecs``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any


class PluginConfigError(ValueError):
    """A site's settings for one plugin are invalid; the plugin is not loaded."""

    def __init__(self, plugin: str, key: str | None, problem: str) -> None:
        where = f"setting {key!r}" if key is not None else "settings"
        super().__init__(f"plugin {plugin!r}: {where} {problem}")
        self.plugin = plugin
        self.key = key


#: A check on one setting: a predicate and what it requires, in words ("a number in [0, 1]").
SettingCheck = tuple[Callable[[Any], bool], str]


class PluginSettings:
    """A plugin's settings, declared once, validated once by the plugin manager.

    A plugin module declares, at module level::

        hubgate_settings = PluginSettings(
            defaults={"max_header_bytes": 100_000_000},
            types={"max_header_bytes": int},
            checks={"max_header_bytes": (lambda v: v >= 2, "at least 2")},
        )

    and reads its values with ``hubgate_settings["max_header_bytes"]`` (or ``.current``, the
    whole frozen mapping, taken once where several values must agree). When the plugin is
    loaded, the plugin manager validates the site's ``HUBGATE_PLUGINS[<name>]`` against the
    declaration: unknown keys, missing ``required`` keys, values of the wrong ``types``
    (``bool`` is never an ``int``; an ``int`` is a ``float``) and failed ``checks`` raise
    :class:`PluginConfigError` naming the plugin and the key, and the plugin is reported as
    failed to load, like one that cannot be imported. ``validate`` receives the whole merged
    mapping for rules that span keys and raises ``ValueError`` to refuse it. Lists become
    tuples and dicts read-only mappings: the validated settings are frozen. Until the plugin
    manager applies the site's settings, the defaults are current.
    """

    def __init__(
        self,
        *,
        defaults: Mapping[str, Any] | None = None,
        required: Sequence[str] = (),
        types: Mapping[str, type | tuple[type, ...]] | None = None,
        checks: Mapping[str, SettingCheck] | None = None,
        validate: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.defaults: Mapping[str, Any] = MappingProxyType(dict(defaults or {}))
        self.required = tuple(required)
        self.types: Mapping[str, type | tuple[type, ...]] = MappingProxyType(dict(types or {}))
        self.checks: Mapping[str, SettingCheck] = MappingProxyType(dict(checks or {}))
        self.cross_check = validate
        self._current: Mapping[str, Any] = MappingProxyType(
            {key: _frozen(value) for key, value in self.defaults.items()}
        )

    @property
    def known_keys(self) -> frozenset[str]:
        """Every setting the plugin declares (a default, a type or as required)."""
        return frozenset(self.defaults) | frozenset(self.required) | frozenset(self.types)

    @property
    def current(self) -> Mapping[str, Any]:
        """The settings in force: the last validated ones, or the defaults."""
        return self._current

    def __getitem__(self, key: str) -> Any:
        return self._current[key]

    def validate(self, config: Mapping[str, Any], *, plugin: str) -> Mapping[str, Any]:
        """The defaults overlaid with ``config``, checked and frozen; does not apply them.

        :raises PluginConfigError: naming ``plugin`` and the offending key.
        """
        if not isinstance(config, Mapping):
            raise PluginConfigError(plugin, None, f"must be a mapping, not {type(config).__name__}")
        unknown = sorted(set(config) - self.known_keys)
        if unknown:
            raise PluginConfigError(plugin, unknown[0], "is not a setting of this plugin")
        merged = {**self.defaults, **config}
        for key in self.required:
            if merged.get(key) is None:
                raise PluginConfigError(plugin, key, "is required")
        for key, expected in self.types.items():
            if key in merged and not _is_instance(merged[key], expected):
                raise PluginConfigError(
                    plugin, key, f"must be {_type_words(expected)}, got {merged[key]!r}"
                )
        for key, (ok, words) in self.checks.items():
            value = merged.get(key)
            if value is not None and not ok(value):
                raise PluginConfigError(plugin, key, f"must be {words}, got {value!r}")
        frozen = {key: _frozen(value) for key, value in merged.items()}
        if self.cross_check is not None:
            try:
                self.cross_check(MappingProxyType(frozen))
            except ValueError as exc:
                raise PluginConfigError(plugin, None, f"are invalid: {exc}") from exc
        return MappingProxyType(frozen)

    def apply(self, config: Mapping[str, Any], *, plugin: str = "this plugin") -> Mapping[str, Any]:
        """Validate ``config`` and make it current (the plugin manager calls this on load)."""
        self._current = self.validate(config, plugin=plugin)
        return self._current


def _is_instance(value: Any, expected: type | tuple[type, ...]) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False
    if isinstance(value, int) and float in types:
        return True
    if isinstance(value, list | tuple) and (list in types or tuple in types):
        return True
    return isinstance(value, types)


def _type_words(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    words = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    words |= {list: "a list", tuple: "a list", dict: "a mapping", type(None): "null"}
    return " or ".join(dict.fromkeys(words.get(t, t.__name__) for t in types))


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value
