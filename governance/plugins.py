"""The one plugin manager: loads plugins from the ``hubgate`` entry-point group and calls them.

Every call into plugins goes through :func:`call_hook`, which calls each implementation on its
own, times it, and turns an exception into a failed :class:`PluginResult` instead of letting it
escape. Callers decide what a failure means.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import pluggy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from governance import hookspecs

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hubgate"
T = TypeVar("T")


@dataclass(frozen=True)
class PluginResult(Generic[T]):
    """What one plugin answered to one hook call."""

    plugin: str
    value: T | None
    error: str | None
    duration: float

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PluginInfo:
    """A plugin known to Hubgate, loaded or not."""

    name: str
    module: str
    distribution: str | None
    hooks: tuple[str, ...]
    enabled: bool
    error: str | None = None

    @property
    def loaded(self) -> bool:
        return self.enabled and self.error is None


@dataclass
class _Registry:
    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo]


_lock = threading.Lock()
_registry: _Registry | None = None


def _hooks_of(pm: pluggy.PluginManager, plugin: object) -> tuple[str, ...]:
    return tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))


def _configure(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    """Validate the site's settings for ``plugin`` once, apply them, then tell the plugin."""
    config = settings.HUBGATE_PLUGINS.get(name, {})
    if not isinstance(config, Mapping):
        raise TypeError(f"HUBGATE_PLUGINS[{name!r}] must be a mapping, not {type(config).__name__}")
    declared = getattr(plugin, "hubgate_settings", None)
    if isinstance(declared, hookspecs.PluginSettings):
        frozen = declared.apply(config, plugin=name)
    else:
        frozen = MappingProxyType(dict(config))
    for impl in pm.hook.hubgate_configure.get_hookimpls():
        if impl.plugin is plugin:
            impl.function(config=frozen)


def _register(
    pm: pluggy.PluginManager, plugin: object, name: str, *, module: str, distribution: str | None
) -> PluginInfo:
    """Register one plugin; on any problem unregister it and report why, never raise."""
    try:
        pm.register(plugin, name=name)
        # A misspelt hook name fails loudly here instead of silently never running.
        pm.check_pending()
        _configure(pm, name, plugin)
    except Exception as exc:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
        error = f"{type(exc).__name__}: {exc}"
        logger.error("Hubgate plugin %r could not be loaded: %s", name, error)
        return PluginInfo(name, module, distribution, (), enabled=True, error=error)
    return PluginInfo(name, module, distribution, _hooks_of(pm, plugin), enabled=True)


def _build_registry() -> _Registry:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    disabled = set(settings.HUBGATE_DISABLED_PLUGINS)
    infos: dict[str, PluginInfo] = {}
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
    ):
        distribution = ep.dist.name if ep.dist is not None else None
        if ep.name in infos:
            infos[ep.name] = PluginInfo(
                ep.name,
                ep.value,
                distribution,
                (),
                enabled=True,
                error=f"entry point name {ep.name!r} is used by more than one package",
            )
            continue
        if ep.name in disabled:
            pm.set_blocked(ep.name)
            infos[ep.name] = PluginInfo(ep.name, ep.value, distribution, (), enabled=False)
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.error("Hubgate plugin %r failed to import: %s", ep.name, error)
            infos[ep.name] = PluginInfo(ep.name, ep.value, distribution, (), True, error)
            continue
        infos[ep.name] = _register(pm, plugin, ep.name, module=ep.value, distribution=distribution)
    for module_name in settings.HUBGATE_PLUGIN_MODULES:
        # Site-local plugins that are not packaged: registered under their module path.
        if module_name in disabled or module_name in infos:
            continue
        try:
            plugin = importlib.import_module(module_name)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.error("Hubgate plugin module %r failed to import: %s", module_name, error)
            infos[module_name] = PluginInfo(module_name, module_name, None, (), True, error)
            continue
        infos[module_name] = _register(
            pm, plugin, module_name, module=module_name, distribution=None
        )
    return _Registry(pm, infos)


def _get_registry() -> _Registry:
    global _registry
    with _lock:
        if _registry is None:
            _registry = _build_registry()
        return _registry


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading plugins on first use."""
    return _get_registry().pm


def reset_plugin_manager() -> None:
    """Forget loaded plugins; the next call loads them again from entry points and settings."""
    global _registry
    with _lock:
        _registry = None


@receiver(setting_changed)
def _reload_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"HUBGATE_PLUGINS", "HUBGATE_DISABLED_PLUGINS", "HUBGATE_PLUGIN_MODULES"}:
        reset_plugin_manager()


def plugin_infos() -> list[PluginInfo]:
    """Every plugin Hubgate knows of (entry points and plugins registered at run time)."""
    return sorted(_get_registry().infos.values(), key=lambda info: info.name)


def register_plugin(plugin: object, *, name: str) -> PluginInfo:
    """Register a plugin object at run time (tests, or a site's own startup code)."""
    registry = _get_registry()
    if name in registry.infos:
        raise ValueError(f"a plugin named {name!r} is already known")
    module = getattr(plugin, "__name__", type(plugin).__qualname__)
    info = _register(registry.pm, plugin, name, module=module, distribution=None)
    registry.infos[name] = info
    return info


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered with :func:`register_plugin`."""
    registry = _get_registry()
    if registry.pm.get_plugin(name) is not None:
        registry.pm.unregister(name=name)
    registry.infos.pop(name, None)


def call_hook(
    hook_name: str,
    *,
    firstresult: bool = False,
    validate: Callable[[Any], T] | None = None,
    deadline: float | None = None,
    **kwargs: Any,
) -> list[PluginResult[T]]:
    """Call every implementation of ``hook_name``, isolating each plugin's failure.

    :param firstresult: stop at the first plugin that returns a valid non-``None`` value.
    :param validate: turns a plugin's raw return value into the expected type, raising if it
        is malformed; its exception is recorded as that plugin's failure.
    :param deadline: a ``time.monotonic()`` value; a plugin not yet called when it has passed
        is not called but recorded as failed (a plugin cannot be stopped once called).
    :returns: one result per plugin that answered (abstentions, ``None``, are left out).
    """
    pm = get_plugin_manager()
    caller = getattr(pm.hook, hook_name)
    expected = set(caller.spec.argnames)
    if set(kwargs) != expected:
        raise TypeError(f"{hook_name} takes {sorted(expected)}, got {sorted(kwargs)}")
    results: list[PluginResult[T]] = []
    # pluggy calls the most recently registered first; keep that order, rely on none.
    for impl in reversed(caller.get_hookimpls()):
        if deadline is not None and time.monotonic() > deadline:
            results.append(PluginResult(impl.plugin_name, None, "not called: out of time", 0.0))
            continue
        started = time.perf_counter()
        try:
            value = impl.function(*(kwargs[arg] for arg in impl.argnames))
            if value is not None and validate is not None:
                value = validate(value)
        except Exception as exc:
            duration = time.perf_counter() - started
            logger.exception("Hubgate plugin %r failed in %s", impl.plugin_name, hook_name)
            results.append(
                PluginResult(impl.plugin_name, None, f"{type(exc).__name__}: {exc}", duration)
            )
            continue
        if value is None:
            continue
        results.append(PluginResult(impl.plugin_name, value, None, time.perf_counter() - started))
        if firstresult:
            break
    return results
